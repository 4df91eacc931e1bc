"""Which pairs train and which validate: the one home of both split rules.

- ``split_of``: the app's rule for fine-tuning cases. A case's side follows from its id alone,
  forever, so a case that validated one job never trains a later one. The app's TypeScript
  side (preload/split.ts) applies the same rule; both test the same ids
  (models/tests/split-cases.json).
- ``split_ids``: a seeded fraction of a dataset, for training a base model (``train``) and for
  choosing the replay and anchor sample from the shipped model's split (``replay``).
"""

from __future__ import annotations

import hashlib
from typing import List, Sequence, Tuple

import numpy as np

#: About one case in this many is a validation case.
VALIDATION_ONE_IN = 4
#: A job needs at least this many validation cases to be judged (preload/split.ts: minValidationCases)...
MIN_VALIDATION = 5
#: ...and at least this many training cases to learn from.
MIN_TRAIN = 1
#: How ``split_of`` decides, in words (fine-tuned cards record it).
SPLIT_RULE = f"sha256 of the case id (1 in {VALIDATION_ONE_IN} is validation)"


def split_of(case_id: str) -> str:
    """'validation' for about one case in four, decided by the case id alone; else 'train'.

    A case is validation iff the first 8 hex digits of sha256(id) are 0 modulo 4. Because only
    the id decides, a case stays on the same side in every job, so no later candidate is
    trained on a case an earlier gate judged with.
    """
    digest = hashlib.sha256(case_id.encode("utf-8")).hexdigest()
    return "validation" if int(digest[:8], 16) % VALIDATION_ONE_IN == 0 else "train"


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
