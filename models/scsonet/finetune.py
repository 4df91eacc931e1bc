"""Incremental fine-tuning job: a folder in, a folder out, cancellable with SIGTERM.

The app writes a job folder (images/, masks/, optionally val.txt with one stem per line)
and runs ``python -m scsonet finetune --base model.pt --data JOB --out RESULT``. The result
folder appears only when the job succeeds (it is renamed from a temporary sibling), so the
app never sees half a model.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from .augment import augment_batch, minmax_scale
from .data import DatasetError, load_dataset, select, split_ids
from .export import export_model, sha256_file
from .losses import bce_dice_loss
from .train import (
    batches,
    emit,
    evaluate_arrays,
    load_checkpoint,
    model_from_checkpoint,
    save_checkpoint,
    to_tensors,
)


class JobCancelled(Exception):
    """Raised from the SIGTERM handler so every ``finally`` cleans up on the way out."""


@dataclass
class FinetuneConfig:
    """Fine-tuning settings: a gentler version of the training recipe."""

    base: str
    data: str
    out: str
    epochs: int = 10
    lr: float = 2e-4
    batch_size: int = 8
    patience: int = 3
    val_fraction: float = 0.2
    replay: Optional[str] = None
    replay_ratio: float = 1.0
    seed: int = 0
    size: int = 256
    version: Optional[str] = None
    threads: int = 0


def _bump_minor(version: str) -> str:
    parts = (version.split(".") + ["0", "0", "0"])[:3]
    try:
        major, minor = int(parts[0]), int(parts[1])
    except ValueError:
        return version + ".1"
    return f"{major}.{minor + 1}.0"


def _read_val_list(job: Path, ids: List[str]) -> Optional[List[str]]:
    path = job / "val.txt"
    if not path.is_file():
        return None
    wanted = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    known = set(ids)
    missing = [w for w in wanted if w not in known]
    if missing:
        print(f"warning: val.txt names {len(missing)} case(s) without a usable pair: {', '.join(missing[:5])}", file=sys.stderr)
    return sorted(w for w in wanted if w in known)


def finetune(cfg: FinetuneConfig) -> Dict:
    """Runs the job; returns metrics.json's content. Raises JobCancelled on SIGTERM."""
    out = Path(cfg.out)
    if out.exists():
        raise ValueError(f"output folder {out} already exists; choose a new one")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")

    def on_sigterm(signum, frame):
        raise JobCancelled()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        result = _run(cfg, tmp)
        os.replace(tmp, out)
        return result
    except JobCancelled:
        emit("cancelled")
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cfg: FinetuneConfig, tmp: Path) -> Dict:
    started = time.time()
    ckpt = load_checkpoint(Path(cfg.base))
    base_model = model_from_checkpoint(ckpt)
    base_name = ckpt.get("name", "scsonet")
    base_version = ckpt.get("version", "1.0.0")
    version = cfg.version or _bump_minor(base_version)

    job = Path(cfg.data)
    ds = load_dataset(job, cfg.size)
    val_ids = _read_val_list(job, ds.ids)
    if val_ids is None:
        train_ids, val_ids = split_ids(ds.ids, cfg.val_fraction, cfg.seed)
    else:
        train_ids = [i for i in ds.ids if i not in set(val_ids)]
    if not train_ids:
        raise DatasetError(f"{job} has no training pairs left after the validation split")
    if not val_ids:
        raise DatasetError(f"{job} has no validation pairs; add more cases or a val.txt")
    tr_img, tr_mask = select(ds, train_ids)
    va_img, va_mask = select(ds, val_ids)
    replay_img = replay_mask = None
    if cfg.replay:
        replay = load_dataset(Path(cfg.replay), cfg.size)
        replay_img, replay_mask = replay.images, replay.masks

    emit("start", epochs=cfg.epochs, n_train=len(train_ids), n_val=len(val_ids), replay=0 if replay_img is None else len(replay_img))
    base_metrics = evaluate_arrays(base_model, va_img, va_mask)
    emit("baseline", val_dsc=round(base_metrics["dsc"], 5), val_mean_dsc=round(base_metrics["mean_dsc"], 5))

    model = copy.deepcopy(base_model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, cfg.epochs), eta_min=cfg.lr / 20)
    generator = torch.Generator().manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    best_state, best_dsc, best_epoch, stale = copy.deepcopy(model.state_dict()), base_metrics["dsc"], 0, 0
    best_metrics = base_metrics
    batch = min(cfg.batch_size, max(2, len(train_ids)))
    for epoch in range(1, cfg.epochs + 1):
        images, masks = tr_img, tr_mask
        if replay_img is not None:
            k = min(len(replay_img), max(1, int(round(len(train_ids) * cfg.replay_ratio))))
            pick = rng.choice(len(replay_img), size=k, replace=False)
            images = np.concatenate([tr_img, replay_img[pick]])
            masks = np.concatenate([tr_mask, replay_mask[pick]])
        x, y = to_tensors(images, masks)
        model.train()
        losses = []
        for idx in batches(x.shape[0], batch, generator, drop_last=True):
            xb, yb = augment_batch(x[idx], y[idx], generator, strong=True)
            loss = bce_dice_loss(model(minmax_scale(xb)), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss))
        scheduler.step()
        metrics = evaluate_arrays(model, va_img, va_mask)
        if metrics["dsc"] > best_dsc:
            best_state, best_dsc, best_epoch, stale, best_metrics = copy.deepcopy(model.state_dict()), metrics["dsc"], epoch, 0, metrics
        else:
            stale += 1
        per_epoch = (time.time() - started) / epoch
        emit("epoch", epoch=epoch, epochs=cfg.epochs, loss=round(float(np.mean(losses)) if losses else float("nan"), 5),
             val_dsc=round(metrics["dsc"], 5), best_val_dsc=round(best_dsc, 5), eta_s=round(per_epoch * (cfg.epochs - epoch)))
        if stale >= cfg.patience:
            emit("early_stop", epoch=epoch, best_epoch=best_epoch)
            break

    model.load_state_dict(best_state)
    base_ref = {"name": base_name, "version": base_version, "checkpoint_sha256": sha256_file(Path(cfg.base))}
    save_checkpoint(tmp / "model.pt", model=model.state_dict(), name=base_name, version=version, base=base_ref,
                    epoch=best_epoch, metrics=best_metrics)
    training = {
        "data": f"fine-tuning job {job.name}: {len(train_ids)} training and {len(val_ids)} validation pairs",
        "replay": cfg.replay,
        "epochs_run": epoch,
        "best_epoch": best_epoch,
        "recipe": f"AdamW lr {cfg.lr}, cosine over {cfg.epochs} epochs, BceDice, flips/rotation/zoom/colour, early stopping (patience {cfg.patience})",
        "license": ckpt.get("license", "see base model"),
    }
    validation = {k: round(v, 5) if isinstance(v, float) else v for k, v in best_metrics.items()}
    export_model(model, tmp / "model", base_name, version, training, {"validation": validation, "split": "job validation"}, base=base_ref)
    result = {
        "base": base_metrics,
        "new": best_metrics,
        "improved": best_dsc > base_metrics["dsc"],
        "best_epoch": best_epoch,
        "epochs_run": epoch,
        "val_ids": val_ids,
        "name": base_name,
        "version": version,
        "seconds": round(time.time() - started, 1),
    }
    (tmp / "metrics.json").write_text(json.dumps(result, indent=2))
    emit("done", improved=result["improved"], base_dsc=round(base_metrics["dsc"], 5), new_dsc=round(best_dsc, 5), version=version)
    print(f"fine-tuned {base_name} {base_version} -> {version}: validation DSC {base_metrics['dsc']:.4f} -> {best_dsc:.4f}", file=sys.stderr)
    return result
