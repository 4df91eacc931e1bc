"""Training the interactive model (RITM / DeepEdit style) on the automatic model's training split.

Each sample: the pair is flipped, rotated, zoomed and colour-jittered (``augment_batch``), then
cropped around its lesion with a jittered margin (a hurried box as ``clicks.hurried_box`` draws
it, a generous box, or the whole image), resized to the 256 grid, and at random degraded (shrunk
by 1.5-4x and enlarged back) so that both sharp crops of large photos and enlarged crops of small
images are seen. The previous mask is the automatic model's prediction, nothing, or a corrupted
ground truth. Some samples get no click (a box alone must work); the others get a first click
where their previous mask is most wrong, then 0-3 more from the errors of the network's own
prediction (no gradient), each prediction fed back as the next previous mask (RITM's iterative
training). The loss (BCE + Dice) is on the last step only.

The held-out pairs of the split are never read here. Nothing is chosen on them: the schedule is
fixed (cosine over the planned epochs) and the last epoch's weights are the model.
"""

from __future__ import annotations

import json
import math

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .augment import augment_batch, minmax_scale
from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .clicks import edt_squared
from .data import load_dataset, select
from .interactive import GRID, click_maps
from .interactive_model import CLICK_GAIN, KIND, PREV_GAIN, forward, from_automatic
from .losses import bce_dice_loss
from .split import split_ids
from .train import evaluate_cases, model_from_checkpoint as automatic_from_checkpoint

RECIPE = (
    "Initialised from the automatic model (extra input weights zero). AdamW lr {lr} (weight decay 0.01), cosine "
    "to 1e-5 over {epochs} epochs of the 1,700 training pairs or {minutes} minutes, whichever ends first (the "
    "rate follows the further of the two; the epoch count in 'epochs' is where it ended), batch {batch}, BCE + Dice on the last step. Per "
    "sample: flips, rotation, zoom 0.8-1.25, colour jitter; crop around the lesion: 45 % a hurried box (true box "
    "widened 10 %, each side moved by up to 15 % of the lesion's size), 35 % a generous box (margin 5-60 % of "
    "the lesion's size per side, jittered), 20 % the whole image; resized to 256x256 (antialiased bilinear); "
    "45 % degraded (shrunk by 1.5-4x, enlarged back). Previous mask: the automatic model's prediction (40 %), "
    "none (30 %), a corrupted ground truth (30 %: dilated or eroded, shifted, blobs added or cut). 25 % of "
    "samples get no click; the others a first click at the error of their previous mask farthest from its "
    "border (the protocol's simulator), then 0-3 further clicks from the errors of the network's own "
    "no-gradient predictions, each prediction fed back as the previous mask (RITM's iterative training). The "
    "300 held-out pairs are never read; the last epoch's weights are the model (no selection)."
)


@dataclass
class TrainConfig:
    data: str
    work: str
    base: str
    epochs: int = 12
    minutes: float = 0.0
    batch_size: int = 8
    lr: float = 1e-3
    threads: int = 2
    seed: int = 42
    val_fraction: float = 0.15


def _bbox(mask: np.ndarray) -> Optional[Tuple[int, int, int, int]]:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def sample_region(mask: np.ndarray, rng: np.random.Generator) -> Tuple[int, int, int, int]:
    """A training crop around the lesion: hurried box, generous box or the whole image."""
    h, w = mask.shape
    box = _bbox(mask)
    mode = rng.random()
    if box is None or mode < 0.20:
        return 0, 0, w, h
    x0, y0, x1, y1 = box
    lw, lh = x1 - x0, y1 - y0
    if mode < 0.65:  # hurried: widened 10 %, each side moved by up to 15 % of the lesion's size
        j = rng.uniform(-0.15, 0.15, 4)
        m = (0.05, 0.05, 0.05, 0.05)
    else:  # generous, jittered
        j = rng.uniform(-0.1, 0.1, 4)
        m = tuple(rng.uniform(0.05, 0.6, 4))
    bx0 = round(x0 - m[0] * lw + j[0] * lw)
    bx1 = round(x1 + m[1] * lw + j[1] * lw)
    by0 = round(y0 - m[2] * lh + j[2] * lh)
    by1 = round(y1 + m[3] * lh + j[3] * lh)
    bx0, by0 = max(0, min(bx0, w - 8)), max(0, min(by0, h - 8))
    bx1, by1 = min(w, max(bx1, bx0 + 8)), min(h, max(by1, by0 + 8))
    return bx0, by0, bx1, by1


def _nearest_rows(a: int, b: int) -> torch.Tensor:
    return torch.floor(a + (torch.arange(GRID, dtype=torch.float64) + 0.5) * (b - a) / GRID).long()


def crop_batch(images: torch.Tensor, masks: torch.Tensor, regions) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images resized from their regions (antialiased bilinear), ground truth (bilinear, >= 0.5) and the
    automatic mask sampled as the spec samples a previous mask (nearest at grid pixel centres)."""
    xs, gts, autos = [], [], []
    for k, (x0, y0, x1, y1) in enumerate(regions):
        im = images[k: k + 1, :, y0:y1, x0:x1]
        xs.append(F.interpolate(im, size=(GRID, GRID), mode="bilinear", align_corners=False, antialias=True))
        gt = masks[k: k + 1, :1, y0:y1, x0:x1]
        gts.append((F.interpolate(gt, size=(GRID, GRID), mode="bilinear", align_corners=False) >= 0.5).float())
        rows, cols = _nearest_rows(y0, y1), _nearest_rows(x0, x1)
        autos.append(masks[k: k + 1, 1:2][:, :, rows][:, :, :, cols])
    return torch.cat(xs), torch.cat(gts), torch.cat(autos)


def degrade_batch(x: torch.Tensor, rng: np.random.Generator, p: float = 0.45) -> torch.Tensor:
    """Some crops shrunk by 1.5-4x (antialiased) and enlarged back: the look of an enlarged small image."""
    out = x.clone()
    for k in range(x.shape[0]):
        if rng.random() < p:
            size = max(16, int(round(GRID / rng.uniform(1.5, 4.0))))
            small = F.interpolate(x[k: k + 1], size=(size, size), mode="bilinear", align_corners=False, antialias=True)
            out[k: k + 1] = F.interpolate(small, size=(GRID, GRID), mode="bilinear", align_corners=False)
    return out


def corrupt(gt: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """A wrong-but-plausible previous mask from the ground truth (1 x H x W)."""
    m = gt[None]
    k = int(rng.integers(1, 6)) * 2 + 1
    if rng.random() < 0.5:
        m = F.max_pool2d(m, k, 1, k // 2)  # dilated
    else:
        m = 1 - F.max_pool2d(1 - m, k, 1, k // 2)  # eroded
    m = torch.roll(m, shifts=(int(rng.integers(-12, 13)), int(rng.integers(-12, 13))), dims=(2, 3))
    yy, xx = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
    for _ in range(int(rng.integers(0, 3))):
        cy, cx, r = rng.integers(0, GRID), rng.integers(0, GRID), rng.integers(8, 40)
        blob = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r).float()[None, None]
        m = torch.maximum(m, blob) if rng.random() < 0.5 else m * (1 - blob)
    return m[0]


def error_click(gt: np.ndarray, pred: np.ndarray, clicked: List[Tuple[float, float]]) -> Optional[Tuple[float, float, bool]]:
    """The simulator's next click on a 2x-subsampled grid (cheaper; a 2-pixel error is no click
    a person would make anyway), in grid coordinates; None when nothing is wrong."""
    g, p = gt[::2, ::2], pred[::2, ::2]
    fn = edt_squared(g & ~p)
    fp = edt_squared(~g & p)
    for u, v in clicked:
        fn[int(v) // 2, int(u) // 2] = 0
        fp[int(v) // 2, int(u) // 2] = 0
    fn_max, fp_max = fn.max(), fp.max()
    if fn_max == 0 and fp_max == 0:
        return None
    positive = bool(fn_max > fp_max)
    dt = fn if positive else fp
    flat = int(np.argmax(dt.ravel() == dt.max()))
    i, j = divmod(flat, g.shape[1])
    return 2 * j + 0.5, 2 * i + 0.5, positive


def encode_clicks(clicks: List[List[Tuple[float, float, bool]]]) -> torch.Tensor:
    return torch.from_numpy(np.stack([click_maps(c) for c in clicks]))


def make_batch(model, images, masks, rng):
    """(x, clicks, prev, gt) for one training step, with the iterative click simulation."""
    n = images.shape[0]
    regions = [sample_region(masks[k, 0].numpy() >= 0.5, rng) for k in range(n)]
    x, gt, auto = crop_batch(images, masks, regions)
    x = minmax_scale(degrade_batch(x, rng))
    prev = torch.zeros_like(gt)
    for k in range(n):
        r = rng.random()
        if r < 0.40:
            prev[k] = auto[k]
        elif r >= 0.70:
            prev[k] = corrupt(gt[k], rng)
    gt_np = gt[:, 0].numpy() >= 0.5
    clicks: List[List[Tuple[float, float, bool]]] = [[] for _ in range(n)]
    clicking = [rng.random() >= 0.25 for _ in range(n)]
    for k in range(n):
        if clicking[k]:
            c = error_click(gt_np[k], prev[k, 0].numpy() >= 0.5, [])
            if c is not None:
                clicks[k].append(c)
    iterations = int(rng.choice([0, 1, 2, 3], p=[0.4, 0.3, 0.2, 0.1]))
    if iterations:
        model.eval()
        with torch.no_grad():
            for _ in range(iterations):
                prob = torch.sigmoid(forward(model, x, encode_clicks(clicks), prev))
                pred = prob >= 0.5
                for k in range(n):
                    if not clicking[k]:
                        continue
                    prev[k] = pred[k].float()
                    c = error_click(gt_np[k], pred[k, 0].numpy(), [(u, v) for u, v, _ in clicks[k]])
                    if c is not None:
                        clicks[k].append(c)
        model.train()
    return x, encode_clicks(clicks), prev, gt


def _automatic_predictions(cache: Path, automatic, images: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """The automatic model's masks of the training pairs, kept in the work folder (bit-packed) so
    a resumed run does not predict them again (minutes on a busy CPU)."""
    shape = masks.shape
    if cache.is_file():
        packed = np.load(cache)
        if packed.shape[0] == shape[0]:
            return np.unpackbits(packed, axis=1)[:, : shape[1] * shape[2]].reshape(shape).astype(bool)
    t0 = time.time()
    predictions: List[np.ndarray] = []
    evaluate_cases(automatic, images, masks, predictions=predictions)
    out = np.stack(predictions)
    np.save(cache, np.packbits(out.reshape(shape[0], -1), axis=1))
    print(f"automatic predictions of {len(out)} training pairs in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return out


def train(cfg: TrainConfig, resume: Optional[str] = None) -> None:
    torch.set_num_threads(max(1, cfg.threads))
    work = Path(cfg.work)
    work.mkdir(parents=True, exist_ok=True)
    ds = load_dataset(Path(cfg.data))
    train_ids, val_ids = split_ids(ds.ids, cfg.val_fraction, cfg.seed)
    images_np, masks_np = select(ds, train_ids)  # the held-out pairs are never selected
    del ds
    base_ckpt, base_sha = read_checkpoint(Path(cfg.base))
    automatic = automatic_from_checkpoint(base_ckpt)
    auto_masks = _automatic_predictions(work / f"automatic-{base_sha[:12]}.npy", automatic, images_np, masks_np)
    images = torch.from_numpy(images_np).permute(0, 3, 1, 2).float().div_(255.0)
    masks = torch.from_numpy(np.stack([masks_np, auto_masks], axis=1).astype(np.float32))
    del images_np, masks_np, auto_masks

    model = from_automatic(base_ckpt["model"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-2)
    steps_per_epoch = images.shape[0] // cfg.batch_size
    total_steps = cfg.epochs * steps_per_epoch
    generator = torch.Generator().manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    start_epoch = 0
    elapsed_before = 0.0
    if resume:
        ckpt = load_checkpoint(Path(resume))
        state = dict(ckpt["model"])
        if ckpt.get("gains") != [CLICK_GAIN, PREV_GAIN]:
            # A checkpoint from before the channel gains: the same function with today's gains.
            old = ckpt.get("gains") or [1.0, 1.0]
            w = state["enc1.weight"].clone()
            w[:, 3:5] *= old[0] / CLICK_GAIN
            w[:, 5:] *= old[1] / PREV_GAIN
            state["enc1.weight"] = w
            print("rescaled the click and previous-mask weights to the current gains; optimizer state reset",
                  file=sys.stderr)
        else:
            optimizer.load_state_dict(ckpt["optimizer"])
        model.load_state_dict(state)
        elapsed_before = float(ckpt.get("seconds", 0.0))
        generator.set_state(ckpt["generator"])
        rng = np.random.default_rng([cfg.seed, int(ckpt["epoch"])])
        start_epoch = int(ckpt["epoch"])
        print(f"resumed from {resume} at epoch {start_epoch}", file=sys.stderr)
    split = {"seed": cfg.seed, "val_fraction": cfg.val_fraction, "n_train": len(train_ids), "n_val": len(val_ids)}
    started = time.time() - elapsed_before
    budget = cfg.minutes * 60.0

    def progress(step_index: int) -> float:
        """How far along the fixed schedule: steps done of the planned epochs, or time spent of the
        budget when there is one (whichever is further), so a slow shared machine still ends with a
        fully decayed rate at its deadline."""
        done = step_index / total_steps
        return min(1.0, max(done, (time.time() - started) / budget) if budget else done)

    global_step = start_epoch * steps_per_epoch
    finished = False
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        t_epoch = time.time()
        losses: List[float] = []
        perm = torch.randperm(images.shape[0], generator=generator)
        for step in range(steps_per_epoch):
            idx = perm[step * cfg.batch_size: (step + 1) * cfg.batch_size]
            x, m = augment_batch(images[idx], masks[idx], generator, strong=True)
            x, clicks, prev, gt = make_batch(model, x, m, rng)
            loss = bce_dice_loss(forward(model, x, clicks, prev), gt)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            global_step += 1
            fraction = progress(global_step)
            for group in optimizer.param_groups:  # cosine to 1e-5
                group["lr"] = 1e-5 + (cfg.lr - 1e-5) * 0.5 * (1 + math.cos(math.pi * fraction))
            losses.append(float(loss))
            if step % 25 == 0:
                print(json.dumps({"epoch": epoch, "step": step, "loss": round(float(np.mean(losses[-25:])), 4),
                                  "lr": optimizer.param_groups[0]["lr"], "s": round(time.time() - started)}),
                      flush=True)
            if fraction >= 1.0:
                finished = True
                break
        done = epoch + 1
        seconds = time.time() - started
        training = {
            "data": "ISIC 2017 Part 1 training set: 2,000 dermoscopy images with lesion masks, resized to 256x256 "
                    "(Codella et al., arXiv:1710.05006)",
            "license": "CC BY-NC (ISIC 2017 challenge data)",
            "split": {**split, "used": "trained on the 1,700 training pairs only; the 300 held-out pairs report "
                                      "the metrics"},
            "epochs": done,
            "init": f"{base_ckpt.get('name')} {base_ckpt.get('version')} (sha256 {base_sha}), extra input weights zero",
            "recipe": RECIPE.format(lr=cfg.lr, epochs=cfg.epochs, batch=cfg.batch_size, minutes=cfg.minutes),
            "seconds": round(seconds),
            "threads": cfg.threads,
        }
        save_checkpoint(work / "last.pt", model=model.state_dict(), optimizer=optimizer.state_dict(),
                        seconds=seconds, generator=generator.get_state(), epoch=done, kind=KIND, steps=global_step,
                        config=asdict(cfg), split=split, training=training,
                        gains=[CLICK_GAIN, PREV_GAIN])
        print(json.dumps({"event": "epoch", "epoch": done, "loss": round(float(np.mean(losses)), 4),
                          "epoch_s": round(time.time() - t_epoch), "s": round(seconds)}), flush=True)
        if finished:
            print(f"the schedule ended in epoch {done} (step {global_step})", file=sys.stderr)
            break


__all__ = ["TrainConfig", "train", "make_batch", "sample_region", "error_click", "RECIPE"]
