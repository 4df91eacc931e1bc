"""Multiply-add counting by forward hooks, including the dynamic (ODConv) convolutions."""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


def count_macs(model: nn.Module, height: int = 256, width: int = 256) -> int:
    """Multiply-adds of one forward pass of a 1x3xHxW input.

    Counts every convolution (including the functional 1x1 conv that applies ODConv's
    per-sample kernel), every Linear and Conv1d, and EMA's two matrix products. Elementwise
    work (norms, activations, attention products) is not counted, as is customary.
    """
    total = 0
    hooks = []

    def conv_hook(m, inp, out):
        nonlocal total
        k = 1
        for s in m.kernel_size:
            k *= s
        total += out.numel() * (m.in_channels // m.groups) * k

    def linear_hook(m, inp, out):
        nonlocal total
        total += out.numel() * m.in_features

    for m in model.modules():
        if isinstance(m, nn.Conv1d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))

    real_conv2d, real_matmul = F.conv2d, torch.matmul

    def counting_conv2d(x, w, *args, **kwargs):
        nonlocal total
        out = real_conv2d(x, w, *args, **kwargs)
        total += out.numel() * w.shape[1] * w.shape[2] * w.shape[3]
        return out

    def counting_matmul(a, b):
        nonlocal total
        out = real_matmul(a, b)
        total += out.numel() * a.shape[-1]
        return out

    # Every 2-D convolution, nn.Conv2d and ODConv's direct call alike, goes through
    # F.conv2d, so counting there sees them all exactly once.
    F.conv2d, torch.matmul = counting_conv2d, counting_matmul
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, 3, height, width))
        model.train(was_training)
    finally:
        F.conv2d, torch.matmul = real_conv2d, real_matmul
        for h in hooks:
            h.remove()
    return total
