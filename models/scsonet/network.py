"""SCSONet (Chen et al., Front. Phys. 2024), written from ../shared/SCSONET-SPEC.md.

Every block is written so that it exports to ONNX opset 17 (one image per run, see
``export.export_onnx``) and runs identically in PyTorch and onnxruntime: no in-place ops on
tensors that are reused, explicit reductions instead of ``torch.std``.

Why the graph is shaped with care: at 256x256 the whole network is 0.08 G multiply-adds, so
much of onnxruntime's time goes to many small nodes. Reshapes take the batch as -1 and every
other dimension as a Python int (``_chw``): traced, those become constants instead of
Shape/Gather/Unsqueeze/Concat chains. Where the training form would export as many nodes
(SRU's gate, CRU's five convolutions), an equivalent graph form is used while exporting;
tests/test_network.py checks each against the training form.
"""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CHANNELS: Tuple[int, ...] = (8, 16, 24, 32, 48, 64)


def _chw(x: torch.Tensor) -> Tuple[int, int, int]:
    """Channels, height and width as Python ints: constants in a traced ONNX graph.

    The exported model has a fixed 256x256 input (the card says so), so only the batch stays
    symbolic; eager PyTorch still accepts any size, because ``int`` of an int is a no-op there.
    """
    return int(x.shape[1]), int(x.shape[2]), int(x.shape[3])


def _conv(i: int, o: int, k: int, bias: bool = True, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(i, o, k, padding=k // 2, bias=bias, groups=groups)


class ODConv3x3(nn.Module):
    """Omni-dimensional dynamic 3x3 convolution with a single kernel.

    Each sample gets its own kernel ``W * spatial[n]``, applied with the authors'
    batch-as-groups convolution. The ONNX export has a fixed batch of one (see
    ``export.export_onnx``), where this is one ordinary convolution whose kernel is computed
    at run time.
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
        n = int(x.shape[0])
        _, height, width = _chw(x)
        a = F.relu(self.bn(self.fc(F.adaptive_avg_pool2d(x, 1))))
        channel = torch.sigmoid(self.channel_fc(a))  # N x i x 1 x 1
        filt = torch.sigmoid(self.filter_fc(a))  # N x o x 1 x 1
        spatial = torch.sigmoid(self.spatial_fc(a))  # N x 9 x 1 x 1
        x = x * channel
        w = (self.weight * spatial.reshape(n, 1, 1, 3, 3)).reshape(n * self.out_planes, self.in_planes, 3, 3)
        out = F.conv2d(x.reshape(1, n * self.in_planes, height, width), w, padding=1, groups=n)
        return out.reshape(n, self.out_planes, height, width) * filt


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
        c, h, w = _chw(x)
        count = c * h * w // self.groups  # a group may span channels (24 channels, 16 groups)
        g = x.reshape(-1, self.groups, count)
        mean = g.mean(dim=2, keepdim=True)
        centred = g - mean
        std = torch.sqrt((centred * centred).sum(dim=2, keepdim=True) / (count - 1))
        normed = (centred / (std + self.eps)).reshape(-1, c, h, w)
        return normed * self.gamma + self.beta


class SRU(nn.Module):
    """Spatial reconstruction unit: a hard information gate, then cross reconstruction."""

    def __init__(self, channels: int, groups: int = 16, threshold: float = 0.5) -> None:
        super().__init__()
        self.gn = GroupStandardize(channels, groups)
        self.threshold = threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.onnx.is_in_onnx_export():
            keep = self._graph_gate(x)
        else:
            gn_x = self.gn(x)
            w_gamma = (self.gn.gamma / self.gn.gamma.sum()).reshape(1, -1, 1, 1)
            keep = torch.sigmoid(gn_x * w_gamma) >= self.threshold
        x1 = torch.where(keep, x, torch.zeros((), dtype=x.dtype))  # informative
        x2 = x - x1  # redundant; exact, x1 is x or 0
        # Cross reconstruction [x1a + x2b, x1b + x2a] is x1 plus x2 with its halves swapped.
        half = int(x.shape[1]) // 2
        return x1 + torch.cat([x2[:, half:], x2[:, :half]], dim=1)

    def _graph_gate(self, x: torch.Tensor) -> torch.Tensor:
        """The same gate in six nodes instead of sixteen.

        sigmoid(z) >= t is z >= logit(t). GroupStandardize divides by the unbiased std, an
        InstanceNormalization over each group by the biased one: the ratio sqrt((L-1)/L) is a
        constant and joins gamma * w_gamma in one per-channel scale. (The eps differ, 1e-10
        outside the root against 1e-20 inside it: both only keep a constant group at zero.)
        """
        c, h, w = _chw(x)
        groups = self.gn.groups
        count = c * h * w // groups
        gamma = self.gn.gamma.detach().cpu().numpy().reshape(c, 1, 1).astype(np.float64)
        beta = self.gn.beta.detach().cpu().numpy().reshape(c, 1, 1).astype(np.float64)
        w_gamma = gamma / gamma.sum()
        scale = torch.from_numpy((gamma * w_gamma * math.sqrt((count - 1) / count)).astype(np.float32))
        shift = torch.from_numpy((beta * w_gamma).astype(np.float32))
        g = x.reshape(-1, groups, count)
        normed = _instance_norm_3d(g, eps=1e-20)
        logit = math.log(self.threshold / (1.0 - self.threshold))
        return normed.reshape(-1, c, h, w) * scale + shift >= logit


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
        if torch.onnx.is_in_onnx_export():
            y = self._graph_transform(x)
        else:
            up = self.squeeze_up(x[:, : self.up])
            low = self.squeeze_low(x[:, self.up :])
            y1 = self.gwc(up) + self.pwc1(up)
            y2 = torch.cat([self.pwc2(low), low], dim=1)
            y = torch.cat([y1, y2], dim=1)
        y = torch.softmax(F.adaptive_avg_pool2d(y, 1), dim=1) * y
        return y[:, : self.channels] + y[:, self.channels :]

    def _graph_transform(self, x: torch.Tensor) -> torch.Tensor:
        """The five convolutions, two slices and two concats above as two convolutions."""
        squeeze, kernel, bias = (torch.from_numpy(a) for a in self.merged_kernels())
        return F.conv2d(F.conv2d(x, squeeze), kernel, bias, padding=1)

    def merged_kernels(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both squeezes as one 1x1 kernel (block diagonal), then one 3x3 kernel that writes all
        of y = [gwc(up) + pwc1(up), pwc2(low), low]: the grouped kernel in its diagonal blocks,
        the 1x1 kernels and the identity on the centre tap.

        Built in NumPy so that a traced export stores the results as constants rather than
        recording how they were assembled.
        """
        c, up, sq = self.channels, self.up, self.squeeze_up.out_channels
        weight = {name: p.detach().cpu().numpy() for name, p in self.named_parameters()}
        squeeze = np.zeros((2 * sq, c, 1, 1), np.float32)
        squeeze[:sq, :up] = weight["squeeze_up.weight"]
        squeeze[sq:, up:] = weight["squeeze_low.weight"]
        kernel = np.zeros((2 * c, 2 * sq, 3, 3), np.float32)
        half_in, half_out = sq // 2, c // 2
        kernel[:half_out, :half_in] = weight["gwc.weight"][:half_out]
        kernel[half_out:c, half_in:sq] = weight["gwc.weight"][half_out:]
        kernel[:c, :sq, 1, 1] += weight["pwc1.weight"][:, :, 0, 0]
        kernel[c : 2 * c - sq, sq:, 1, 1] = weight["pwc2.weight"][:, :, 0, 0]
        kernel[2 * c - sq :, sq:, 1, 1] = np.eye(sq, dtype=np.float32)
        bias = np.concatenate([weight["gwc.bias"], np.zeros(c, np.float32)])
        return squeeze, kernel, bias


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
        c, h, w = _chw(x)
        cg = c // self.groups
        g = x.reshape(-1, cg, h, w)  # batch * groups
        # The shared 1x1 conv is pointwise, so it runs on each pooled direction as it lies
        # (no concat, split or transposes): the same numbers as the authors' concat form.
        a_h = torch.sigmoid(self.conv1x1(g.mean(dim=3, keepdim=True)))  # (b, cg, h, 1)
        a_w = torch.sigmoid(self.conv1x1(g.mean(dim=2, keepdim=True)))  # (b, cg, 1, w)
        x1 = instance_norm(self.gn, g * a_h * a_w)
        x2 = self.conv3x3(g)
        # Cross-spatial weights: each branch's channel softmax weighs the other branch, summed
        # over channels (the authors' two matmuls, without reshapes).
        a1 = torch.softmax(F.adaptive_avg_pool2d(x1, 1), dim=1)  # (b, cg, 1, 1)
        a2 = torch.softmax(F.adaptive_avg_pool2d(x2, 1), dim=1)
        weights = (a1 * x2 + a2 * x1).sum(dim=1, keepdim=True)  # (b, 1, h, w)
        return (g * torch.sigmoid(weights)).reshape(-1, c, h, w)


def instance_norm(gn: nn.GroupNorm, x: torch.Tensor) -> torch.Tensor:
    """A GroupNorm with one channel per group, exported as one InstanceNormalization node
    (PyTorch's own export of GroupNorm adds reshapes and shape arithmetic around it)."""
    if torch.onnx.is_in_onnx_export():
        return F.instance_norm(x, weight=gn.weight, bias=gn.bias, eps=gn.eps)
    return gn(x)


def _instance_norm_3d(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Normalises each (sample, row) of an N x G x L tensor; explicit unit scale and zero shift,
    because the exporter cannot infer G after a reshape."""
    groups = int(x.shape[1])
    # Plain tensors, not x.new_ones: traced, they are constants rather than ConstantOfShape nodes.
    return F.instance_norm(x, weight=torch.ones(groups), bias=torch.zeros(groups), eps=eps)


def _standardize_groups(gn: nn.GroupNorm, x: torch.Tensor) -> torch.Tensor:
    """``gn(x)`` before its scale and shift: reshape, InstanceNormalization, reshape, with
    constant shapes."""
    c, h, w = _chw(x)
    groups = gn.num_groups
    return _instance_norm_3d(x.reshape(-1, groups, c * h * w // groups), gn.eps).reshape(-1, c, h, w)


def _scale_shift(gn: nn.GroupNorm, y: torch.Tensor) -> torch.Tensor:
    c = int(y.shape[1])
    return y * gn.weight.reshape(c, 1, 1) + gn.bias.reshape(c, 1, 1)


def group_norm(gn: nn.GroupNorm, x: torch.Tensor) -> torch.Tensor:
    """``gn(x)``; exported as ``_standardize_groups`` then the per-channel scale and shift."""
    if not torch.onnx.is_in_onnx_export():
        return gn(x)
    return _scale_shift(gn, _standardize_groups(gn, x))


def group_norm_max_pool(gn: nn.GroupNorm, x: torch.Tensor) -> torch.Tensor:
    """``max_pool2d(gn(x), 2)``; exported with the scale and shift after the pool.

    A max pool commutes with a per-channel ``gamma * y + beta`` where ``gamma >= 0``, so the
    graph scales and shifts a quarter of the values (at 256x256, two full-size passes fewer).
    A weight with a negative gamma keeps the plain order.
    """
    if not torch.onnx.is_in_onnx_export():
        return F.max_pool2d(gn(x), 2)
    if bool((gn.weight < 0).any()):
        return F.max_pool2d(group_norm(gn, x), 2)
    return _scale_shift(gn, F.max_pool2d(_standardize_groups(gn, x), 2))


class SCFBlockEncoder(nn.Sequential):
    """Encoder SCF block: SCConv -> PConv -> conv3x3 -> EMA."""

    def __init__(self, i: int, o: int) -> None:
        super().__init__(SCConv(i), PConv(i), _conv(i, o, 3), EMA(o))


class SCFBlockDecoder(nn.Sequential):
    """Decoder SCF block: conv3x3 -> PConv -> SCConv -> EMA."""

    def __init__(self, i: int, o: int) -> None:
        super().__init__(_conv(i, o, 3), PConv(o), SCConv(o), EMA(o))


def _channel_mean(t: torch.Tensor) -> torch.Tensor:
    """Mean over channels; exported as a 1x1 convolution with weights 1/C, which onnxruntime
    runs as one matrix product (2.5x faster than its ReduceMean over the channel axis at 128x128)."""
    if not torch.onnx.is_in_onnx_export():
        return t.mean(dim=1, keepdim=True)
    c = int(t.shape[1])
    return F.conv2d(t, torch.full((1, c, 1, 1), 1.0 / c))


class SCAttentionBridge(nn.Module):
    """Spatial then channel attention shared across the five skip connections."""

    def __init__(self, channels: Sequence[int]) -> None:
        super().__init__()
        self.total = total = sum(channels)
        self.spatial = nn.Conv2d(2, 1, 7, padding=9, dilation=3)
        self.mix = nn.Conv1d(1, 1, 3, padding=1, bias=False)
        self.fcs = nn.ModuleList(nn.Linear(total, c) for c in channels)

    def forward(self, ts: List[torch.Tensor]) -> List[torch.Tensor]:
        # With s the spatial attention, u = s * t, v = u + t = t * (s + 1), and the output
        # a * v + u = v * (a + 1) - t: one elementwise pass fewer per skip.
        vs = []
        for t in ts:
            pooled = torch.cat([_channel_mean(t), t.amax(dim=1, keepdim=True)], dim=1)
            vs.append(t * (torch.sigmoid(self.spatial(pooled)) + 1.0))
        att = torch.cat([F.adaptive_avg_pool2d(v, 1) for v in vs], dim=1).reshape(-1, 1, self.total)
        att = self.mix(att).reshape(-1, self.total)  # N x 128
        out = []
        for fc, t, v in zip(self.fcs, ts, vs):
            a = torch.sigmoid(fc(att)).reshape(-1, fc.out_features, 1, 1)
            out.append(v * (a + 1.0) - t)
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
        ebn, dbn = self.ebn, self.dbn
        t1 = F.gelu(group_norm_max_pool(ebn[0], self.enc1(x).contiguous()))
        t2 = F.gelu(group_norm_max_pool(ebn[1], self.enc2(t1)))
        t3 = F.gelu(group_norm_max_pool(ebn[2], self.enc3(t2)))
        t4 = F.gelu(group_norm_max_pool(ebn[3], self.enc4(t3)))
        t5 = F.gelu(group_norm_max_pool(ebn[4], self.enc5(t4)))
        t1, t2, t3, t4, t5 = self.bridge([t1, t2, t3, t4, t5])
        out = F.gelu(self.enc6(t5))
        out = F.gelu(group_norm(dbn[0], self.dec1(out))) + t5
        out = F.gelu(_up(group_norm(dbn[1], self.dec2(out)))) + t4
        out = F.gelu(_up(group_norm(dbn[2], self.dec3(out)))) + t3
        out = F.gelu(_up(group_norm(dbn[3], self.dec4(out)))) + t2
        out = F.gelu(_up(group_norm(dbn[4], self.dec5(out)))) + t1
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
