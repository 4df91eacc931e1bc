"""Which pairs train and which validate: the one home of the split rules.

- ``split_of_bytes`` / ``split_of_file``: the app's rule for fine-tuning cases since issue 17. A
  case's side follows from its image's bytes (sha256), so the same photo is on the same side in
  every library, after a re-import and for every annotator, and a case that validated one job
  never trains a later one. The app's TypeScript side (preload/split.ts) applies the same rule;
  both test the same vectors (models/tests/split-cases.json).
- ``split_of_case_id``: the rule before it (sha256 of the case id), which an upgraded library
  keeps for the cases a job may already have used (the app then writes the side into the
  manifest, which the trainer follows).
- ``split_ids``: a seeded fraction of a dataset, for training a base model (``train``) and for
  choosing the replay and anchor sample from the shipped model's split (``replay``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np

#: About one case in this many is a validation case.
VALIDATION_ONE_IN = 4
#: The gate judges a result on at least this many validation cases (preload/split.ts:
#: minValidationCases); a job with fewer still runs, and the app keeps its result as a candidate.
MIN_VALIDATION = 5
#: A job runs with at least this many validation cases (something to score)...
MIN_RUN_VALIDATION = 1
#: ...and at least this many training cases to learn from.
MIN_TRAIN = 1
#: How ``split_of_file`` decides, in words (fine-tuned cards record it).
SPLIT_RULE = f"sha256 of the image's bytes (1 in {VALIDATION_ONE_IN} is validation)"


def split_of_digest(sha256_hex: str) -> str:
    """'validation' iff the first 8 hex digits of the digest are 0 modulo 4; else 'train'."""
    return "validation" if int(sha256_hex[:8], 16) % VALIDATION_ONE_IN == 0 else "train"


def split_of_bytes(data: bytes) -> str:
    """The side of an image, decided by its bytes alone (about one in four validates)."""
    return split_of_digest(hashlib.sha256(data).hexdigest())


def split_of_file(path: Union[str, Path]) -> str:
    """The side of an image file, by its bytes (read in blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return split_of_digest(digest.hexdigest())


def split_of_case_id(case_id: str) -> str:
    """The rule before issue 17: the side by sha256 of the case id (kept for upgraded libraries)."""
    return split_of_digest(hashlib.sha256(case_id.encode("utf-8")).hexdigest())


def split_ids(ids: Sequence[str], val_fraction: float, seed: int) -> Tuple[List[str], List[str]]:
    """Deterministic train/validation split: the same ids and seed give the same split."""
    ordered = sorted(ids)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(ordered))
    n_val = int(round(len(ordered) * val_fraction))
    if len(ordered) > 1:
        n_val = min(max(n_val, 1), len(ordered) - 1) if val_fraction > 0 else 0
    val = sorted(ordered[i] for i in perm[:n_val])
    train = sorted(ordered[i] for i in perm[n_val:])
    return train, val
