"""Batch augmentation on tensors: flips, rotation, scale, colour (paper recipe plus extras)."""

from __future__ import annotations

import math
from typing import Tuple

import torch
import torch.nn.functional as F


def minmax_scale(x: torch.Tensor) -> torch.Tensor:
    """Per-image min-max scaling over all pixels and channels to [0, 1] (the model's input)."""
    n = x.shape[0]
    flat = x.reshape(n, -1)
    lo = flat.min(dim=1).values.reshape(n, 1, 1, 1)
    hi = flat.max(dim=1).values.reshape(n, 1, 1, 1)
    span = torch.where(hi - lo > 0, hi - lo, torch.ones_like(hi))
    return (x - lo) / span


def augment_batch(
    images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator, strong: bool = True
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Augments float images in [0,1] (N,3,H,W) and masks in {0,1} (N,1,H,W) together.

    Paper: horizontal flip, vertical flip and rotation, each with p 0.5. ``strong`` adds a
    random zoom (0.8-1.25), brightness/contrast/saturation/gamma jitter: dermoscopes differ
    in exposure and white balance far more than one challenge set shows.
    """
    n = images.shape[0]
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    hflip = (rand(n) < 0.5).float() * -2 + 1
    vflip = (rand(n) < 0.5).float() * -2 + 1
    angle = torch.where(rand(n) < 0.5, rand(n) * 2 * math.pi, torch.zeros(n))
    scale = torch.exp((rand(n) * 2 - 1) * math.log(1.25)) if strong else torch.ones(n)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = cos * hflip
    theta[:, 0, 1] = -sin * vflip
    theta[:, 1, 0] = sin * hflip
    theta[:, 1, 1] = cos * vflip
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    images = F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    masks = (F.grid_sample(masks, grid, mode="bilinear", padding_mode="reflection", align_corners=False) >= 0.5).float()
    if strong:
        brightness = 0.8 + 0.4 * rand(n, 1, 1, 1)
        contrast = 0.8 + 0.4 * rand(n, 1, 1, 1)
        saturation = 0.7 + 0.6 * rand(n, 1, 1, 1)
        gamma = torch.exp((rand(n, 1, 1, 1) * 2 - 1) * math.log(1.3))
        gray = images.mean(dim=1, keepdim=True)
        images = gray + (images - gray) * saturation
        mean = images.mean(dim=(1, 2, 3), keepdim=True)
        images = (images - mean) * contrast + mean
        images = (images * brightness).clamp(0, 1) ** gamma
    return images, masks
