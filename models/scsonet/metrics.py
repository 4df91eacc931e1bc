"""Segmentation metrics as the SCSONet paper computes them (pooled confusion matrix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np


@dataclass
class SegmentationMeter:
    """Accumulates a pooled confusion matrix and per-image Dice over binary masks."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    per_image_dsc: List[float] = field(default_factory=list)

    def update(self, pred: np.ndarray, truth: np.ndarray) -> None:
        """Adds one image (or a batch; the first axis is the image) of boolean masks."""
        pred = np.asarray(pred).astype(bool)
        truth = np.asarray(truth).astype(bool)
        if pred.shape != truth.shape:
            raise ValueError(f"prediction shape {pred.shape} differs from truth shape {truth.shape}")
        if pred.ndim == 2:
            pred, truth = pred[None], truth[None]
        for p, t in zip(pred.reshape(pred.shape[0], -1), truth.reshape(truth.shape[0], -1)):
            tp = int(np.count_nonzero(p & t))
            fp = int(np.count_nonzero(p & ~t))
            fn = int(np.count_nonzero(~p & t))
            tn = p.size - tp - fp - fn
            self.tp += tp
            self.fp += fp
            self.fn += fn
            self.tn += tn
            denom = 2 * tp + fp + fn
            # An empty truth and an empty prediction agree perfectly.
            self.per_image_dsc.append(1.0 if denom == 0 else 2 * tp / denom)

    def compute(self) -> Dict[str, float]:
        """Pooled mIoU, DSC, accuracy, sensitivity, specificity and per-image mean DSC."""
        tp, fp, fn, tn = self.tp, self.fp, self.fn, self.tn
        total = tp + fp + fn + tn

        def ratio(a: float, b: float) -> float:
            return float(a / b) if b else 0.0

        return {
            "miou": ratio(tp, tp + fp + fn),
            "dsc": ratio(2 * tp, 2 * tp + fp + fn),
            "acc": ratio(tp + tn, total),
            "sen": ratio(tp, tp + fn),
            "spe": ratio(tn, tn + fp),
            "mean_dsc": float(np.mean(self.per_image_dsc)) if self.per_image_dsc else 0.0,
            "n": len(self.per_image_dsc),
        }
