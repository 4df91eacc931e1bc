"""How the interactive model's inputs are encoded and its output pasted back: pure NumPy.

The one Python definition of the geometry in ISSUE16-SPEC.md; its TypeScript twin is
``preload/interactive.ts`` (main, CLI and renderer). Both check the same cases,
``models/tests/interactive-encoding-cases.json`` (written by ``models/tests/make_interactive_cases.py``),
so training (here) and inference (there) encode a click or a mask identically.

Coordinates: a region is integer ``[x0, y0, x1, y1)`` in image pixels; the model sees it as a
``GRID`` x ``GRID`` grid. Image pixel (x, y), whose centre is (x + 0.5, y + 0.5), lies at grid
coordinates ``u = (x + 0.5 - x0) * GRID / w - 0.5``, ``v = (y + 0.5 - y0) * GRID / h - 0.5``, so
grid pixel (i, j) has its centre at (u, v) = (j, i).
"""

from __future__ import annotations

import math
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np

GRID = 256
CLICK_RADIUS = 5
MAX_CLICKS = 20
MIN_REGION = 8  # a region narrower than this is refused
CLICK_REGION_MARGIN = 0.4  # of the larger side, on each side
CLICK_REGION_MIN = 64  # image pixels a side, at least
REGION_RULE = (
    "Box tool: the person's box, clamped to the image. Click without a box: the bounding box of the current "
    "mask within reach of the clicks (its 8-connected components that have a pixel at a Chebyshev distance of "
    "at most max(64, ceil(0.05 * max(W, H))) from a click) together with every click, widened by "
    "ceil(0.4 * its larger side) on each side, grown to at least 64 pixels a side (centred), clamped to the "
    "image. The region stays fixed for a run of clicks."
)

Region = Tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
Click = Tuple[int, int, bool]  # x, y (integer image pixel), positive
GridClick = Tuple[float, float, bool]  # u, v, positive


def clamp_region(x0: int, y0: int, x1: int, y1: int, width: int, height: int) -> Region:
    """The region clamped to a width x height image; ValueError when it is inverted or under 8 pixels a side."""
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"the box {x0},{y0},{x1},{y1} is empty or inverted (x1 must exceed x0 and y1 exceed y0)")
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if cx1 - cx0 < MIN_REGION or cy1 - cy0 < MIN_REGION:
        raise ValueError(f"the box {x0},{y0},{x1},{y1} covers less than {MIN_REGION}x{MIN_REGION} pixels of the "
                         f"{width}x{height} image")
    return cx0, cy0, cx1, cy1


def to_grid(x: float, y: float, region: Region) -> Tuple[float, float]:
    """Grid coordinates (u, v) of image pixel (x, y) (its centre) in a region."""
    x0, y0, x1, y1 = region
    return (x + 0.5 - x0) * GRID / (x1 - x0) - 0.5, (y + 0.5 - y0) * GRID / (y1 - y0) - 0.5


def grid_clicks(clicks: Iterable[Click], region: Region) -> List[GridClick]:
    """Image-pixel clicks as grid clicks."""
    return [(*to_grid(x, y, region), bool(p)) for x, y, p in clicks]


def click_maps(clicks: Sequence[GridClick], grid: int = GRID, radius: float = CLICK_RADIUS) -> np.ndarray:
    """float32 2 x grid x grid: channel 0 positive discs, channel 1 negative discs.

    Grid pixel (i, j) is 1 when (j - u)^2 + (i - v)^2 <= r^2 (float64, as JavaScript computes it).
    """
    maps = np.zeros((2, grid, grid), np.float32)
    idx = np.arange(grid, dtype=np.float64)
    r2 = float(radius) * float(radius)
    for u, v, positive in clicks:
        du = (idx - u) ** 2
        dv = (idx - v) ** 2
        disc = dv[:, None] + du[None, :] <= r2
        maps[0 if positive else 1][disc] = 1.0
    return maps


def sample_prev(mask: Optional[np.ndarray], region: Region, grid: int = GRID) -> np.ndarray:
    """float32 grid x grid: the mask at the image pixel under each grid pixel's centre (zeros without a mask).

    Row i reads image row floor(y0 + (i + 0.5) * h / grid): exact in floating point, because
    (i + 0.5) * h is exact and grid is a power of two.
    """
    if mask is None:
        return np.zeros((grid, grid), np.float32)
    x0, y0, x1, y1 = region
    rows = np.floor(y0 + (np.arange(grid) + 0.5) * (y1 - y0) / grid).astype(np.int64)
    cols = np.floor(x0 + (np.arange(grid) + 0.5) * (x1 - x0) / grid).astype(np.int64)
    return (np.asarray(mask)[rows[:, None], cols[None, :]] > 0).astype(np.float32)


def _linear_taps(n_in: int, n_out: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source index pairs and weights of align-corners-false linear resizing (torch's rule: the
    source coordinate (d + 0.5) * n_in / n_out - 0.5, clamped at 0 below; the upper tap clamped to
    the last index)."""
    src = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
    src = np.maximum(src, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def resize_bilinear(prob: np.ndarray, width: int, height: int) -> np.ndarray:
    """A 2-D map resized to height x width, bilinear, align-corners false (F.interpolate's rule), float64."""
    prob = np.asarray(prob, np.float64)
    r0, r1, fr = _linear_taps(prob.shape[0], height)
    c0, c1, fc = _linear_taps(prob.shape[1], width)
    top = prob[r0][:, c0] * (1 - fc) + prob[r0][:, c1] * fc
    bottom = prob[r1][:, c0] * (1 - fc) + prob[r1][:, c1] * fc
    return top * (1 - fr[:, None]) + bottom * fr[:, None]


def paste_back(prob: np.ndarray, region: Region, mask: Optional[np.ndarray], width: int, height: int,
               threshold: float = 0.5) -> np.ndarray:
    """The new mask: ``mask`` (or empty) with the region replaced by the thresholded, resized probability."""
    x0, y0, x1, y1 = region
    out = np.zeros((height, width), bool) if mask is None else np.array(mask, dtype=bool, copy=True)
    out[y0:y1, x0:x1] = resize_bilinear(prob, x1 - x0, y1 - y0) >= threshold
    return out


def _components_near(mask: np.ndarray, clicks: Sequence[Click], reach: int) -> np.ndarray:
    """The 8-connected components of ``mask`` with a pixel within Chebyshev distance ``reach`` of a
    click: a flood fill from the mask pixels in the clicks' windows (plain Python; the Python
    side only needs it for tests and fixtures, the app computes it in TypeScript)."""
    h, w = mask.shape
    seen = np.zeros_like(mask, bool)
    stack: List[Tuple[int, int]] = []
    for x, y, _p in clicks:
        ys, xs = np.nonzero(mask[max(0, y - reach): min(h, y + reach + 1), max(0, x - reach): min(w, x + reach + 1)])
        for yy, xx in zip((ys + max(0, y - reach)).tolist(), (xs + max(0, x - reach)).tolist()):
            if not seen[yy, xx]:
                seen[yy, xx] = True
                stack.append((yy, xx))
    while stack:
        y, x = stack.pop()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                yy, xx = y + dy, x + dx
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not seen[yy, xx]:
                    seen[yy, xx] = True
                    stack.append((yy, xx))
    return seen


def click_region(mask: Optional[np.ndarray], clicks: Sequence[Click], width: int, height: int) -> Region:
    """The region a run of clicks works on when there is no box (REGION_RULE in words)."""
    if not clicks:
        raise ValueError("a region without a box needs at least one click")
    xs = [x for x, _, _ in clicks]
    ys = [y for _, y, _ in clicks]
    bx0, by0, bx1, by1 = min(xs), min(ys), max(xs) + 1, max(ys) + 1
    if mask is not None:
        reach = max(CLICK_REGION_MIN, math.ceil(0.05 * max(width, height)))
        near = _components_near(np.asarray(mask, bool), clicks, reach)
        rows = np.flatnonzero(near.any(axis=1))
        cols = np.flatnonzero(near.any(axis=0))
        if rows.size:
            bx0, bx1 = min(bx0, int(cols[0])), max(bx1, int(cols[-1]) + 1)
            by0, by1 = min(by0, int(rows[0])), max(by1, int(rows[-1]) + 1)
    margin = math.ceil(CLICK_REGION_MARGIN * max(bx1 - bx0, by1 - by0))
    bx0, by0, bx1, by1 = bx0 - margin, by0 - margin, bx1 + margin, by1 + margin
    bx0, bx1 = _grow(bx0, bx1, CLICK_REGION_MIN)
    by0, by1 = _grow(by0, by1, CLICK_REGION_MIN)
    return clamp_region(bx0, by0, bx1, by1, width, height)


def _grow(a: int, b: int, least: int) -> Tuple[int, int]:
    """[a, b) grown to ``least`` long, the extra split evenly (the odd pixel goes after)."""
    if b - a >= least:
        return a, b
    extra = least - (b - a)
    return a - extra // 2, b + extra - extra // 2


def encode(image_crop: np.ndarray, clicks: Sequence[GridClick], prev: np.ndarray) -> Tuple[np.ndarray, ...]:
    """The three model inputs (batch of one) from a preprocessed 3 x GRID x GRID crop, grid clicks and prev."""
    return (np.asarray(image_crop, np.float32)[None], click_maps(clicks)[None],
            np.asarray(prev, np.float32)[None, None])


def run_lengths(flat: np.ndarray) -> List[int]:
    """Run lengths of a 0/1 sequence, starting with a run of zeros (possibly 0 long): the fixture's compact form."""
    flat = np.asarray(flat).ravel() > 0
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    edges = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(edges).tolist()
    return ([0] + runs) if flat.size and flat[0] else runs


def from_run_lengths(runs: Sequence[int], size: int) -> np.ndarray:
    """Inverse of run_lengths: a flat bool array of ``size`` values."""
    out = np.zeros(size, bool)
    pos, value = 0, False
    for r in runs:
        if value:
            out[pos:pos + r] = True
        pos += r
        value = not value
    if pos != size:
        raise ValueError(f"run lengths cover {pos} values, not {size}")
    return out
