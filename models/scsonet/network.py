"""SCSONet (Chen et al., Front. Phys. 2024), written from ../shared/SCSONET-SPEC.md.

Every block is written so that it exports to ONNX opset 17 with a dynamic batch and runs
identically in PyTorch and onnxruntime: no batch-as-groups convolution, no in-place ops on
tensors that are reused, explicit reductions instead of ``torch.std``.
"""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

CHANNELS: Tuple[int, ...] = (8, 16, 24, 32, 48, 64)


def _conv(i: int, o: int, k: int, bias: bool = True, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(i, o, k, padding=k // 2, bias=bias, groups=groups)


class ODConv3x3(nn.Module):
    """Omni-dimensional dynamic 3x3 convolution with a single kernel.

    Each sample gets its own kernel ``W * spatial[n]``. Eager PyTorch applies it with the
    authors' batch-as-groups convolution; the ONNX export instead applies it as one 1x1
    convolution over nine shifted, tap-weighted copies of the input (``_taps``): the same
    arithmetic without a batch-sized group count, so the graph keeps a dynamic batch.
    """

    def __init__(self, in_planes: int, out_planes: int) -> None:
        super().__init__()
        self.in_planes = in_planes
        self.out_planes = out_planes
        attention = max(int(in_planes * 0.0625), 16)
        self.fc = nn.Conv2d(in_planes, attention, 1, bias=False)
        self.bn = nn.BatchNorm2d(attention)
        self.channel_fc = nn.Conv2d(attention, in_planes, 1, bias=True)
        self.filter_fc = nn.Conv2d(attention, out_planes, 1, bias=True)
        self.spatial_fc = nn.Conv2d(attention, 9, 1, bias=True)
        self.weight = nn.Parameter(torch.empty(1, out_planes, in_planes, 3, 3))
        nn.init.kaiming_normal_(self.weight[0], mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, height, width = x.shape
        a = F.relu(self.bn(self.fc(F.adaptive_avg_pool2d(x, 1))))
        channel = torch.sigmoid(self.channel_fc(a))  # N x i x 1 x 1
        filt = torch.sigmoid(self.filter_fc(a))  # N x o x 1 x 1
        spatial = torch.sigmoid(self.spatial_fc(a))  # N x 9 x 1 x 1
        x = x * channel
        if torch.onnx.is_in_onnx_export():
            return self._taps(x, spatial) * filt
        # Eager: batch-as-groups, one grouped 3x3 conv (40x faster to train on a CPU than
        # the tap form, and the same arithmetic).
        w = (self.weight * spatial.reshape(n, 1, 1, 3, 3)).reshape(n * self.out_planes, self.in_planes, 3, 3)
        out = F.conv2d(x.reshape(1, n * self.in_planes, height, width), w, padding=1, groups=n)
        return out.reshape(n, self.out_planes, height, width) * filt

    def _taps(self, x: torch.Tensor, spatial: torch.Tensor) -> torch.Tensor:
        """The per-sample kernel as one 1x1 conv over nine tap-weighted shifted copies."""
        height, width = x.shape[-2], x.shape[-1]
        xp = F.pad(x, (1, 1, 1, 1))
        taps = []
        for k in range(9):
            dy, dx = divmod(k, 3)
            taps.append(xp[:, :, dy : dy + height, dx : dx + width] * spatial[:, k : k + 1])
        stacked = torch.cat(taps, dim=1)  # N x 9i x H x W, tap-major
        # weight (o, i, 3, 3) -> (o, 3, 3, i) -> (o, 9i, 1, 1) to match the tap-major stacking.
        w = self.weight[0].permute(0, 2, 3, 1).reshape(self.out_planes, 9 * self.in_planes, 1, 1)
        return F.conv2d(stacked, w)


class GroupStandardize(nn.Module):
    """SRU's group normalisation: 16 groups over C*H*W, unbiased std, per-channel affine."""

    def __init__(self, channels: int, groups: int = 16, eps: float = 1e-10) -> None:
        super().__init__()
        self.groups = groups
        self.eps = eps
        # Ones, not the authors' standard normal: see the spec, "The SRU gamma".
        self.gamma = nn.Parameter(torch.ones(channels, 1, 1))
        self.beta = nn.Parameter(torch.zeros(channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = x.reshape(n, self.groups, -1)
        count = g.shape[-1]
        mean = g.mean(dim=2, keepdim=True)
        centred = g - mean
        std = torch.sqrt((centred * centred).sum(dim=2, keepdim=True) / (count - 1))
        normed = (centred / (std + self.eps)).reshape(n, c, h, w)
        return normed * self.gamma + self.beta


class SRU(nn.Module):
    """Spatial reconstruction unit: a hard information gate, then cross reconstruction."""

    def __init__(self, channels: int, groups: int = 16, threshold: float = 0.5) -> None:
        super().__init__()
        self.gn = GroupStandardize(channels, groups)
        self.threshold = threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gn_x = self.gn(x)
        w_gamma = (self.gn.gamma / self.gn.gamma.sum()).reshape(1, -1, 1, 1)
        reweights = torch.sigmoid(gn_x * w_gamma)
        mask = (reweights >= self.threshold).to(x.dtype)
        x1 = mask * x
        x2 = (1.0 - mask) * x
        half = x.shape[1] // 2
        x11, x12 = x1[:, :half], x1[:, half:]
        x21, x22 = x2[:, :half], x2[:, half:]
        return torch.cat([x11 + x22, x12 + x21], dim=1)


class CRU(nn.Module):
    """Channel reconstruction unit (alpha 1/2, squeeze 2, group conv with 2 groups)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.up = channels // 2
        self.low = channels - self.up
        sq = self.up // 2
        self.squeeze_up = nn.Conv2d(self.up, sq, 1, bias=False)
        self.squeeze_low = nn.Conv2d(self.low, sq, 1, bias=False)
        self.gwc = _conv(sq, channels, 3, bias=True, groups=2)
        self.pwc1 = nn.Conv2d(sq, channels, 1, bias=False)
        self.pwc2 = nn.Conv2d(sq, channels - sq, 1, bias=False)
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = self.squeeze_up(x[:, : self.up])
        low = self.squeeze_low(x[:, self.up :])
        y1 = self.gwc(up) + self.pwc1(up)
        y2 = torch.cat([self.pwc2(low), low], dim=1)
        y = torch.cat([y1, y2], dim=1)
        y = torch.softmax(F.adaptive_avg_pool2d(y, 1), dim=1) * y
        return y[:, : self.channels] + y[:, self.channels :]


class SCConv(nn.Module):
    """Spatial and channel reconstruction convolution: SRU then CRU."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.sru = SRU(channels)
        self.cru = CRU(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cru(self.sru(x))


class PConv(nn.Module):
    """Partial convolution: a 3x3 conv on the first half of the channels, the rest untouched."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.part = channels // 2
        self.conv = _conv(self.part, self.part, 3, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.conv(x[:, : self.part]), x[:, self.part :]], dim=1)


class EMA(nn.Module):
    """Efficient multi-scale attention with 8 groups."""

    def __init__(self, channels: int, groups: int = 8) -> None:
        super().__init__()
        self.groups = groups
        cg = channels // groups
        self.conv1x1 = nn.Conv2d(cg, cg, 1)
        self.conv3x3 = _conv(cg, cg, 3)
        self.gn = nn.GroupNorm(cg, cg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = x.reshape(n * self.groups, c // self.groups, h, w)
        x_h = g.mean(dim=3, keepdim=True)  # (b, cg, h, 1)
        x_w = g.mean(dim=2, keepdim=True).permute(0, 1, 3, 2)  # (b, cg, w, 1)
        hw = self.conv1x1(torch.cat([x_h, x_w], dim=2))
        a_h, a_w = hw[:, :, :h], hw[:, :, h:]
        x1 = self.gn(g * torch.sigmoid(a_h) * torch.sigmoid(a_w.permute(0, 1, 3, 2)))
        x2 = self.conv3x3(g)
        b, cg = g.shape[0], g.shape[1]
        a1 = torch.softmax(x1.mean(dim=(2, 3)).reshape(b, 1, cg), dim=-1)
        a2 = torch.softmax(x2.mean(dim=(2, 3)).reshape(b, 1, cg), dim=-1)
        x1f = x1.reshape(b, cg, h * w)
        x2f = x2.reshape(b, cg, h * w)
        weights = (torch.matmul(a1, x2f) + torch.matmul(a2, x1f)).reshape(b, 1, h, w)
        return (g * torch.sigmoid(weights)).reshape(n, c, h, w)


class SCFBlockEncoder(nn.Sequential):
    """Encoder SCF block: SCConv -> PConv -> conv3x3 -> EMA."""

    def __init__(self, i: int, o: int) -> None:
        super().__init__(SCConv(i), PConv(i), _conv(i, o, 3), EMA(o))


class SCFBlockDecoder(nn.Sequential):
    """Decoder SCF block: conv3x3 -> PConv -> SCConv -> EMA."""

    def __init__(self, i: int, o: int) -> None:
        super().__init__(_conv(i, o, 3), PConv(o), SCConv(o), EMA(o))


class SCAttentionBridge(nn.Module):
    """Spatial then channel attention shared across the five skip connections."""

    def __init__(self, channels: Sequence[int]) -> None:
        super().__init__()
        total = sum(channels)
        self.spatial = nn.Conv2d(2, 1, 7, padding=9, dilation=3)
        self.mix = nn.Conv1d(1, 1, 3, padding=1, bias=False)
        self.fcs = nn.ModuleList(nn.Linear(total, c) for c in channels)

    def forward(self, ts: List[torch.Tensor]) -> List[torch.Tensor]:
        us, vs = [], []
        for t in ts:
            pooled = torch.cat([t.mean(dim=1, keepdim=True), t.amax(dim=1, keepdim=True)], dim=1)
            u = torch.sigmoid(self.spatial(pooled)) * t
            us.append(u)
            vs.append(u + t)
        att = torch.cat([v.mean(dim=(2, 3)) for v in vs], dim=1).unsqueeze(1)  # N x 1 x 128
        att = self.mix(att).squeeze(1)
        out = []
        for fc, u, v in zip(self.fcs, us, vs):
            a = torch.sigmoid(fc(att)).unsqueeze(-1).unsqueeze(-1)
            out.append(a * v + u)
        return out


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True)


class SCSONet(nn.Module):
    """The full U-shaped network; returns logits (apply sigmoid for probabilities)."""

    def __init__(self, in_channels: int = 3, channels: Sequence[int] = CHANNELS) -> None:
        super().__init__()
        c = list(channels)
        self.enc1 = _conv(in_channels, c[0], 3)
        self.enc2 = ODConv3x3(c[0], c[1])
        self.enc3 = _conv(c[1], c[2], 3)
        self.enc4 = SCFBlockEncoder(c[2], c[3])
        self.enc5 = SCFBlockEncoder(c[3], c[4])
        self.enc6 = SCFBlockEncoder(c[4], c[5])
        self.bridge = SCAttentionBridge(c[:5])
        self.ebn = nn.ModuleList(nn.GroupNorm(4, ch) for ch in c[:5])
        self.dec1 = SCFBlockDecoder(c[5], c[4])
        self.dec2 = SCFBlockDecoder(c[4], c[3])
        self.dec3 = SCFBlockDecoder(c[3], c[2])
        self.dec4 = _conv(c[2], c[1], 3)
        self.dec5 = ODConv3x3(c[1], c[0])
        self.dbn = nn.ModuleList(nn.GroupNorm(4, ch) for ch in reversed(c[:5]))
        self.head = nn.Conv2d(c[0], 1, 1)
        self.apply(_init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.onnx.is_in_onnx_export():
            # oneDNN's backward for a 3-channel NCHW conv is ~18x slower than channels-last
            # on a CPU; the layout changes nothing else.
            x = x.contiguous(memory_format=torch.channels_last)
        t1 = F.gelu(F.max_pool2d(self.ebn[0](self.enc1(x).contiguous()), 2))
        t2 = F.gelu(F.max_pool2d(self.ebn[1](self.enc2(t1)), 2))
        t3 = F.gelu(F.max_pool2d(self.ebn[2](self.enc3(t2)), 2))
        t4 = F.gelu(F.max_pool2d(self.ebn[3](self.enc4(t3)), 2))
        t5 = F.gelu(F.max_pool2d(self.ebn[4](self.enc5(t4)), 2))
        t1, t2, t3, t4, t5 = self.bridge([t1, t2, t3, t4, t5])
        out = F.gelu(self.enc6(t5))
        out = F.gelu(self.dbn[0](self.dec1(out))) + t5
        out = F.gelu(_up(self.dbn[1](self.dec2(out)))) + t4
        out = F.gelu(_up(self.dbn[2](self.dec3(out)))) + t3
        out = F.gelu(_up(self.dbn[3](self.dec4(out)))) + t2
        out = F.gelu(_up(self.dbn[4](self.dec5(out)))) + t1
        return _up(self.head(out))


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv1d):
        fan_out = m.kernel_size[0] * m.out_channels
        m.weight.data.normal_(0, math.sqrt(2.0 / fan_out))
    elif isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
        m.weight.data.normal_(0, math.sqrt(2.0 / fan_out))
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
