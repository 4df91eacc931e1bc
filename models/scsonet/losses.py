"""BceDice loss as used by the SCSONet authors (BCE + (1 - soft Dice), weights 1:1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_dice_loss(prob: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """1 - soft Dice per sample (smooth 1), averaged over the batch."""
    n = prob.shape[0]
    p = prob.reshape(n, -1)
    t = target.reshape(n, -1)
    inter = (p * t).sum(dim=1)
    dice = (2.0 * inter + smooth) / (p.sum(dim=1) + t.sum(dim=1) + smooth)
    return (1.0 - dice).mean()


def bce_dice_loss(logits: torch.Tensor, target: torch.Tensor, w_bce: float = 1.0, w_dice: float = 1.0) -> torch.Tensor:
    """BCE on logits (numerically stable) plus soft Dice on the sigmoid."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    return w_bce * bce + w_dice * soft_dice_loss(torch.sigmoid(logits), target)
