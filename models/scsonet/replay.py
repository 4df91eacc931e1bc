"""The committed replay and anchor sample (models/replay/), chosen from the shipped model's data.

Fine-tuning mixes replay pairs from the data the base model learnt from into every epoch so
the model does not forget it, and scores base and candidate on a fixed anchor set the base
never trained on. Both must ship with the app (the full dataset may not: CC BY-NC, and too
big), so a small sample is committed:

- ``train/``: pairs from the shipped model's training split (what it learnt; safe to replay);
- ``anchor/``: pairs from its validation split (what it was judged on; never trained on).

The split is the shipped model's own (``split.split_ids`` over all ids, fraction 0.15, seed
42: its card's ``training.split``); each sample is a seeded choice without replacement over
the sorted ids of its split. Files are copied byte for byte.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .data import DatasetError, Pair, index_dataset
from .split import split_ids

SAMPLES = ("train", "anchor")


def choose_replay_sample(
    ids: Sequence[str], n_train: int = 250, n_anchor: int = 50, seed: int = 2017, val_fraction: float = 0.15,
    split_seed: int = 42,
) -> Tuple[List[str], List[str]]:
    """(replay ids from the model's training split, anchor ids from its validation split), sorted.

    One generator seeded with ``seed`` draws the replay ids first, then the anchor ids.
    """
    train_ids, val_ids = split_ids(ids, val_fraction, split_seed)
    for wanted, have, name in ((n_train, train_ids, "training"), (n_anchor, val_ids, "validation")):
        if wanted > len(have):
            raise DatasetError(f"the model's {name} split has {len(have)} pairs; {wanted} were asked for")
    rng = np.random.default_rng(seed)
    replay = rng.choice(sorted(train_ids), size=n_train, replace=False)
    anchor = rng.choice(sorted(val_ids), size=n_anchor, replace=False)
    return sorted(str(i) for i in replay), sorted(str(i) for i in anchor)


def _copy_pairs(pairs: Sequence[Pair], folder: Path) -> None:
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir(parents=True)
    for pair in pairs:
        shutil.copyfile(pair.image, folder / "images" / pair.image.name)
        shutil.copyfile(pair.mask, folder / "masks" / pair.mask.name)


def write_replay_sample(
    data: Path, out: Path, n_train: int = 250, n_anchor: int = 50, seed: int = 2017, val_fraction: float = 0.15,
    split_seed: int = 42,
) -> Dict:
    """Copies the chosen pairs to out/train and out/anchor (replacing them); returns a summary.

    Both folders are written in a temporary sibling first and swapped in at the end, so a
    failed run leaves the committed sample as it was. Other files in ``out`` (README.md) stay.
    """
    index = index_dataset(Path(data))
    by_id = {p.id: p for p in index.pairs}
    chosen = choose_replay_sample(list(by_id), n_train, n_anchor, seed, val_fraction, split_seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".replay-sample-{os.getpid()}"
    try:
        for name, ids in zip(SAMPLES, chosen):
            _copy_pairs([by_id[i] for i in ids], tmp / name)
        for name in SAMPLES:
            if (out / name).exists():
                shutil.rmtree(out / name)
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"data": str(data), "out": str(out), "pairs": len(by_id), "train": len(chosen[0]), "anchor": len(chosen[1]),
            "seed": seed, "split": {"val_fraction": val_fraction, "seed": split_seed}}
