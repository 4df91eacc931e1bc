"""``python -m scsonet interactive init|train|export|evaluate``: the interactive model's command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, Optional

import numpy as np
import torch

from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .data import to_input
from .export import seal_card
from .interactive import GRID, click_maps, grid_clicks, sample_prev
from .interactive_model import KIND, export_interactive, from_automatic, model_from_checkpoint

NAME = "scsonet-interactive"
TRAINING_DATA = ("ISIC 2017 Part 1 training set: 2,000 dermoscopy images with lesion masks, resized to 256x256 "
                 "(Codella et al., arXiv:1710.05006)")
LICENSE = "CC BY-NC (ISIC 2017 challenge data)"


def held_out(data: str, val_fraction: float, seed: int):
    """(train ids, held-out ids, dataset) of the automatic model's split of ``data``."""
    from .data import load_dataset
    from .split import split_ids

    ds = load_dataset(Path(data))
    train_ids, val_ids = split_ids(ds.ids, val_fraction, seed)
    return train_ids, val_ids, ds


def parity_inputs(images: np.ndarray, masks: np.ndarray):
    """Encoded inputs for the ONNX parity fixture: held-out crops with clicks and previous masks.

    Each case uses a different part of the interface: the whole image with no click and no mask, a
    crop with one positive click and the true mask as prev, a crop with a positive and a negative
    click and a shifted prev, and several clicks of each kind.
    """
    n = images.shape[0]
    ims, cls, prevs = [], [], []
    for k in range(n):
        mask = masks[k]
        ys, xs = np.nonzero(mask)
        cy, cx = (int(ys.mean()), int(xs.mean())) if ys.size else (128, 128)
        region = [(0, 0, 256, 256), (16, 8, 240, 250), (max(0, cx - 90), max(0, cy - 90), min(256, cx + 90),
                                                         min(256, cy + 90)), (30, 30, 200, 220)][k % 4]
        x0, y0, x1, y1 = region
        from PIL import Image

        crop = np.asarray(Image.fromarray(images[k][y0:y1, x0:x1]).resize((GRID, GRID), Image.BILINEAR))
        clicks = [[], [(cx, cy, True)], [(cx, cy, True), (x0 + 2, y0 + 3, False)],
                  [(cx, cy, True), (cx + 5, cy - 7, True), (x0 + 4, y1 - 5, False), (x1 - 3, y0 + 6, False)]][k % 4]
        prev = [None, mask, np.roll(mask, (6, -4), axis=(0, 1)), mask & (np.arange(256)[None, :] < cx)][k % 4]
        ims.append(to_input(crop[None])[0])
        cls.append(click_maps(grid_clicks(clicks, region)))
        prevs.append(sample_prev(prev, region)[None])
    return np.stack(ims), np.stack(cls), np.stack(prevs)


def write_model(model: torch.nn.Module, out: Path, version: str, training: Dict, metrics: Dict,
                parity: Optional[tuple], extra: Dict) -> Dict:
    """ONNX, card, parity fixture and the checkpoint (its hash sealed into the card)."""
    card = export_interactive(model, out, NAME, version, training, metrics, parity_inputs=parity)
    save_checkpoint(out.with_name(out.name + ".pt"), model=model.state_dict(), kind=KIND, name=NAME, version=version,
                    license=LICENSE, metrics=card["metrics"], onnx_sha256=card["sha256"], **extra)
    return seal_card(out.with_name(out.name + ".json"), [out.name + ".pt"])


def _base_reference(path: Path) -> Dict:
    ckpt, sha = read_checkpoint(path)
    return {"ckpt": ckpt, "ref": f"{ckpt.get('name')} {ckpt.get('version')} ({path.name}, sha256 {sha})"}


def run(a) -> int:
    torch.set_num_threads(max(1, a.threads))
    out = Path(a.out)
    if a.action == "init":
        base = _base_reference(Path(a.base))
        model = from_automatic(base["ckpt"]["model"]).eval()
        parity = None
        split = {"seed": a.seed, "val_fraction": a.val_fraction}
        if a.data:
            train_ids, val_ids, ds = held_out(a.data, a.val_fraction, a.seed)
            split.update(n_train=len(train_ids), n_val=len(val_ids))
            from .data import select

            parity = parity_inputs(*select(ds, val_ids[:4]))
        training = {
            "data": TRAINING_DATA, "license": LICENSE, "split": split, "epochs": 0,
            "init": f"from the automatic model {base['ref']}; the click and previous-mask channels' first-layer "
                    "weights are zero, so this version computes exactly the automatic model on the crop",
            "recipe": "untrained: the automatic model's weights (interface version for the app's developers)",
        }
        card = write_model(model, out, a.version or "0.1.0", training, {}, parity,
                           {"split": split, "epoch": 0, "base_checkpoint": base["ref"]})
        print(json.dumps({"onnx": str(out) + ".onnx", "params": card["params"], "macs_g": card["macs_g"]}))
        return 0
    if a.action == "train":
        from .interactive_train import TrainConfig, train

        if not a.data or not a.work:
            raise ValueError("interactive train needs --data and --work")
        train(TrainConfig(data=a.data, work=a.work, base=a.base, epochs=a.epochs, minutes=a.minutes,
                          batch_size=a.batch_size, lr=a.lr, threads=a.threads, seed=a.seed,
                          val_fraction=a.val_fraction), resume=a.model)
        return 0
    if a.action == "export":
        if not a.model:
            raise ValueError("interactive export needs --model (a training checkpoint)")
        ckpt = load_checkpoint(Path(a.model))
        model = model_from_checkpoint(ckpt).eval()
        metrics = json.loads(Path(a.metrics).read_text()) if a.metrics else {}
        if metrics:
            metrics.setdefault("threshold", 0.5)
        parity = None
        if a.data:
            from .data import select

            _, val_ids, ds = held_out(a.data, a.val_fraction, a.seed)
            parity = parity_inputs(*select(ds, val_ids[:4]))
        training = dict(ckpt.get("training") or {})
        if ckpt.get("steps"):
            training["steps"] = int(ckpt["steps"])
            training["samples"] = int(ckpt["steps"]) * int((ckpt.get("config") or {}).get("batch_size", 8))
        if a.note:
            training["history"] = list(a.note)
        card = write_model(model, out, a.version or "1.0.0", training, metrics, parity,
                           {"split": ckpt.get("split"), "epoch": ckpt.get("epoch"), "config": ckpt.get("config")})
        print(json.dumps({"onnx": str(out) + ".onnx", "sha256": card["sha256"]}))
        return 0
    if a.action == "evaluate":
        from .clicks import evaluate_rows, summarize_rows

        rows = []
        for path in a.from_rows or []:
            rows.extend(json.loads(Path(path).read_text()))
        if not a.from_rows:
            if not a.model or not a.data:
                raise ValueError("interactive evaluate needs --model and --data (or --from-rows)")
            index, count = (int(v) for v in a.shard.split("/"))
            rows = evaluate_rows(Path(a.model), a.data, a.val_fraction, a.seed, limit=a.limit, base=Path(a.base),
                                 shard=(index, count), box_only=a.box_only)
            if a.rows:
                Path(a.rows).write_text(json.dumps(rows) + "\n")
        print(json.dumps(summarize_rows(rows, a.val_fraction, a.seed), indent=2))
        return 0
    print(f"unknown action {a.action}", file=sys.stderr)
    return 2
