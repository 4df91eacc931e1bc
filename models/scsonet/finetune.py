"""Incremental fine-tuning job: a folder in, a folder out, cancellable with SIGTERM.

The app writes a job folder (see ``job.py``) and runs ``python -m scsonet finetune --base
model.pt --data JOB --out RESULT``. The job trains on the job's training cases mixed with
replay pairs from the data the base model learnt from (so it does not forget them), scores
the base and the candidate on the job's validation cases and on a fixed anchor set, and
writes ``model.pt``, ``model.onnx``, ``model.json`` (card, with the case and mask version ids it
learned from), ``metrics.json``, and ``evidence.json`` with ``evidence/`` (each validation case's
base and candidate masks; see ``evidence.py``).

The recipe's defaults live in ``recipe.py``: each epoch draws 48 of the training cases (cycling,
so a small job sees each several times and a large one sees a different share each epoch) and
as many replay pairs, for 10 epochs, so a job costs the same whatever its size;
``finetune_shift.py`` (``npm run bench:finetune-shift``) chose them against the alternatives.

The candidate is the last epoch's weights (or, with ``average_last``, the mean of the last
epochs'), by default taken 0.8 of the way from the base (``interpolation``, WiSE-FT). Choosing
the best epoch (or stopping early) on the validation cases would select on the very cases the
app's gate then compares base and candidate on, and so inflate the candidate's score; the gate
itself is the app's decision, not this module's.

Progress goes to stdout as JSON lines (``train.emit``); human-readable lines go to stderr.
The result folder appears only when the job succeeds: it is written as a hidden temporary
sibling and renamed at the end, so the app never sees half a model.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import torch

from .augment import augment_batch, minmax_scale
from .checkpoint import read_checkpoint
from .evidence import provenance, write_evidence
from .export import card_validator, export_model, seal_card
from .job import DEFAULT_ANCHOR, DEFAULT_REPLAY, AnchorSet, JobData, ReplayPool, load_anchor, load_job, load_replay
from .losses import bce_dice_loss
from .memory import peak_rss_mb
from .recipe import DEFAULT_RECIPE, Recipe
from .split import SPLIT_RULE
from .train import emit, evaluate_arrays, evaluate_cases, model_from_checkpoint, save_checkpoint, to_tensors

METRICS_FORMAT = "lesiondesk-finetune-metrics/1"
WEIGHT_DECAY = 1e-2
ETA_MIN_FRACTION = 1 / 20  # the cosine ends at lr / 20, not zero: the last epochs still adapt a little
# Scoring batch: the no-grad activations of 16 images at 256 px outweigh the decoded data of a
# whole job; with 8, scoring stays below training's own peak (the same scores either way).
EVAL_BATCH = 8
THRESHOLD = 0.5  # the card's threshold: the app binarises the candidate's output the same way
VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+([-+].*)?$")  # as model-card.schema.json


class JobCancelled(BaseException):
    """Raised from the SIGTERM handler so every ``finally`` cleans up on the way out.

    A BaseException, like KeyboardInterrupt: the ``except Exception`` around image decoding
    must not catch a cancellation and report it as a broken file.
    """


@dataclass
class FinetuneConfig:
    """Fine-tuning settings: a gentler version of the training recipe, and where the data comes from."""

    base: str
    data: str
    out: str
    epochs: int = DEFAULT_RECIPE.epochs
    lr: float = DEFAULT_RECIPE.lr
    batch_size: int = 8
    size: int = 256
    threads: int = 0  # 0: torch's default (all cores)
    seed: int = 0
    version: Optional[str] = None  # default: the base's minor version + 1
    # Replay sources: dataset folders or earlier job folders; empty: no replay (experiments only).
    replay: Sequence[str] = field(default_factory=lambda: [str(DEFAULT_REPLAY)])
    replay_ratio: float = DEFAULT_RECIPE.replay_ratio  # replay pairs per correction drawn in an epoch
    replay_max: int = 600  # at most this many replay pairs are decoded (one seeded sample per job)
    anchor: Optional[str] = str(DEFAULT_ANCHOR)  # None: no anchor scoring
    # The recipe's other settings (recipe.Recipe says what each does).
    epoch_pairs: int = DEFAULT_RECIPE.epoch_pairs
    encoder_lr: float = DEFAULT_RECIPE.encoder_lr
    average_last: int = DEFAULT_RECIPE.average_last
    adabn: bool = DEFAULT_RECIPE.adabn
    interpolation: float = DEFAULT_RECIPE.interpolation


def check_config(cfg: FinetuneConfig) -> None:
    """ValueError for settings that would fail later (after loading data, or after training)."""
    if cfg.size % 32 or cfg.size < 32:
        raise ValueError(f"--size {cfg.size} is not a positive multiple of 32")
    if cfg.epochs < 1:
        raise ValueError(f"--epochs {cfg.epochs}: at least 1 epoch is needed")
    if cfg.batch_size < 2:
        raise ValueError(f"--batch-size {cfg.batch_size}: at least 2 (BatchNorm cannot train on one image)")
    if not cfg.lr > 0:
        raise ValueError(f"--lr {cfg.lr} must be positive")
    if cfg.replay_ratio < 0 or cfg.replay_max < 0:
        raise ValueError("--replay-ratio and --replay-max cannot be negative")
    if cfg.epoch_pairs < 0:
        raise ValueError(f"--epoch-pairs {cfg.epoch_pairs} cannot be negative (0: one pass over the training cases)")
    if not 0 <= cfg.encoder_lr <= 1:
        raise ValueError(f"--encoder-lr {cfg.encoder_lr} must be from 0 (frozen) to 1 (the same rate as the rest)")
    if not 0 <= cfg.average_last <= cfg.epochs:
        raise ValueError(f"--average-last {cfg.average_last} must be from 0 to the number of epochs ({cfg.epochs})")
    if not 0 < cfg.interpolation <= 1:
        raise ValueError(f"--interpolation {cfg.interpolation} must be above 0 and at most 1 (1: the trained weights)")
    if cfg.version is not None and not VERSION_PATTERN.match(cfg.version):
        raise ValueError(f"--version {cfg.version} is not a version like 1.2.0")


def bump_minor(version: str) -> str:
    """1.0.0 -> 1.1.0: the default version of a candidate."""
    parts = (version.split(".") + ["0", "0", "0"])[:3]
    try:
        major, minor = int(parts[0]), int(parts[1])
    except ValueError:
        return version + ".1"
    return f"{major}.{minor + 1}.0"


def finetune(cfg: FinetuneConfig) -> Dict:
    """Runs the job; returns metrics.json's content. Raises JobCancelled on SIGTERM.

    ``done`` is emitted only after the result folder has its final name, so whoever reads the
    event finds the folder.
    """
    started = time.time()
    check_config(cfg)
    out = Path(cfg.out)
    if out.exists():
        raise ValueError(f"output folder {out} already exists; choose a new one")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    committed = False

    def on_sigterm(signum, frame):
        # Once the result is being renamed into place the job has succeeded; finish it.
        if not committed:
            raise JobCancelled()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        metrics = _run(cfg, tmp, started)
        committed = True
        os.replace(tmp, out)
    except JobCancelled:
        emit("cancelled")
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(tmp, ignore_errors=True)
    anchor = metrics["anchor"]
    emit(
        "done",
        version=metrics["version"],
        base_val_dsc=metrics["validation"]["base"]["dsc"],
        candidate_val_dsc=metrics["validation"]["candidate"]["dsc"],
        base_anchor_dsc=anchor["base"]["dsc"] if anchor else None,
        candidate_anchor_dsc=anchor["candidate"]["dsc"] if anchor else None,
    )
    return metrics


def _rounded(metrics: Dict) -> Dict:
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in metrics.items()}


def _score(model: torch.nn.Module, job: JobData, anchor: Optional[AnchorSet]) -> Dict:
    """Validation metrics, the Dice and predicted mask of each validation case, and anchor metrics (or None)."""
    masks: List[np.ndarray] = []
    validation, per_case = evaluate_cases(model, job.val_images, job.val_masks, threshold=THRESHOLD,
                                          batch_size=EVAL_BATCH, predictions=masks)
    anchor_metrics = _rounded(evaluate_arrays(model, anchor.images, anchor.masks, threshold=THRESHOLD,
                                              batch_size=EVAL_BATCH)) if anchor else None
    return {"validation": _rounded(validation), "cases": [round(d, 5) for d in per_case], "masks": masks,
            "anchor": anchor_metrics}


def pooled_dsc(predictions: Sequence[np.ndarray], masks: Sequence[np.ndarray]) -> float:
    """Dice pooled over cases (as the validation Dice is): 1.0 when no case has a lesion pixel anywhere."""
    inter = sum(int(np.logical_and(p, m).sum()) for p, m in zip(predictions, masks))
    total = sum(int(np.asarray(p, bool).sum()) + int(np.asarray(m, bool).sum()) for p, m in zip(predictions, masks))
    return 1.0 if total == 0 else 2.0 * inter / total


def validation_parts(job: JobData, base_masks: Sequence[np.ndarray], candidate_masks: Sequence[np.ndarray]) -> Dict:
    """The validation cases in two parts, each scored for base and candidate (pooled Dice).

    ``changed``: cases a person corrected (or imported ground truth): evidence of the base's
    errors, where the candidate must not lose. ``unchanged``: predictions approved as they were:
    evidence that the mask was acceptable, not exactly right. The base scores about 1.0 there by
    construction, so pooling them with the changed ones biased the gate against every candidate;
    the app's gate (main/services/trainingGate.ts) asks only that the candidate stays close.
    """
    parts = {}
    for name, flag in (("changed", False), ("unchanged", True)):
        rows = [k for k, u in enumerate(job.val_unchanged) if u is flag]
        finals = [job.val_masks[k] for k in rows]
        parts[name] = {
            "n": len(rows),
            "base": {"dsc": round(pooled_dsc([base_masks[k] for k in rows], finals), 5)},
            "candidate": {"dsc": round(pooled_dsc([candidate_masks[k] for k in rows], finals), 5)},
        }
    return parts


def mixed_batches(n: int, batch_size: int, generator: torch.Generator) -> Iterator[np.ndarray]:
    """Shuffled index batches that use every sample once, never a batch of one.

    BatchNorm (in ODConv's attention) cannot train on a single sample: a last batch of one
    joins the batch before it, and a job of one sample pairs it with itself.
    """
    perm = torch.randperm(n, generator=generator).numpy()
    if n == 1:
        yield np.repeat(perm, 2)
        return
    chunks = [perm[i : i + batch_size] for i in range(0, n, batch_size)]
    if len(chunks) > 1 and len(chunks[-1]) == 1:
        lone = chunks.pop()
        chunks[-1] = np.concatenate([chunks[-1], lone])
    yield from chunks


def _gather(job: JobData, replay: ReplayPool, own_pick: np.ndarray, replay_pick: np.ndarray, idx: np.ndarray):
    """Float tensors of one batch: indices below len(own_pick) are this epoch's job pairs, the rest its replay picks."""
    n_own = len(own_pick)
    own, other = own_pick[idx[idx < n_own]], replay_pick[idx[idx >= n_own] - n_own]
    images = np.concatenate([job.train_images[own], replay.images[other]])
    masks = np.concatenate([job.train_masks[own], replay.masks[other]])
    return to_tensors(images, masks)


def _train(
    cfg: FinetuneConfig, model: torch.nn.Module, job: JobData, replay: ReplayPool, replay_per_epoch: int,
    started: float,
) -> List[Dict]:
    """Trains ``model`` in place for every epoch; returns the history and emits an epoch event each."""
    optimizer = torch.optim.AdamW(param_groups(model, cfg.lr, cfg.encoder_lr), lr=cfg.lr, weight_decay=WEIGHT_DECAY)
    # eta_min is a fraction of each group's own rate (the scheduler takes one value for all groups).
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: cosine_factor(e, cfg.epochs))
    generator = torch.Generator().manual_seed(cfg.seed)
    # seed + 1: the replay pool itself was drawn with ``seed``; each epoch then picks from it afresh.
    rng = np.random.default_rng(cfg.seed + 1)
    n_train = len(job.train_ids)
    own_draws = epoch_draws(n_train, cfg.epoch_pairs, rng)
    averaged: Optional[Dict[str, torch.Tensor]] = None
    start = {n: t.detach().clone() for n, t in model.state_dict().items()} if cfg.interpolation != 1 else None
    history: List[Dict] = []
    training_started = time.time()
    for epoch in range(1, cfg.epochs + 1):
        own_pick = next(own_draws)
        replay_pick = rng.choice(len(replay), size=replay_per_epoch, replace=False) if replay_per_epoch else np.zeros(0, int)
        model.train()
        losses: List[float] = []
        for idx in mixed_batches(len(own_pick) + replay_per_epoch, cfg.batch_size, generator):
            x, y = _gather(job, replay, own_pick, replay_pick, idx)
            x, y = augment_batch(x, y, generator, strong=True)
            loss = bce_dice_loss(model(minmax_scale(x)), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss))
        scheduler.step()
        if cfg.average_last and epoch > cfg.epochs - cfg.average_last:
            averaged = accumulate_average(averaged, model, epoch - (cfg.epochs - cfg.average_last))
        val_dsc = round(evaluate_arrays(model, job.val_images, job.val_masks, batch_size=EVAL_BATCH)["dsc"], 5)
        loss = round(float(np.mean(losses)), 5)
        history.append({"epoch": epoch, "loss": loss, "val_dsc": val_dsc})
        per_epoch = (time.time() - training_started) / epoch
        emit("epoch", epoch=epoch, epochs=cfg.epochs, loss=loss, val_dsc=val_dsc,
             seconds=round(time.time() - started, 1), eta_s=round(per_epoch * (cfg.epochs - epoch)))
    if averaged is not None:
        model.load_state_dict(averaged)
    if start is not None:
        model.load_state_dict(interpolate_weights(start, model.state_dict(), cfg.interpolation))
    if cfg.adabn:
        reestimate_batchnorm(model, job.train_images, cfg.batch_size)
    return history


def cosine_factor(epoch: int, epochs: int) -> float:
    """The learning rate after ``epoch`` epochs as a fraction of the initial one: cosine to ETA_MIN_FRACTION."""
    return ETA_MIN_FRACTION + (1 - ETA_MIN_FRACTION) * (1 + math.cos(math.pi * min(epoch, epochs) / epochs)) / 2


ENCODER_PREFIXES = ("enc", "ebn.")


def param_groups(model: torch.nn.Module, lr: float, encoder_lr: float) -> List[Dict]:
    """AdamW groups: the encoder (enc1-enc6 and its norms) at ``lr * encoder_lr``, the rest at ``lr``.

    With ``encoder_lr`` 0 the encoder is frozen (requires_grad off: no gradient is even computed).
    """
    encoder = [p for n, p in model.named_parameters() if n.startswith(ENCODER_PREFIXES)]
    rest = [p for n, p in model.named_parameters() if not n.startswith(ENCODER_PREFIXES)]
    if encoder_lr == 1:
        return [{"params": encoder + rest}]
    if encoder_lr == 0:
        for p in encoder:
            p.requires_grad_(False)
        return [{"params": rest}]
    return [{"params": encoder, "lr": lr * encoder_lr}, {"params": rest}]


def epoch_draws(n_train: int, epoch_pairs: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The training cases of each epoch: all of them once (``epoch_pairs`` 0), else ``epoch_pairs`` draws
    cycling through shuffled passes, so every case comes as often as every other, give or take one."""
    if not epoch_pairs:
        while True:
            yield np.arange(n_train)
    pending = np.zeros(0, int)
    while True:
        while len(pending) < epoch_pairs:
            pending = np.concatenate([pending, rng.permutation(n_train)])
        yield pending[:epoch_pairs]
        pending = pending[epoch_pairs:]


def accumulate_average(averaged: Optional[Dict[str, torch.Tensor]], model: torch.nn.Module, k: int) -> Dict[str, torch.Tensor]:
    """The running mean of the model's state after k snapshots (floats averaged; counters are the latest)."""
    state = {n: t.detach().clone() for n, t in model.state_dict().items()}
    if averaged is None:
        return state
    for n, t in state.items():
        if t.is_floating_point():
            averaged[n] += (t - averaged[n]) / k
        else:
            averaged[n] = t
    return averaged


def interpolate_weights(base: Dict[str, torch.Tensor], trained: Dict[str, torch.Tensor], alpha: float) -> Dict[str, torch.Tensor]:
    """WiSE-FT: base + alpha x (trained - base) for every float tensor (counters are the trained ones).

    Fine-tuning on a few dozen corrections moves the weights a long way on a noisy path; part of
    the way back towards the base keeps most of what the corrections taught and loses less of
    what the base knew (``bench:finetune-shift`` measured it on shifted photos).
    """
    return {n: base[n] + alpha * (t - base[n]) if t.is_floating_point() else t for n, t in trained.items()}


@torch.no_grad()
def reestimate_batchnorm(model: torch.nn.Module, images: np.ndarray, batch_size: int) -> None:
    """AdaBN: BatchNorm running statistics recomputed from the corrections' images alone (no weight changes)."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms or len(images) < 2:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative mean over every batch
    model.train()
    for i in range(0, len(images) - 1, batch_size):
        x, _ = to_tensors(images[i : i + batch_size], np.zeros(images[i : i + batch_size].shape[:3], bool))
        if x.shape[0] > 1:
            model(minmax_scale(x))
    for m in norms:
        m.momentum = 0.1
    model.eval()


def _source_label(path: str) -> str:
    """How the card names a data source: no local paths (the card travels with the model)."""
    resolved = Path(path).resolve()
    for default in (DEFAULT_REPLAY, DEFAULT_ANCHOR):
        if resolved == default.resolve():
            return f"models/replay/{default.name}"
    return resolved.name


def _card_training(
    cfg: FinetuneConfig, base: Dict, job: JobData, replay: ReplayPool, replay_per_epoch: int,
    anchor: Optional[AnchorSet], data_license: Optional[str],
) -> Dict:
    """The card's ``training``: a sentence for people, then the numbers behind it."""
    n_train, n_val = len(job.train_ids), len(job.val_ids)
    sources = [_source_label(s) for s in cfg.replay]
    mixed = (f", each epoch mixed with {replay_per_epoch} of {len(replay)} replay pairs from {', '.join(sources)}"
             if replay_per_epoch else ", without replay")
    return {
        "data": (f"{base['name']} {base['version']} fine-tuned on job {job.job_id}: {n_train} approved corrections "
                 f"for training and {n_val} held out for validation{mixed}."),
        "job": job.job_id,
        "corrections": n_train + n_val,
        "split": {"train": n_train, "validation": n_val,
                  "rule": "manifest.json" if job.manifest else SPLIT_RULE},
        "replay": {"sources": sources, "pool": len(replay), "per_epoch": replay_per_epoch} if cfg.replay else None,
        "anchor": {"source": _source_label(anchor.source), "n": len(anchor.ids)} if anchor else None,
        "epochs": cfg.epochs,
        "recipe": recipe_text(cfg),
        "license": data_license or "see the base model",
        # Which approved masks taught this version and which judged it (case id, mask version id).
        **provenance(job),
    }


def recipe_text(cfg: FinetuneConfig) -> str:
    """The card's recipe sentence: every setting that shaped the candidate."""
    per_epoch = (f"{cfg.epoch_pairs} correction draws per epoch (cycling through the training cases)" if cfg.epoch_pairs
                 else "one pass over the training cases per epoch")
    encoder = ("" if cfg.encoder_lr == 1 else ", encoder frozen" if cfg.encoder_lr == 0
               else f", encoder at {cfg.encoder_lr:g} x lr")
    weights = (f"the mean of the last {cfg.average_last} epochs' weights" if cfg.average_last
               else "the last epoch's weights")
    if cfg.interpolation != 1:
        weights = f"base + {cfg.interpolation:g} x ({weights} - base) (WiSE-FT)"
    adabn = ", BatchNorm statistics re-estimated on the training cases" if cfg.adabn else ""
    return (f"BceDice, AdamW lr {cfg.lr}{encoder}, weight decay {WEIGHT_DECAY}, cosine over {cfg.epochs} epochs "
            f"(min {cfg.lr * ETA_MIN_FRACTION:g}), {per_epoch}, replay {cfg.replay_ratio:g} per correction, "
            f"batch {cfg.batch_size}, flips, rotation, zoom 0.8-1.25, colour jitter, {cfg.size} px; {weights}{adabn} "
            f"(no selection on the validation cases)")


def _run(cfg: FinetuneConfig, tmp: Path, started: float) -> Dict:
    card_validator()  # a missing jsonschema or schema file fails now, not after training
    base_path = Path(cfg.base)
    # Checked against the hash its card records, then loaded without running anything it holds.
    ckpt, base_sha256 = read_checkpoint(base_path)
    base_model = model_from_checkpoint(ckpt)
    base = {"name": ckpt.get("name", "scsonet"), "version": ckpt.get("version", "1.0.0"), "sha256": base_sha256}
    version = cfg.version or bump_minor(base["version"])

    job = load_job(Path(cfg.data), cfg.size)
    if job.manifest and job.manifest.base and job.manifest.base != f"{base['name']}@{base['version']}":
        print(f"warning: the job was prepared for {job.manifest.base} but --base is {base['name']}@{base['version']}",
              file=sys.stderr)
    anchor = load_anchor(Path(cfg.anchor), cfg.size) if cfg.anchor else None
    exclude = job.case_keys | set(anchor.ids if anchor else [])
    replay = load_replay([Path(s) for s in cfg.replay], exclude, cfg.replay_max, cfg.seed, cfg.size)
    n_train, n_val = len(job.train_ids), len(job.val_ids)
    replay_per_epoch = min(len(replay), round((cfg.epoch_pairs or n_train) * cfg.replay_ratio))
    # n_per_epoch: the training cases an epoch draws (all of them without epoch_pairs); the app's ETA needs it.
    emit("start", epochs=cfg.epochs, n_train=n_train, n_val=n_val, n_per_epoch=cfg.epoch_pairs or n_train,
         n_replay=replay_per_epoch, n_anchor=len(anchor.ids) if anchor else 0)

    emit("phase", phase="baseline")
    base_scores = _score(base_model, job, anchor)

    # The base's validation Dice goes with the training phase: the app draws it as the reference
    # line of the live chart while the epochs' Dice arrive (none without validation cases).
    emit("phase", phase="training", base_val_dsc=base_scores["validation"]["dsc"] if n_val else None)
    torch.manual_seed(cfg.seed)
    model = copy.deepcopy(base_model)
    history = _train(cfg, model, job, replay, replay_per_epoch, started)

    emit("phase", phase="scoring")
    candidate_scores = _score(model, job, anchor)

    emit("phase", phase="exporting")
    training = _card_training(cfg, base, job, replay, replay_per_epoch, anchor, ckpt.get("license"))
    parts = validation_parts(job, base_scores["masks"], candidate_scores["masks"])
    card_metrics = {
        "validation": candidate_scores["validation"],
        # The gate's two parts (see validation_parts), base and candidate: the card keeps both.
        "validation_parts": parts,
        "anchor": candidate_scores["anchor"],
        "split": f"{n_val} validation cases of job {job.job_id}",
        "threshold": THRESHOLD,
    }
    card = export_model(model, tmp / "model", base["name"], version, training, card_metrics, base=base)
    save_checkpoint(tmp / "model.pt", model=model.state_dict(), name=base["name"], version=version, base=base,
                    license=training["license"], epoch=cfg.epochs, metrics=card_metrics, onnx_sha256=card["sha256"],
                    finetune={"job": job.job_id, "train_ids": job.train_ids, "val_ids": job.val_ids,
                              "replay_sources": list(replay.sources), "seed": cfg.seed, "size": cfg.size,
                              # Every recipe setting (lr, epochs, epoch_pairs, ...), so a new one is recorded too.
                              **{f.name: getattr(cfg, f.name) for f in fields(Recipe)}})

    metrics = {
        "format": METRICS_FORMAT,
        "name": base["name"],
        "version": version,
        "base": base,
        "job": job.job_id,
        "seconds": round(time.time() - started, 1),
        "epochs": cfg.epochs,
        "size": cfg.size,
        "peak_rss_mb": round(peak_rss_mb()),
        "train": {"n": n_train, "replay_per_epoch": replay_per_epoch, "replay_pool": len(replay),
                  "replay_sources": list(replay.sources)},
        "validation": {"n": n_val, "ids": job.val_ids, "base": base_scores["validation"],
                       "candidate": candidate_scores["validation"], **parts},
        "anchor": {"n": len(anchor.ids), "source": anchor.source, "base": base_scores["anchor"],
                   "candidate": candidate_scores["anchor"]} if anchor else None,
        "cases": [{"id": i, "split": "validation", "unchanged": u, "base_dsc": b, "candidate_dsc": c}
                  for i, u, b, c in zip(job.val_ids, job.val_unchanged, base_scores["cases"], candidate_scores["cases"])],
        "history": history,
    }
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_evidence(tmp, job, f"{base['name']}@{base['version']}", f"{base['name']}@{version}", cfg.size, THRESHOLD,
                   base_scores["cases"], candidate_scores["cases"], base_scores["masks"], candidate_scores["masks"])
    summary = (f"fine-tuned {base['name']} {base['version']} -> {version} in {metrics['seconds']:.0f} s: validation DSC "
               f"{base_scores['validation']['dsc']:.4f} -> {candidate_scores['validation']['dsc']:.4f}")
    if anchor:
        summary += f", anchor DSC {base_scores['anchor']['dsc']:.4f} -> {candidate_scores['anchor']['dsc']:.4f}"
    # Last: the card records the hash of every file the job wrote (the app checks them all).
    seal_card(tmp / "model.json", sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*")
                                         if p.is_file() and p.name != "model.json" and p.name != "model.onnx"))
    print(summary + " (the app's gate decides whether to adopt it)", file=sys.stderr)
    return metrics
