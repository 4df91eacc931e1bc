"""Shapes, parameter count, multiply-adds and each block against hand-computed cases."""

import math

import pytest
import torch
import torch.nn.functional as F

from scsonet.flops import count_macs
from scsonet.network import CRU, EMA, SRU, ODConv3x3, PConv, SCAttentionBridge, SCSONet, count_parameters, group_norm_max_pool


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return SCSONet().eval()


def test_parameter_count_matches_the_authors_network(model):
    assert count_parameters(model) == 159_439


def test_multiply_adds_include_the_dynamic_convolutions(model):
    macs = count_macs(model)
    # 0.059 G is the authors' profile, which misses the two ODConv kernels (18.9 M + 4.7 M).
    assert 0.080e9 < macs < 0.085e9


@pytest.mark.parametrize("h,w", [(256, 256), (320, 448)])
def test_output_shape_follows_the_input(model, h, w):
    with torch.no_grad():
        out = model(torch.rand(2, 3, h, w))
    assert out.shape == (2, 1, h, w)
    assert torch.isfinite(out).all()


def test_odconv_matches_an_explicit_per_sample_convolution():
    torch.manual_seed(1)
    od = ODConv3x3(4, 6).eval()
    x = torch.randn(3, 4, 8, 8)
    a = F.relu(od.bn(od.fc(F.adaptive_avg_pool2d(x, 1))))
    ch, fi, sp = (torch.sigmoid(fc(a)) for fc in (od.channel_fc, od.filter_fc, od.spatial_fc))
    expected = torch.stack([
        F.conv2d((x[i : i + 1] * ch[i : i + 1]), od.weight[0] * sp[i].reshape(1, 1, 3, 3), padding=1)[0] * fi[i]
        for i in range(3)
    ])
    with torch.no_grad():
        eager = od(x)
    assert torch.allclose(eager, expected, atol=1e-5)


@pytest.fixture
def graph_form(monkeypatch):
    """Makes the network take the branches it takes while torch.onnx traces it."""
    monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: True)


@pytest.mark.parametrize("make,channels", [(SRU, 24), (CRU, 24), (CRU, 32), (EMA, 32)], ids=["sru", "cru24", "cru32", "ema"])
def test_each_block_exports_the_same_function(make, channels, graph_form):
    torch.manual_seed(3)
    block = make(channels).eval()
    for p in block.parameters():  # away from the initial ones and zeros, so every kernel counts
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(1, channels, 16, 16)
    with torch.no_grad():
        graph = block(x)
        torch.onnx.is_in_onnx_export = lambda: False
        eager = block(x)
    assert torch.allclose(graph, eager, atol=1e-5)


@pytest.mark.parametrize("negative", [False, True], ids=["positive-gamma", "a-negative-gamma"])
def test_group_norm_then_pool_exports_the_same_function(negative, graph_form):
    torch.manual_seed(5)
    gn = torch.nn.GroupNorm(4, 16)
    with torch.no_grad():
        gn.weight.copy_(torch.rand(16) + 0.1)
        gn.bias.normal_()
        if negative:  # the scale cannot move past the pool: the graph keeps the plain order
            gn.weight[5] = -0.7
    x = torch.randn(1, 16, 32, 32) * 3 + 2
    with torch.no_grad():
        graph = group_norm_max_pool(gn, x)
        torch.onnx.is_in_onnx_export = lambda: False
        eager = group_norm_max_pool(gn, x)
    assert torch.allclose(graph, eager, atol=1e-5)
    assert torch.allclose(eager, F.max_pool2d(gn(x), 2))


def test_the_whole_network_exports_the_same_function(model, graph_form):
    torch.manual_seed(4)
    x = torch.rand(1, 3, 256, 256)
    with torch.no_grad():
        graph = model(x)
        torch.onnx.is_in_onnx_export = lambda: False
        eager = model(x)
    assert (graph - eager).abs().max() < 1e-4
    assert torch.equal(graph > 0, eager > 0)


def test_pconv_convolves_only_the_first_half():
    p = PConv(4)
    torch.nn.init.zeros_(p.conv.weight)
    x = torch.randn(1, 4, 5, 5)
    out = p(x)
    assert torch.equal(out[:, 2:], x[:, 2:])
    assert torch.count_nonzero(out[:, :2]) == 0


def test_sru_gate_swaps_halves_by_hand():
    # 16 channels, one pixel group each; gamma ones -> w = 1/16, gate = x >= group mean.
    sru = SRU(16)
    x = torch.zeros(1, 16, 1, 2)
    x[0, :, 0, 0] = 1.0  # above the mean of its group (1, -1)
    x[0, :, 0, 1] = -1.0
    # Each group is one channel (1, -1): normalised +-0.707, so the gate keeps the +1 pixel in
    # x1 and the -1 pixel in x2. Channel c of the output is x1[c] + x2[c +- 8] = (1, 0) + (0, -1).
    x[0, 8:, 0, 0] = 2.0
    x[0, 8:, 0, 1] = -2.0
    out = sru(x)
    assert torch.equal(out[0, :8, 0], torch.tensor([[1.0, -2.0]] * 8))
    assert torch.equal(out[0, 8:, 0], torch.tensor([[2.0, -1.0]] * 8))


def test_sru_reconstruction_crosses_informative_and_redundant_halves():
    sru = SRU(16)
    x = torch.randn(1, 16, 4, 4)
    gn = sru.gn(x)
    mask = (torch.sigmoid(gn / 16) >= 0.5).float()
    x1, x2 = mask * x, (1 - mask) * x
    expected = torch.cat([x1[:, :8] + x2[:, 8:], x1[:, 8:] + x2[:, :8]], dim=1)
    assert torch.allclose(sru(x), expected)


def test_cru_keeps_channels_and_has_the_published_parameters():
    cru = CRU(24)
    assert cru(torch.randn(2, 24, 8, 8)).shape == (2, 24, 8, 8)
    # squeeze 2 x 12*6, GWC 24*3*9 + 24, PWC1 6*24, PWC2 6*18
    assert count_parameters(cru) == 144 + 672 + 144 + 108


def test_ema_with_zero_weights_halves_the_input():
    ema = EMA(16)
    for p in (ema.conv1x1.weight, ema.conv1x1.bias, ema.conv3x3.weight, ema.conv3x3.bias, ema.gn.weight, ema.gn.bias):
        torch.nn.init.zeros_(p)
    x = torch.randn(2, 16, 6, 6)
    # x1 = GN(...) = 0 (zero affine), x2 = 0: weights = 0 -> sigmoid 0.5.
    assert torch.allclose(ema(x), 0.5 * x)


def test_bridge_with_zero_weights_scales_skips_by_one_and_a_quarter():
    bridge = SCAttentionBridge([8, 16, 24, 32, 48])
    for p in bridge.parameters():
        torch.nn.init.zeros_(p)
    ts = [torch.randn(1, c, 4, 4) for c in (8, 16, 24, 32, 48)]
    # s = sigmoid(0) = 0.5: u = t/2, v = 1.5 t; a = 0.5: out = 0.75 t + 0.5 t.
    for out, t in zip(bridge(ts), ts):
        assert torch.allclose(out, 1.25 * t)


def test_sru_gamma_starts_at_ones(model):
    for m in model.modules():
        if isinstance(m, SRU):
            assert torch.equal(m.gn.gamma, torch.ones_like(m.gn.gamma))


def test_conv_initialisation_follows_fan_out():
    torch.manual_seed(0)
    m = SCSONet()
    w = m.dec1[0].weight  # C(64, 48, 3)
    assert abs(w.std().item() - math.sqrt(2 / (9 * 48))) < 0.01
