"""Training (the paper's recipe) with JSON-lines progress, checkpoints and resume."""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch

from .augment import augment_batch, minmax_scale
from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint  # noqa: F401 - re-exported
from .data import LoadedDataset, load_dataset, select
from .losses import bce_dice_loss
from .metrics import SegmentationMeter
from .network import SCSONet
from .progress import emit  # re-exported: finetune and commands print progress through train.emit
from .split import split_ids



@dataclass
class TrainConfig:
    """Hyper-parameters; the defaults are the paper's recipe except where noted."""

    data: str
    out: str
    epochs: int = 60
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-2
    t_max: int = 50
    eta_min: float = 1e-5
    val_fraction: float = 0.15
    seed: int = 42
    size: int = 256
    strong_augment: bool = True
    threads: int = 0  # 0: all cores


def pick_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_tensors(images: np.ndarray, masks: np.ndarray) -> Tuple[torch.Tensor, torch.Tensor]:
    """uint8 NHWC images and bool masks -> float NCHW in [0,1] and {0,1}."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
    y = torch.from_numpy(masks.astype(np.float32)).unsqueeze(1)
    return x, y


def batches(n: int, batch_size: int, generator: torch.Generator, drop_last: bool) -> Iterator[torch.Tensor]:
    """Shuffled index batches; drop_last keeps BatchNorm (ODConv attention) off batch size 1."""
    perm = torch.randperm(n, generator=generator)
    stop = n - (n % batch_size) if drop_last and n >= batch_size else n
    for i in range(0, stop, batch_size):
        yield perm[i : i + batch_size]


@torch.no_grad()
def predict_prob(model: torch.nn.Module, images: torch.Tensor, tta: bool = False, batch_size: int = 16) -> torch.Tensor:
    """Probabilities for float images in [0,1] (N,3,H,W); tta averages with h- and v-flips."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, images.shape[0], batch_size):
        x = minmax_scale(images[i : i + batch_size]).to(device)
        p = torch.sigmoid(model(x))
        if tta:
            p = p + torch.sigmoid(model(x.flip(-1))).flip(-1) + torch.sigmoid(model(x.flip(-2))).flip(-2)
            p = p / 3.0
        out.append(p.cpu())
    return torch.cat(out) if out else torch.zeros(0, 1, *images.shape[-2:])


def evaluate_cases(
    model: torch.nn.Module, images: np.ndarray, masks: np.ndarray, threshold: float = 0.5, tta: bool = False,
    batch_size: int = 16, predictions: Optional[List[np.ndarray]] = None,
) -> Tuple[Dict[str, float], List[float]]:
    """Pooled metrics and the Dice of every image, in order, on uint8 images and bool masks.

    Images become float one batch at a time: a float copy of a whole set is 4x its uint8 size,
    which is most of a fine-tuning job's memory at 256 px. ``predictions``, when given, receives
    every image's thresholded mask (H x W bool), in order: the masks the Dice was computed on.
    """
    meter = SegmentationMeter()
    for i in range(0, images.shape[0], batch_size):
        x, _ = to_tensors(images[i : i + batch_size], masks[i : i + batch_size])
        prob = predict_prob(model, x, tta=tta, batch_size=batch_size)
        pred = prob[:, 0].numpy() >= threshold
        meter.update(pred, masks[i : i + batch_size])
        if predictions is not None:
            predictions.extend(pred)
    return meter.compute(), list(meter.per_image_dsc)


def evaluate_arrays(
    model: torch.nn.Module, images: np.ndarray, masks: np.ndarray, threshold: float = 0.5, tta: bool = False,
    batch_size: int = 16,
) -> Dict[str, float]:
    """Pooled and per-image metrics of a model on uint8 images and bool masks."""
    return evaluate_cases(model, images, masks, threshold=threshold, tta=tta, batch_size=batch_size)[0]


def model_from_checkpoint(ckpt: Dict) -> SCSONet:
    """An SCSONet with the checkpoint's weights; a shape mismatch becomes a clear error."""
    model = SCSONet()
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise ValueError(f"checkpoint weights do not fit SCSONet: {str(exc).splitlines()[0]}") from exc
    return model


def train_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    masks: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    strong: bool,
    device: torch.device,
    should_stop: Callable[[], bool] = lambda: False,
) -> float:
    """One pass over the training arrays; returns the mean loss."""
    model.train()
    losses: List[float] = []
    for idx in batches(images.shape[0], batch_size, generator, drop_last=True):
        if should_stop():
            break
        x, y = augment_batch(images[idx], masks[idx], generator, strong=strong)
        x, y = minmax_scale(x).to(device), y.to(device)
        loss = bce_dice_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return float(np.mean(losses)) if losses else float("nan")


def train(cfg: TrainConfig, resume: Optional[str] = None) -> Dict:
    """Trains SCSONet on a dataset folder; writes last.pt, best.pt and metrics.json to cfg.out."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device()
    ds = load_dataset(Path(cfg.data), cfg.size)
    train_ids, val_ids = split_ids(ds.ids, cfg.val_fraction, cfg.seed)
    if len(train_ids) < cfg.batch_size:
        raise ValueError(f"only {len(train_ids)} training pairs; need at least one batch of {cfg.batch_size}")
    tr_x, tr_y = to_tensors(*select(ds, train_ids))
    va_img, va_mask = select(ds, val_ids)

    torch.manual_seed(cfg.seed)
    model = SCSONet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.999), weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.t_max, eta_min=cfg.eta_min)
    generator = torch.Generator().manual_seed(cfg.seed)
    start_epoch, best = 0, -1.0
    if resume:
        ckpt = load_checkpoint(Path(resume))
        model.load_state_dict(ckpt["model"])
        if "optimizer" in ckpt:
            optimizer.load_state_dict(ckpt["optimizer"])
            scheduler.load_state_dict(ckpt["scheduler"])
            generator.set_state(ckpt["generator"])
            # A resume may re-plan the rest of the cosine (e.g. fewer epochs than first
            # planned): the recursive schedule continues smoothly from the current rate.
            scheduler.T_max = cfg.t_max
        start_epoch = int(ckpt.get("epoch", 0))
        best = float(ckpt.get("best_val_dsc", -1.0))
        print(f"resumed from {resume} at epoch {start_epoch}", file=sys.stderr)

    split = {"seed": cfg.seed, "val_fraction": cfg.val_fraction, "n_train": len(train_ids), "n_val": len(val_ids)}
    emit("start", epochs=cfg.epochs, n_train=len(train_ids), n_val=len(val_ids), device=str(device), layout=ds.layout)
    started = time.time()
    metrics: Dict[str, float] = {}
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.time()
        loss = train_epoch(model, optimizer, tr_x, tr_y, cfg.batch_size, generator, cfg.strong_augment, device)
        scheduler.step()
        metrics = evaluate_arrays(model, va_img, va_mask) if val_ids else {}
        val_dsc = metrics.get("dsc", float("nan"))
        done = epoch + 1
        per_epoch = (time.time() - started) / (done - start_epoch)
        state = dict(
            model=model.state_dict(),
            optimizer=optimizer.state_dict(),
            scheduler=scheduler.state_dict(),
            generator=generator.get_state(),
            epoch=done,
            config=asdict(cfg),
            split={**split, "val_ids": val_ids},
            metrics=metrics,
        )
        if val_ids and val_dsc > best:
            best = val_dsc
            save_checkpoint(out / "best.pt", best_val_dsc=best, **state)
        save_checkpoint(out / "last.pt", best_val_dsc=best, **state)
        emit(
            "epoch",
            epoch=done,
            epochs=cfg.epochs,
            loss=round(loss, 5),
            val_dsc=round(val_dsc, 5),
            val_mean_dsc=round(metrics.get("mean_dsc", float("nan")), 5),
            lr=optimizer.param_groups[0]["lr"],
            epoch_s=round(time.time() - t0, 1),
            eta_s=round(per_epoch * (cfg.epochs - done)),
        )
    summary = {"best_val_dsc": best, "last": metrics, "epochs": cfg.epochs, "split": split}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    emit("done", best_val_dsc=best if best >= 0 else None, seconds=round(time.time() - started))
    print(
        f"trained {cfg.epochs - start_epoch} epoch(s) in {time.time() - started:.0f} s; best validation DSC {best:.4f}; "
        f"checkpoints in {out}",
        file=sys.stderr,
    )
    return summary
