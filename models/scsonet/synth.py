"""Synthetic dermoscopy-like image/mask pairs for tests and benchmarks (deterministic by seed).

Not a substitute for real data: they exercise decoding, resizing, training and fine-tuning
code paths with images that have the features that trip segmenters up (hair, vignetting,
ruler marks, multi-coloured irregular lesions, skin texture).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WORK_MAX_SIDE = 768
SIZES: Tuple[Tuple[int, int], ...] = ((256, 256), (640, 480), (1024, 768), (3008, 2000), (6000, 4000))
DOMAINS = ("default", "shifted")


def _smooth_noise(rng: np.random.Generator, w: int, h: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0,1]: a coarse random grid upsampled bicubically."""
    gw, gh = max(2, cells), max(2, int(cells * h / max(w, 1)) + 1)
    grid = (rng.random((gh, gw)) * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(grid).resize((w, h), Image.BICUBIC), dtype=np.float32) / 255.0


def _lesion_shape(rng: np.random.Generator) -> Tuple[float, float, float, List[Tuple[int, float, float]]]:
    cx = 0.5 + rng.uniform(-0.15, 0.15)
    cy = 0.5 + rng.uniform(-0.15, 0.15)
    r0 = rng.uniform(0.14, 0.32)
    harmonics = [(k, rng.uniform(0.0, 0.35 / k), rng.uniform(0, 2 * math.pi)) for k in range(2, 9)]
    return cx, cy, r0, harmonics


def _lesion_mask(shape, w: int, h: int, rows: Optional[slice] = None) -> np.ndarray:
    """Boolean lesion mask evaluated exactly at w x h (so masks are crisp at any size)."""
    cx, cy, r0, harmonics = shape
    s = min(w, h)
    ys = np.arange(h, dtype=np.float32)[:, None] if rows is None else np.arange(rows.start, rows.stop, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    dx = (xs + 0.5 - cx * w) / s
    dy = (ys + 0.5 - cy * h) / s
    theta = np.arctan2(dy, dx)
    radius = np.full_like(theta, r0)
    for k, a, phi in harmonics:
        radius += r0 * a * np.cos(k * theta + phi)
    return dx * dx + dy * dy < radius * radius


def synth_pair(
    seed: int, width: int = 256, height: int = 256, domain: str = "default"
) -> Tuple[Image.Image, np.ndarray]:
    """One synthetic RGB image and its boolean lesion mask, both width x height."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; choose one of {', '.join(DOMAINS)}")
    rng = np.random.default_rng(seed)
    scale = min(1.0, WORK_MAX_SIDE / max(width, height))
    w, h = max(32, int(round(width * scale))), max(32, int(round(height * scale)))

    skin = np.array([rng.uniform(200, 240), rng.uniform(150, 195), rng.uniform(130, 175)], dtype=np.float32)
    texture = 0.85 + 0.2 * _smooth_noise(rng, w, h, 6) + 0.06 * _smooth_noise(rng, w, h, 40)
    img = texture[..., None] * skin[None, None, :]

    shape = _lesion_shape(rng)
    inside = _lesion_mask(shape, w, h).astype(np.float32)
    soft = np.asarray(Image.fromarray((inside * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(max(1, w / 200))), np.float32) / 255
    light = np.array([rng.uniform(150, 190), rng.uniform(95, 130), rng.uniform(60, 90)], np.float32)
    dark = np.array([rng.uniform(50, 95), rng.uniform(30, 55), rng.uniform(20, 40)], np.float32)
    blue_grey = np.array([105, 115, 135], np.float32)
    mix = np.clip(_smooth_noise(rng, w, h, 10) * 1.4 - 0.2, 0, 1)[..., None]
    lesion = light * (1 - mix) + dark * mix
    veil = (_smooth_noise(rng, w, h, 8) > 0.7).astype(np.float32)[..., None] * rng.uniform(0.0, 0.6)
    lesion = lesion * (1 - veil) + blue_grey * veil
    dots = (rng.random((h, w)) < 0.002).astype(np.float32)
    dots = np.asarray(Image.fromarray((dots * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3)), np.float32)[..., None] / 255
    lesion = lesion * (1 - dots * inside[..., None]) + 20 * dots * inside[..., None]
    if domain == "shifted":
        # Another dermoscope: cold white balance, paler lesions, stronger vignetting.
        lesion = lesion * 0.6 + skin * 0.4
        img = img * np.array([0.8, 0.95, 1.2], np.float32)
        lesion = lesion * np.array([0.8, 0.95, 1.2], np.float32)
    img = img * (1 - soft[..., None]) + lesion * soft[..., None]

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rr = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2)
    strength = rng.uniform(0.2, 0.5) * (1.6 if domain == "shifted" else 1.0)
    img = img * np.clip(1 - strength * np.clip(rr - 0.6, 0, None) ** 1.5, 0.05, 1)[..., None]
    if rng.random() < 0.3:  # the black circle of a contact dermoscope
        img = img * (rr < rng.uniform(1.0, 1.2))[..., None]

    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    for _ in range(int(rng.integers(0, 12))):  # hairs: dark quadratic curves
        p0, p1, p2 = (rng.uniform(-0.1, 1.1, 2) * (w, h) for _ in range(3))
        pts = [tuple((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t * t * p2) for t in np.linspace(0, 1, 40)]
        shade = int(rng.uniform(10, 60))
        draw.line(pts, fill=(shade, shade // 2 + 5, shade // 3), width=max(1, int(rng.uniform(0.002, 0.006) * w)))
    if rng.random() < 0.3:  # ruler marks along the bottom edge
        y0 = int(h * 0.94)
        step = max(4, w // 60)
        for i, x in enumerate(range(step, w - step, step)):
            draw.line([(x, y0), (x, y0 - (h // 30 if i % 5 == 0 else h // 60))], fill=(25, 25, 25), width=max(1, w // 400))

    if (w, h) != (width, height):
        pil = pil.resize((width, height), Image.BICUBIC)
        grain = np.random.default_rng(seed + 1).integers(-6, 7, size=(height, width, 1), dtype=np.int16)
        pil = Image.fromarray(np.clip(np.asarray(pil, np.int16) + grain, 0, 255).astype(np.uint8))
    mask = np.concatenate([_lesion_mask(shape, width, height, slice(r, min(r + 512, height))) for r in range(0, height, 512)])
    return pil, mask


def write_synthetic_dataset(
    out: Path, count: int, seed: int = 0, sizes: Sequence[Tuple[int, int]] = ((256, 256),), domain: str = "default",
    image_format: str = "jpg",
) -> List[str]:
    """Writes images/<id>.<fmt> and masks/<id>.png (0/255); returns the ids."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(count):
        w, h = sizes[i % len(sizes)]
        image, mask = synth_pair(seed * 100_003 + i, w, h, domain)
        stem = f"synth_{seed:04d}_{i:05d}"
        if image_format == "jpg":
            image.save(out / "images" / f"{stem}.jpg", quality=92)
        else:
            image.save(out / "images" / f"{stem}.{image_format}")
        Image.fromarray(mask.astype(np.uint8) * 255).save(out / "masks" / f"{stem}.png")
        ids.append(stem)
    return ids


def parse_size(text: str) -> Tuple[int, int]:
    """'1024x768' -> (1024, 768)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise ValueError(f"size {text!r} is not WIDTHxHEIGHT") from exc
    if not (16 <= w <= 20000 and 16 <= h <= 20000):
        raise ValueError(f"size {text} is outside 16..20000 pixels a side")
    return w, h
