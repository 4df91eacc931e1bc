"""What a fine-tuning job trains and is judged on: the job folder, replay sources, the anchor set.

A job folder holds ``images/`` and ``masks/`` (a mask is ``<stem>.png`` or
``<stem>_segmentation.png``) and optionally ``manifest.json``, written by the app::

    {"format": "lesiondesk-finetune-job/1", "jobId": "...", "base": "name@version", "created": "ISO",
     "cases": [{"id": "<stem>", "caseId": "...", "maskVersionId": "...", "split": "train" | "validation",
                "unchanged": false}]}

``unchanged`` (optional, default false) says the approved mask is the model's prediction as it
was, approved without a change: evidence that the mask was acceptable, not that it is exactly
right, so the gate scores such validation cases apart from the ones a person changed.

With a manifest, the manifest decides the split (files it does not list are ignored with a
warning); without one, ``split.split_of_file`` decides from each image's bytes. Job pairs are decoded strictly:
each one is a correction somebody approved, so a broken one stops the job with its name instead
of silently shrinking the training or validation set.

Replay sources and the anchor set are ordinary datasets and are read leniently (a broken file
is skipped with a warning). Only a bounded, seeded sample of the replay sources is ever
decoded, so memory does not grow with the size of the sources.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from .data import (
    DatasetError,
    Pair,
    PairBuffer,
    PairError,
    decode_pair,
    detect_layout,
    index_dataset,
    list_image_files,
    load_dataset,
    mask_key,
    print_warnings,
)
from .split import MIN_RUN_VALIDATION, MIN_TRAIN, MIN_VALIDATION, VALIDATION_ONE_IN, split_of_file

JOB_FORMAT = "lesiondesk-finetune-job/1"
MANIFEST_NAME = "manifest.json"
SPLITS = ("train", "validation")
# models/replay: the committed sample of the shipped model's data (see its README.md).
REPLAY_ROOT = Path(__file__).resolve().parents[1] / "replay"
DEFAULT_REPLAY = REPLAY_ROOT / "train"
DEFAULT_ANCHOR = REPLAY_ROOT / "anchor"


@dataclass(frozen=True)
class JobCase:
    """One case of a job manifest; ``id`` is the stem of its image and mask files."""

    id: str
    split: str
    case_id: Optional[str] = None
    mask_version_id: Optional[str] = None
    unchanged: bool = False

    @property
    def key(self) -> str:
        """What identifies the case across jobs: the app's case id when known, else the file stem."""
        return self.case_id or self.id


@dataclass
class Manifest:
    """A parsed manifest.json."""

    path: Path
    job_id: Optional[str]
    base: Optional[str]
    cases: List[JobCase]


def read_manifest(job: Path) -> Optional[Manifest]:
    """The job's manifest.json, or None when there is none; DatasetError when it is damaged."""
    path = Path(job) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DatasetError(f"the job's {MANIFEST_NAME} ({path}) is not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"the job's {MANIFEST_NAME} ({path}) is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(raw, dict) or raw.get("format") != JOB_FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise DatasetError(f"{path} is not a fine-tuning job manifest: its format is {found!r}, expected {JOB_FORMAT!r}")
    entries = raw.get("cases")
    if not isinstance(entries, list):
        raise DatasetError(f"{path} has no list of cases (\"cases\": [...])")
    cases: List[JobCase] = []
    seen: Set[str] = set()
    for n, entry in enumerate(entries, start=1):
        case_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(case_id, str) or not case_id:
            raise DatasetError(f"{path}: case {n} has no \"id\" (the stem of its image and mask files)")
        split = entry.get("split")
        if split not in SPLITS:
            raise DatasetError(f"{path}: case {case_id} has split {split!r}; expected 'train' or 'validation'")
        if case_id in seen:
            raise DatasetError(f"{path}: case {case_id} is listed twice")
        seen.add(case_id)
        unchanged = entry.get("unchanged", False)
        if not isinstance(unchanged, bool):
            raise DatasetError(f"{path}: case {case_id} has unchanged {unchanged!r}; expected true or false")
        cases.append(JobCase(case_id, split, _optional_str(entry.get("caseId")), _optional_str(entry.get("maskVersionId")),
                             unchanged))
    return Manifest(path, _optional_str(raw.get("jobId")), _optional_str(raw.get("base")), cases)


def _optional_str(value: object) -> Optional[str]:
    return value if isinstance(value, str) and value else None


@dataclass
class JobData:
    """A job's decoded training and validation pairs."""

    root: Path
    job_id: str
    manifest: Optional[Manifest]
    train_ids: List[str]
    val_ids: List[str]
    train_images: np.ndarray
    train_masks: np.ndarray
    val_images: np.ndarray
    val_masks: np.ndarray
    # File stems and app case ids of every job case: older versions of these cases must not be
    # replayed (their superseded masks would contradict the new corrections or the validation).
    case_keys: Set[str] = field(default_factory=set)
    # Per validation case (in val_ids order): approved unchanged (the prediction as it was).
    val_unchanged: List[bool] = field(default_factory=list)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_split_sizes(n_train: int, n_val: int) -> None:
    """DatasetError, with how many more cases to approve, unless the job can train and be scored.

    Fewer validation cases than MIN_VALIDATION still run (a small library can try its first
    corrections); the app's gate then keeps the result as a candidate, never activating it.
    """
    if n_val < MIN_RUN_VALIDATION:
        more = (MIN_VALIDATION - n_val) * VALIDATION_ONE_IN
        raise DatasetError(
            f"the job has no validation case, so nothing could judge what it learns (about 1 in {VALIDATION_ONE_IN} cases "
            f"is a validation case, decided by its image), so add about {more} more approved cases"
        )
    if n_train < MIN_TRAIN:
        raise DatasetError(
            f"the job has no training cases; at least {MIN_TRAIN} is needed (about {VALIDATION_ONE_IN - 1} in "
            f"{VALIDATION_ONE_IN} cases are training cases, decided by their images), so add 1 or 2 more approved cases"
        )
    if n_val < MIN_VALIDATION:
        print(f"warning: {_plural(n_val, 'validation case')} {'is' if n_val == 1 else 'are'} too few to judge the result "
              f"(at least {MIN_VALIDATION}); the app keeps it as a candidate", file=sys.stderr)


def _missing_file_message(job: Path, image_dir: Path, mask_dir: Path, case: JobCase) -> str:
    has_image = any(p.stem == case.id for p in list_image_files(image_dir))
    has_mask = any(mask_key(p.stem) == case.id for p in list_image_files(mask_dir))
    what = "image and mask" if not has_image and not has_mask else ("image" if not has_image else "mask")
    return (
        f"case {case.id} is listed in {MANIFEST_NAME} but its {what} is missing from {job} "
        f"(expected {image_dir.name}/{case.id}.<jpg|png|...> and {mask_dir.name}/{case.id}.png)"
    )


def _job_cases(job: Path, manifest: Optional[Manifest], pairs: Dict[str, Pair]) -> List[Tuple[JobCase, Pair]]:
    """Each case with its files: the manifest's cases, or every pair split by id without one."""
    if manifest is None:
        return [(JobCase(i, split_of_file(pairs[i].image)), pairs[i]) for i in sorted(pairs)]
    _, image_dir, mask_dir = detect_layout(job)
    listed = {c.id for c in manifest.cases}
    unlisted = sorted(set(pairs) - listed)
    if unlisted:
        shown = ", ".join(unlisted[:10]) + (f" and {len(unlisted) - 10} more" if len(unlisted) > 10 else "")
        print(f"warning: {job} holds {_plural(len(unlisted), 'pair')} that {MANIFEST_NAME} does not list; "
              f"ignored: {shown}", file=sys.stderr)
    result = []
    for case in sorted(manifest.cases, key=lambda c: c.id):
        if case.id not in pairs:
            raise DatasetError(_missing_file_message(job, image_dir, mask_dir, case))
        result.append((case, pairs[case.id]))
    return result


def load_job(job: Path, size: int) -> JobData:
    """Reads and decodes a job folder; DatasetError (naming the case) when anything is unusable."""
    job = Path(job)
    manifest = read_manifest(job)
    index = index_dataset(job)
    pairs = {p.id: p for p in index.pairs}
    if index.warnings:
        print_warnings(index.warnings, job)
    cases = _job_cases(job, manifest, pairs)
    # Counted before decoding: a job that is too small fails at once, whatever its size.
    check_split_sizes(sum(c.split == "train" for c, _ in cases), sum(c.split == "validation" for c, _ in cases))
    buffers = {split: PairBuffer(sum(c.split == split for c, _ in cases), size) for split in SPLITS}
    for case, pair in cases:
        try:
            buffers[case.split].add(case.id, *decode_pair(pair, size))
        except PairError as exc:
            raise DatasetError(f"case {case.id} of the job in {job} cannot be used: {exc}") from exc
    train_ids, val_ids = buffers["train"].ids, buffers["validation"].ids
    train_images, train_masks = buffers["train"].arrays()
    val_images, val_masks = buffers["validation"].arrays()
    keys = set(train_ids) | set(val_ids)
    if manifest is not None:
        keys |= {c.key for c in manifest.cases}
    job_id = (manifest.job_id if manifest else None) or job.resolve().name
    unchanged = {c.id for c, _ in cases if c.unchanged}
    return JobData(job, job_id, manifest, train_ids, val_ids, train_images, train_masks, val_images, val_masks, keys,
                   [i in unchanged for i in val_ids])


@dataclass
class ReplayPool:
    """The replay pairs decoded for a job: a fixed seeded sample of all sources."""

    sources: List[str]
    ids: List[str]
    images: np.ndarray
    masks: np.ndarray
    available: int  # pairs the sources offered after exclusions, before the replay-max sample

    def __len__(self) -> int:
        return len(self.ids)


def replay_candidates(source: Path) -> List[Tuple[str, Pair]]:
    """(key, pair) for every pair a replay source offers, undecoded.

    An earlier job folder (one with manifest.json) offers only its training cases: its
    validation cases judged a candidate and must stay out of training. The key is the app's
    case id when the manifest gives one, so the same case is recognised across jobs.
    """
    source = Path(source)
    index = index_dataset(source)
    if index.warnings:
        print_warnings(index.warnings, source)
    manifest = read_manifest(source)
    if manifest is None:
        return [(p.id, p) for p in index.pairs]
    pairs = {p.id: p for p in index.pairs}
    return [(c.key, pairs[c.id]) for c in manifest.cases if c.split == "train" and c.id in pairs]


def load_replay(
    sources: Sequence[Path], exclude: Set[str], replay_max: int, seed: int, size: int
) -> ReplayPool:
    """Decodes at most ``replay_max`` replay pairs, a sample drawn once with ``seed``.

    Pairs whose id or case key is in ``exclude`` (the job's own cases, the anchor set) are left
    out. When a case appears in several sources the last source wins, so pass older job
    folders first.
    """
    chosen: Dict[str, Pair] = {}
    for source in sources:
        for key, pair in replay_candidates(source):
            if key in exclude or pair.id in exclude:
                continue
            chosen[key] = pair  # a later source's pair replaces an earlier one of the same case
    keys = sorted(chosen)
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(keys), size=min(len(keys), max(0, replay_max)), replace=False)) if keys else []
    buffer = PairBuffer(len(picked), size)
    warnings: List[str] = []
    for pair in (chosen[keys[i]] for i in picked):
        try:
            buffer.add(pair.id, *decode_pair(pair, size))
        except PairError as exc:
            warnings.append(str(exc))
    print_warnings(warnings, "the replay sources")
    names = [str(Path(s).resolve()) for s in sources]
    if sources and not buffer.ids:
        print(f"warning: the replay sources offer no usable pair; training on the job's pairs alone "
              f"({', '.join(names)})", file=sys.stderr)
    return ReplayPool(names, buffer.ids, *buffer.arrays(), available=len(keys))


@dataclass
class AnchorSet:
    """A fixed set the base and the candidate are both scored on (the shipped model's held-out pairs)."""

    source: str
    ids: List[str]
    images: np.ndarray
    masks: np.ndarray


def load_anchor(source: Path, size: int) -> AnchorSet:
    """Decodes the anchor set (leniently: a broken file is skipped with a warning)."""
    ds = load_dataset(Path(source), size)
    return AnchorSet(str(Path(source).resolve()), ds.ids, ds.images, ds.masks)
