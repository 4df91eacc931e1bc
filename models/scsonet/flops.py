"""Multiply-add counting by forward hooks, including the dynamic (ODConv) convolutions."""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


def count_macs(model: nn.Module, height: int = 256, width: int = 256) -> int:
    """Multiply-adds of one forward pass of a 1xCxHxW input (C: the first layer's input channels,
    3 for the automatic model, 6 for the interactive one).

    Counts every convolution (including the functional 1x1 conv that applies ODConv's
    per-sample kernel), every Linear and Conv1d, and EMA's two channel-weighted sums (the
    authors' two matrix products). Other elementwise work (norms, activations, attention
    products) is not counted, as is customary.
    """
    from .network import EMA
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

    def ema_hook(m, inp, out):
        # weights = sum over cg channels of a1 * x2 + a2 * x1: 2 multiply-adds per element.
        nonlocal total
        total += 2 * out.numel()

    for m in model.modules():
        if isinstance(m, nn.Conv1d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, EMA):
            hooks.append(m.register_forward_hook(ema_hook))

    real_conv2d = F.conv2d

    def counting_conv2d(x, w, *args, **kwargs):
        nonlocal total
        out = real_conv2d(x, w, *args, **kwargs)
        total += out.numel() * w.shape[1] * w.shape[2] * w.shape[3]
        return out

    # Every 2-D convolution, nn.Conv2d and ODConv's direct call alike, goes through
    # F.conv2d, so counting there sees them all exactly once.
    F.conv2d = counting_conv2d
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            channels = getattr(getattr(model, "enc1", None), "in_channels", 3)
            model(torch.zeros(1, channels, height, width))
        model.train(was_training)
    finally:
        F.conv2d = real_conv2d
        for h in hooks:
            h.remove()
    return total
