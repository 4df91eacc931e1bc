"""The click simulator of the interactive protocol (Xu et al. 2016, as RITM implements it) and its metrics.

Next click (RITM's ``Clicker._get_next_click``): the false negatives (lesion the prediction missed)
and the false positives (skin it took) are each padded with a one-pixel frame of non-error and
Euclidean-distance transformed (distance of each error pixel's centre to the nearest non-error
pixel's centre, so the image border counts as a border); pixels already clicked count 0. The click
is positive when the largest false-negative distance exceeds the largest false-positive one
(strictly), and goes to the first pixel, in row-major order, holding that largest distance.

NoC@t: the number of clicks after which the IoU first reaches t (0 when the start already does),
``max_clicks`` (20) when it never does. Box rule (``hurried_box``): the lesion's bounding box
widened by 10 % (5 % of its width or height on each side), then each side moved by a uniform
amount in [-15 %, +15 %] of the lesion's width (left and right sides) or height (top and bottom),
rounded to whole pixels and clamped to the image, drawn with numpy's default_rng(seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .interactive import GRID, MAX_CLICKS, Region, click_maps, grid_clicks, paste_back, sample_prev

Click = Tuple[int, int, bool]  # x, y, positive


def edt_squared(mask: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance of every True pixel to the nearest False pixel (0 on False pixels),
    with a frame of False pixels around the image; exact (integers in int64). Works on H x W or
    on a batch N x H x W.

    Separable: g(k, j), the distance along row k to the nearest False pixel, then
    D(i, j)^2 = min over k of g(k, j)^2 + (i - k)^2, taken over offsets d = |i - k| in increasing
    order and stopped once d^2 reaches every distance found (no farther row can be closer).
    NumPy, not torch: these small element-wise steps run on one thread, and a 2-thread torch
    pool on a busy 2-core machine made them 30x slower.
    """
    mask = np.asarray(mask, bool)
    h, w = mask.shape[-2:]
    idx = np.arange(w)
    zero = ~mask
    left = np.maximum.accumulate(np.where(zero, idx, -1), axis=-1)
    right = np.flip(np.minimum.accumulate(np.flip(np.where(zero, idx, w), axis=-1), axis=-1), axis=-1)
    g2 = np.minimum(idx - left, right - idx).astype(np.int64) ** 2
    best = g2.copy()
    d = 1
    while d <= h and d * d < best.max():
        # Row i against rows i - d and i + d; a row outside the image is the frame (distance 0).
        shifted = np.zeros_like(g2)
        if d < h:
            shifted[..., d:, :] = g2[..., : h - d, :]
        np.minimum(best, shifted + d * d, out=best)
        shifted[...] = 0
        if d < h:
            shifted[..., : h - d, :] = g2[..., d:, :]
        np.minimum(best, shifted + d * d, out=best)
        d += 1
    best[~mask] = 0
    return best


def next_click(gt: np.ndarray, pred: np.ndarray, clicked: Sequence[Tuple[int, int]] = ()) -> Optional[Click]:
    """RITM's next click for boolean ``gt`` and ``pred`` (H x W); None when there is no error left."""
    gt = np.asarray(gt, bool)
    pred = np.asarray(pred, bool)
    fn = edt_squared(gt & ~pred)
    fp = edt_squared(~gt & pred)
    for x, y in clicked:
        fn[y, x] = 0
        fp[y, x] = 0
    fn_max, fp_max = float(fn.max()), float(fp.max())
    if fn_max == 0 and fp_max == 0:
        return None
    positive = fn_max > fp_max
    dt = fn if positive else fp
    flat = int(np.argmax(dt.ravel() == (fn_max if positive else fp_max)))
    return flat % gt.shape[1], flat // gt.shape[1], positive


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks (1 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice of two boolean masks (1 when both are empty)."""
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(a, b).sum() / total)


def noc(ious: Sequence[float], target: float, max_clicks: int = MAX_CLICKS) -> int:
    """Clicks until the IoU first reaches ``target``; ious[k] is the IoU after k clicks (ious[0]: the start).

    0 when the start already reaches it; ``max_clicks`` when no listed step within max_clicks does.
    """
    for k, value in enumerate(ious[: max_clicks + 1]):
        if value >= target:
            return k
    return max_clicks


def hurried_box(mask: np.ndarray, rng: np.random.Generator) -> Region:
    """The box a hurried hand draws around a lesion (the module's box rule); the whole image without a lesion."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return 0, 0, w, h
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    lw, lh = x1 - x0, y1 - y0
    jitter = rng.uniform(-0.15, 0.15, size=4)
    bx0 = round(x0 - 0.05 * lw + jitter[0] * lw)
    bx1 = round(x1 + 0.05 * lw + jitter[1] * lw)
    by0 = round(y0 - 0.05 * lh + jitter[2] * lh)
    by1 = round(y1 + 0.05 * lh + jitter[3] * lh)
    bx0, by0 = max(0, min(bx0, w - 8)), max(0, min(by0, h - 8))
    bx1, by1 = min(w, max(bx1, bx0 + 8)), min(h, max(by1, by0 + 8))
    return int(bx0), int(by0), int(bx1), int(by1)


Predictor = Callable[[np.ndarray, Sequence[Tuple[float, float, bool]], np.ndarray], np.ndarray]


def crop_input(image: np.ndarray, region: Region) -> np.ndarray:
    """The model's image input for a region of a uint8 H x W x 3 image: fill-resize to the grid
    (antialiased bilinear, PIL's as the automatic pipeline), per-crop min-max, float32 3 x GRID x GRID."""
    from PIL import Image

    from .data import to_input

    x0, y0, x1, y1 = region
    crop = Image.fromarray(np.ascontiguousarray(image[y0:y1, x0:x1]))
    if crop.size != (GRID, GRID):
        crop = crop.resize((GRID, GRID), Image.BILINEAR)
    return to_input(np.asarray(crop)[None])[0]


def torch_predictor(model: torch.nn.Module) -> Predictor:
    """A predictor running the interactive network in PyTorch: (crop input, grid clicks, prev grid) -> prob grid."""
    from .interactive_model import forward

    model.eval()

    def run(crop: np.ndarray, clicks, prev: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = forward(model, torch.from_numpy(crop[None]), torch.from_numpy(click_maps(clicks)[None]),
                          torch.from_numpy(np.asarray(prev, np.float32)[None, None]))
        return torch.sigmoid(out)[0, 0].numpy()

    return run


def refine(predict: Predictor, crop: np.ndarray, region: Region, clicks: Sequence[Click], mask: Optional[np.ndarray],
           width: int, height: int, outside: Optional[np.ndarray] = None) -> np.ndarray:
    """One interactive step: encode, predict, paste back into ``outside`` (the mask kept outside the region)."""
    prob = predict(crop, grid_clicks(clicks, region), sample_prev(mask, region))
    return paste_back(prob, region, outside, width, height)


def click_session(predict: Predictor, image: np.ndarray, gt: np.ndarray, start: Optional[np.ndarray],
                  region: Optional[Region] = None, max_clicks: int = MAX_CLICKS, stop_at: float = 0.90,
                  min_clicks: int = 5) -> List[float]:
    """IoU after 0..n clicks of the simulator, from ``start`` (None: an empty mask) on ``region`` (None: whole image).

    Stops once the IoU reached ``stop_at`` and at least ``min_clicks`` clicks were made (later
    steps do not change NoC at or below stop_at, nor the IoU after 1..min_clicks clicks), or when
    no error is left (the IoU then holds for every later step), or after ``max_clicks``.
    """
    h, w = gt.shape
    region = region or (0, 0, w, h)
    crop = crop_input(image, region)
    mask = np.zeros((h, w), bool) if start is None else np.asarray(start, bool)
    ious = [iou(mask, gt)]
    clicks: List[Click] = []
    reached = ious[0] >= stop_at
    while len(clicks) < max_clicks:
        click = next_click(gt, mask, [(x, y) for x, y, _ in clicks])
        if click is None:
            break
        clicks.append(click)
        mask = refine(predict, crop, region, clicks, mask, w, h, outside=mask)
        ious.append(iou(mask, gt))
        reached = reached or ious[-1] >= stop_at
        if reached and len(clicks) >= min_clicks:
            break
    return ious


def iou_after(ious: Sequence[float], k: int) -> float:
    """IoU after k clicks; a session that stopped early keeps its last IoU."""
    return ious[min(k, len(ious) - 1)]


def summarize(sessions: Sequence[Sequence[float]]) -> Dict[str, float]:
    """Mean IoU after 1/3/5 clicks and NoC@85/NoC@90 over sessions."""
    return {
        "miou_1": round(float(np.mean([iou_after(s, 1) for s in sessions])), 4),
        "miou_3": round(float(np.mean([iou_after(s, 3) for s in sessions])), 4),
        "miou_5": round(float(np.mean([iou_after(s, 5) for s in sessions])), 4),
        "noc85": round(float(np.mean([noc(s, 0.85) for s in sessions])), 3),
        "noc90": round(float(np.mean([noc(s, 0.90) for s in sessions])), 3),
        "start_miou": round(float(np.mean([s[0] for s in sessions])), 4),
        "n": len(sessions),
    }


def degrade(image: np.ndarray, factor: int) -> np.ndarray:
    """The image shrunk by ``factor`` (antialiased) and enlarged back (bilinear): a blurrier copy, same size."""
    if factor <= 1:
        return image
    from PIL import Image

    h, w = image.shape[:2]
    small = Image.fromarray(image).resize((max(1, w // factor), max(1, h // factor)), Image.BILINEAR)
    return np.asarray(small.resize((w, h), Image.BILINEAR))


def box_dice(predict: Predictor, image: np.ndarray, gt: np.ndarray, region: Region,
             prev: Optional[np.ndarray] = None) -> float:
    """Dice of the box alone: the region re-segmented with no click, nothing kept outside it."""
    h, w = gt.shape
    mask = refine(predict, crop_input(image, region), region, [], prev, w, h)
    return dice(mask, gt)


PROTOCOL = (
    "Python simulator (scsonet/clicks.py), 256x256 held-out pairs. Box alone: the seeded hurried box "
    "(default_rng(1000 + k) for the k-th held-out pair in sorted id order), no click, empty previous mask, "
    "nothing kept outside the box; mean Dice per image ('native': the pair as it is; 'degraded_2x'/'_4x': "
    "the image shrunk 2x/4x and enlarged back first, the resolution check; 'native_prev_auto': the automatic "
    "prediction as the previous mask). Clicks: the whole image is the region; RITM's next click; from the "
    "automatic model's prediction ('auto') or an empty mask ('empty'); IoU after 1/3/5 clicks (a session "
    "with no error left keeps its IoU); NoC@85/90 with at most 20 clicks, 20 when never reached, 0 when "
    "the start already reaches it."
)


def evaluate_rows(model_path: Path, data: str, val_fraction: float, seed: int, limit: int = 0,
                  base: Optional[Path] = None, shard: Tuple[int, int] = (0, 1), box_only: bool = False) -> List[Dict]:
    """Per held-out pair (of the automatic model's split, never trained on): box Dice and click sessions.

    ``shard`` (i, n) takes every n-th pair from the i-th, so n processes share the work; the
    hurried box's seed is the pair's place in the whole held-out list either way.
    """
    from .checkpoint import load_checkpoint
    from .data import load_dataset, select
    from .interactive_model import model_from_checkpoint
    from .split import split_ids
    from .train import evaluate_cases, model_from_checkpoint as automatic_from_checkpoint

    ds = load_dataset(Path(data))
    _, val_ids = split_ids(ds.ids, val_fraction, seed)
    places = list(range(len(val_ids)))[: limit or None][shard[0]:: shard[1]]
    images, masks = select(ds, [val_ids[k] for k in places])
    del ds
    predict = torch_predictor(model_from_checkpoint(load_checkpoint(model_path)))
    auto_masks: List[np.ndarray] = []
    if base:
        evaluate_cases(automatic_from_checkpoint(load_checkpoint(base)), images, masks, predictions=auto_masks)
    rows = []
    for n, k in enumerate(places):
        image, gt = images[n], masks[n]
        region = hurried_box(gt, np.random.default_rng(1000 + k))
        row: Dict = {"id": val_ids[k], "place": k, "box": list(region), "box_dice": {
            "native": box_dice(predict, image, gt, region),
            "degraded_2x": box_dice(predict, degrade(image, 2), gt, region),
            "degraded_4x": box_dice(predict, degrade(image, 4), gt, region),
        }}
        if auto_masks:
            row["box_dice"]["native_prev_auto"] = box_dice(predict, image, gt, region, prev=auto_masks[n])
        if not box_only:
            row["ious"] = {"empty": click_session(predict, image, gt, None)}
            if auto_masks:
                row["ious"]["auto"] = click_session(predict, image, gt, auto_masks[n])
        rows.append(row)
    return rows


def summarize_rows(rows: Sequence[Dict], val_fraction: float, seed: int) -> Dict:
    """The card's metrics from per-pair rows (of one or several shards)."""
    rows = sorted(rows, key=lambda r: r["place"])
    result: Dict = {"n": len(rows), "split": f"{len(rows)} held-out pairs (seed {seed}, fraction {val_fraction})"}
    result["box_dice"] = {key: round(float(np.mean([r["box_dice"][key] for r in rows])), 4)
                          for key in rows[0]["box_dice"]}
    if "ious" in rows[0]:
        result["clicks"] = {start: summarize([r["ious"][start] for r in rows]) for start in rows[0]["ious"]}
    result["validation"] = {"mean_dsc": result["box_dice"]["native"], "n": len(rows)}
    result["protocol"] = PROTOCOL
    return result


__all__ = ["edt_squared", "next_click", "iou", "dice", "noc", "hurried_box", "click_session", "summarize",
           "box_dice", "degrade", "evaluate_rows", "summarize_rows"]
