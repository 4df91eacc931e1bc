"""Acquisition changes for the domain-shift benchmark: what a second clinic's camera does to a photo.

Each shift maps a uint8 RGB image (H x W x 3) to another of the same size; the lesion mask is
unchanged (no shift moves the lesion). The colour, field stop, lens and resolution shifts are
fixed properties of a device, the same for every photo; the hair shift draws its hairs from a
seed derived from the shift's seed and the case id, so a case gets the same hairs in every run
and in every process (``zlib.crc32``, not Python's salted ``hash``).

- ``none``: the photo as it is.
- ``colour``: another dermatoscope's white balance (warmer red, much weaker blue) and a gamma of 1.8.
- ``field-stop``: a dark circular field stop (a round dermatoscope's vignette) of radius 0.47 of
  the shorter side, the corners at 6 % brightness.
- ``soft``: a softer lens at a lower resolution: blurred (Gaussian, radius 1.5 px at 256 px) and
  taken at 40 % of the side, then brought back to the full size.
- ``jpeg``: saved as JPEG at quality 12 with 4:2:0 chroma (a system that compresses hard).
- ``hair``: 50-70 dark thin curves across the photo (hair the clinic does not shave).
- ``camera``: the issue's second camera: colour + field stop + soft, one after the other.
"""

from __future__ import annotations

import io
import math
import zlib
from typing import Callable, Dict, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Shift = Callable[[np.ndarray, str, int], np.ndarray]


def _none(image: np.ndarray, case_id: str, seed: int) -> np.ndarray:
    return image.copy()


def _colour(image: np.ndarray, case_id: str, seed: int) -> np.ndarray:
    gains = np.array([1.25, 0.95, 0.65], np.float32)  # white balance of the other device
    x = np.clip(image.astype(np.float32) / 255.0 * gains, 0.0, 1.0) ** 1.8
    return np.round(x * 255.0).astype(np.uint8)


def _field_stop(image: np.ndarray, case_id: str, seed: int) -> np.ndarray:
    h, w = image.shape[:2]
    s = min(h, w)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot(xx + 0.5 - w / 2, yy + 0.5 - h / 2) / s
    # 1 inside the stop, 0.06 outside, over a soft edge 3 % of the side wide.
    t = np.clip((r - 0.47) / 0.03, 0.0, 1.0)
    gain = 1.0 - 0.94 * t
    return np.round(image.astype(np.float32) * gain[..., None]).astype(np.uint8)


def _soft(image: np.ndarray, case_id: str, seed: int) -> np.ndarray:
    h, w = image.shape[:2]
    im = Image.fromarray(image).filter(ImageFilter.GaussianBlur(1.5 * min(h, w) / 256))
    small = im.resize((max(8, round(w * 0.4)), max(8, round(h * 0.4))), Image.BILINEAR)
    return np.asarray(small.resize((w, h), Image.BICUBIC)).copy()


def _jpeg(image: np.ndarray, case_id: str, seed: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=12, subsampling=2)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB")).copy()


def case_rng(case_id: str, seed: int) -> np.random.Generator:
    """A generator that depends only on the seed and the case id (stable across processes)."""
    return np.random.default_rng([seed, zlib.crc32(case_id.encode("utf-8"))])


def _hair(image: np.ndarray, case_id: str, seed: int) -> np.ndarray:
    h, w = image.shape[:2]
    rng = case_rng(case_id, seed)
    scale = 4  # drawn at 4x and shrunk: anti-aliased hairs about 1-2 px wide
    layer = Image.new("L", (w * scale, h * scale), 0)
    draw = ImageDraw.Draw(layer)
    for _ in range(int(rng.integers(50, 71))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        angle = rng.uniform(0, 2 * math.pi)
        length = rng.uniform(0.3, 0.9) * max(h, w)
        bend = rng.uniform(-0.03, 0.03)
        points = []
        for k in range(24):
            points.append((x * scale, y * scale))
            angle += bend
            x += math.cos(angle) * length / 23
            y += math.sin(angle) * length / 23
        draw.line(points, fill=255, width=int(rng.integers(6, 12)))
    alpha = np.asarray(layer.resize((w, h), Image.BOX), np.float32)[..., None] / 255.0 * 0.85
    hair_colour = np.array([38, 28, 22], np.float32)
    return np.round(image.astype(np.float32) * (1 - alpha) + hair_colour * alpha).astype(np.uint8)


def _camera(image: np.ndarray, case_id: str, seed: int) -> np.ndarray:
    return _soft(_field_stop(_colour(image, case_id, seed), case_id, seed), case_id, seed)


SHIFTS: Dict[str, Tuple[Shift, str]] = {
    "none": (_none, "the photo as it is"),
    "colour": (_colour, "another dermatoscope's white balance and gamma 1.8"),
    "field-stop": (_field_stop, "a dark circular field stop"),
    "soft": (_soft, "a softer lens at 40 % of the resolution"),
    "jpeg": (_jpeg, "JPEG at quality 12"),
    "hair": (_hair, "50-70 dark thin hairs"),
    "camera": (_camera, "colour + field stop + soft (the issue's second camera)"),
}


def apply_shift(name: str, image: np.ndarray, case_id: str, seed: int = 17) -> np.ndarray:
    """The image as the shifted device would have taken it (uint8 RGB in, uint8 RGB out, same size)."""
    if name not in SHIFTS:
        raise ValueError(f"unknown shift {name!r}; choose from {', '.join(SHIFTS)}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a uint8 H x W x 3 image, got {image.dtype} {image.shape}")
    return SHIFTS[name][0](image, case_id, seed)
