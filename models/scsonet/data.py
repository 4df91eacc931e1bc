"""Dataset discovery (ISIC 2017, ISIC 2018, generic images/+masks/) and loading (splits: split.py)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageOps

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
# ISIC ships superpixel maps next to the images; they are not inputs.
IGNORED_STEM_SUFFIXES = ("_superpixels",)
MASK_SUFFIX = "_segmentation"
# Refuse absurd inputs before PIL allocates them (PIL's own bomb guard only warns below 2x).
Image.MAX_IMAGE_PIXELS = 200_000_000


class DatasetError(Exception):
    """A dataset folder that cannot be used, with a message meant for the user."""


class PairError(DatasetError):
    """One image/mask pair that cannot be decoded; the message starts with the file or the id.

    Datasets skip such a pair with a warning; a fine-tuning job refuses it, because every pair
    in a job is a correction somebody approved.
    """

    def __init__(self, pair: "Pair", message: str) -> None:
        super().__init__(message)
        self.pair = pair


@dataclass(frozen=True)
class Pair:
    """One image and its mask, identified by the image's stem."""

    id: str
    image: Path
    mask: Path


@dataclass
class DatasetIndex:
    """The pairs found in a dataset folder, its detected layout and what was skipped."""

    root: Path
    layout: str
    pairs: List[Pair]
    warnings: List[str] = field(default_factory=list)


def scan_image_files(folder: Path) -> Tuple[List[Path], List[str]]:
    """Image files directly in a folder, sorted, and a warning for each entry named like one that is not a file.

    Only regular files (and links to them) are images: a folder, pipe, device or broken link
    named ``photo.jpg`` is reported and skipped, never opened, so it cannot stop a job.
    """
    files: List[Path] = []
    warnings: List[str] = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in IMAGE_SUFFIXES or p.name.startswith("."):
            continue
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            warnings.append(f"{p.name} in {folder.name}/: a folder, not an image file")
        else:
            warnings.append(f"{p.name} in {folder.name}/: not a regular file (a broken link, a pipe or a device)")
    return files, warnings


def list_image_files(folder: Path) -> List[Path]:
    """Image files directly in a folder (any supported suffix, hidden files skipped), sorted."""
    return scan_image_files(folder)[0]


def mask_key(stem: str) -> str:
    """The image stem a mask file belongs to (``x_segmentation`` and ``x`` both belong to ``x``)."""
    return stem[: -len(MASK_SUFFIX)] if stem.endswith(MASK_SUFFIX) else stem


def detect_layout(root: Path) -> Tuple[str, Path, Path]:
    """Returns (layout name, image folder, mask folder) for a dataset root."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist or is not a folder")
    candidates = [
        ("isic2017", sorted(root.glob("ISIC-2017_*_Data")), sorted(root.glob("ISIC-2017_*_Part1_GroundTruth"))),
        ("isic2018", sorted(root.glob("ISIC2018_Task1-2_*_Input")), sorted(root.glob("ISIC2018_Task1_*_GroundTruth"))),
        ("generic", [root / "images"] if (root / "images").is_dir() else [], [root / "masks"] if (root / "masks").is_dir() else []),
    ]
    for name, images, masks in candidates:
        if images and masks:
            return name, images[0], masks[0]
    raise DatasetError(
        f"{root} is not a dataset folder: expected ISIC 2017 (ISIC-2017_Training_Data/ + "
        "ISIC-2017_Training_Part1_GroundTruth/), ISIC 2018 (ISIC2018_Task1-2_Training_Input/ + "
        "ISIC2018_Task1_Training_GroundTruth/) or images/ + masks/"
    )


def index_dataset(root: Path) -> DatasetIndex:
    """Finds image/mask pairs by stem; unpaired files are listed as warnings."""
    layout, image_dir, mask_dir = detect_layout(Path(root))
    mask_files, warnings = scan_image_files(mask_dir)
    image_files, image_warnings = scan_image_files(image_dir)
    warnings += image_warnings
    masks: Dict[str, Path] = {}
    for m in mask_files:
        key = mask_key(m.stem)
        if key in masks:
            warnings.append(f"two masks for {key}: {masks[key].name} and {m.name}; using the first")
            continue
        masks[key] = m
    pairs: List[Pair] = []
    seen = set()
    for img in image_files:
        if img.stem.endswith(IGNORED_STEM_SUFFIXES):
            continue
        if img.stem in seen:
            warnings.append(f"two images named {img.stem}; using the first")
            continue
        seen.add(img.stem)
        mask = masks.get(img.stem)
        if mask is None:
            warnings.append(f"{img.name}: no mask in {mask_dir.name}/")
            continue
        pairs.append(Pair(img.stem, img, mask))
    for key, m in masks.items():
        if key not in seen:
            warnings.append(f"{m.name}: no image in {image_dir.name}/")
    return DatasetIndex(Path(root), layout, pairs, warnings)


def read_image(path: Path) -> Image.Image:
    """Opens an image as 8-bit RGB, honouring EXIF orientation."""
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(im, dtype=np.float64)
            peak = arr.max() if arr.max() > 255 else 255.0
            im = Image.fromarray((arr / peak * 255.0).round().astype(np.uint8))
        return im.convert("RGB")


def read_mask(path: Path) -> np.ndarray:
    """Reads a mask as a boolean array (any non-zero pixel is lesion)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L")) > 127


def resize_image(im: Image.Image, size: int) -> np.ndarray:
    """Antialiased bilinear resize to size x size (aspect ratio not kept), uint8 HxWx3."""
    if im.size != (size, size):
        im = im.resize((size, size), Image.BILINEAR)
    return np.asarray(im, dtype=np.uint8)


def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Resizes a boolean mask smoothly (bilinear on 0/255, threshold at half)."""
    if mask.shape == (size, size):
        return mask
    im = Image.fromarray(mask.astype(np.uint8) * 255).resize((size, size), Image.BILINEAR)
    return np.asarray(im) >= 128


@dataclass
class LoadedDataset:
    """Pairs decoded into memory at the training size."""

    ids: List[str]
    images: np.ndarray  # N x S x S x 3 uint8
    masks: np.ndarray  # N x S x S bool
    warnings: List[str]
    layout: str


def decode_pair(pair: Pair, size: int = 256) -> Tuple[np.ndarray, np.ndarray]:
    """Decodes one pair at size x size: uint8 HxWx3 image, bool HxW mask; PairError if unusable."""
    try:
        im = read_image(pair.image)
    except Exception as exc:  # PIL raises many types for broken files
        raise PairError(pair, f"{pair.image.name}: unreadable image ({exc.__class__.__name__}: {exc})") from exc
    try:
        mask = read_mask(pair.mask)
    except Exception as exc:
        raise PairError(pair, f"{pair.mask.name}: unreadable mask ({exc.__class__.__name__}: {exc})") from exc
    if (mask.shape[1], mask.shape[0]) != im.size:
        raise PairError(
            pair, f"{pair.id}: image is {im.size[0]}x{im.size[1]} but mask is {mask.shape[1]}x{mask.shape[0]}"
        )
    return resize_image(im, size), resize_mask(mask, size)


class PairBuffer:
    """Decoded pairs written straight into preallocated N x S x S x 3 uint8 and N x S x S bool arrays.

    Stacking a list of decoded pairs would hold every one twice at the end (most of a job's
    memory at 256 px). Rows left unwritten (skipped pairs) are never touched, so the operating
    system never backs them with memory.
    """

    def __init__(self, capacity: int, size: int) -> None:
        self.ids: List[str] = []
        self._images = np.empty((capacity, size, size, 3), np.uint8)
        self._masks = np.empty((capacity, size, size), bool)

    def add(self, pair_id: str, image: np.ndarray, mask: np.ndarray) -> None:
        """Stores one decoded pair (the buffer must have room)."""
        row = len(self.ids)
        self._images[row] = image
        self._masks[row] = mask
        self.ids.append(pair_id)

    def arrays(self) -> Tuple[np.ndarray, np.ndarray]:
        """Images and masks of the pairs added so far (views, not copies)."""
        return self._images[: len(self.ids)], self._masks[: len(self.ids)]


def load_pairs(pairs: Sequence[Pair], size: int = 256) -> Tuple[List[str], np.ndarray, np.ndarray, List[str]]:
    """Decodes pairs; unreadable or mis-sized ones are skipped with a warning."""
    buffer = PairBuffer(len(pairs), size)
    warnings: List[str] = []
    for pair in pairs:
        try:
            buffer.add(pair.id, *decode_pair(pair, size))
        except PairError as exc:
            warnings.append(str(exc))
    return (buffer.ids, *buffer.arrays(), warnings)


def print_warnings(warnings: Sequence[str], where: object, limit: int = 20) -> None:
    """Prints skipped-file warnings on stderr, at most ``limit`` of them (stdout carries progress)."""
    if not warnings:
        return
    shown = list(warnings[:limit])
    more = f"\n  ... and {len(warnings) - limit} more" if len(warnings) > limit else ""
    print(f"warning: skipped {len(warnings)} file(s) in {where}:\n  " + "\n  ".join(shown) + more, file=sys.stderr)


def load_dataset(root: Path, size: int = 256, warn: bool = True) -> LoadedDataset:
    """Indexes and decodes a dataset folder; raises DatasetError when nothing is usable."""
    index = index_dataset(root)
    ids, images, masks, load_warnings = load_pairs(index.pairs, size)
    warnings = index.warnings + load_warnings
    if warn:
        print_warnings(warnings, root)
    if not ids:
        raise DatasetError(f"no usable image/mask pair in {root} ({index.layout} layout)")
    return LoadedDataset(ids, images, masks, warnings, index.layout)


def select(ds: LoadedDataset, ids: Iterable[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Images and masks of the given ids, in that order."""
    pos = {k: i for i, k in enumerate(ds.ids)}
    idx = [pos[k] for k in ids]
    return ds.images[idx], ds.masks[idx]


def to_input(images: np.ndarray) -> "np.ndarray":
    """uint8 N x H x W x 3 -> float32 N x 3 x H x W with per-image min-max scaling to [0, 1]."""
    x = images.astype(np.float32).transpose(0, 3, 1, 2)
    lo = x.reshape(x.shape[0], -1).min(axis=1)[:, None, None, None]
    hi = x.reshape(x.shape[0], -1).max(axis=1)[:, None, None, None]
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return ((x - lo) / span).astype(np.float32)
