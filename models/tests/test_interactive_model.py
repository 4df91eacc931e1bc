"""The interactive network: its 6-channel input, the zero-initialised start that equals the
automatic model, and the shipped ONNX file's parity with PyTorch (run with onnxruntime-node,
the runtime the app uses; Debian's Python has no onnxruntime)."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from scsonet.checkpoint import load_checkpoint
from scsonet.interactive_model import (IN_CHANNELS, INPUT_NAMES, KIND, forward, from_automatic, model_from_checkpoint,
                                       new_network)
from scsonet.network import SCSONet, count_parameters

MODELS_DIR = Path(__file__).resolve().parents[1]
REPO = MODELS_DIR.parent
SHIPPED = MODELS_DIR / "scsonet-interactive-v1"


def test_the_network_reads_six_channels_and_answers_one():
    model = new_network().eval()
    assert model.enc1.in_channels == IN_CHANNELS == 6
    assert count_parameters(model) == count_parameters(SCSONet()) + 3 * 8 * 9
    with torch.no_grad():
        out = forward(model, torch.rand(2, 3, 64, 64), torch.zeros(2, 2, 64, 64), torch.zeros(2, 1, 64, 64))
    assert out.shape == (2, 1, 64, 64)


def test_zero_initialised_channels_reproduce_the_automatic_model():
    torch.manual_seed(3)
    automatic = SCSONet().eval()
    interactive = from_automatic(automatic.state_dict()).eval()
    image = torch.rand(2, 3, 64, 64)
    clicks = (torch.rand(2, 2, 64, 64) > 0.9).float()
    prev = (torch.rand(2, 1, 64, 64) > 0.5).float()
    with torch.no_grad():
        expected = automatic(image)
        assert torch.equal(forward(interactive, image, clicks, prev), expected)
        assert torch.equal(forward(interactive, image, torch.zeros_like(clicks), torch.zeros_like(prev)), expected)
    # ...and the clicks are read once the extra weights are not zero.
    with torch.no_grad():
        interactive.enc1.weight[:, 3:] = 0.5
        assert not torch.allclose(forward(interactive, image, clicks, prev), expected)


def test_a_checkpoint_of_another_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="not an interactive SCSONet"):
        model_from_checkpoint({"model": SCSONet().state_dict()})
    with pytest.raises(ValueError, match="not an automatic SCSONet"):
        from_automatic(new_network().state_dict())


def _parity():
    meta = json.loads((SHIPPED.with_suffix(".parity") / "meta.json").read_text())
    arrays = [np.fromfile(SHIPPED.with_suffix(".parity") / f"{n}.f32", "<f4").reshape(meta["inputs"][n])
              for n in INPUT_NAMES]
    prob = np.fromfile(SHIPPED.with_suffix(".parity") / "prob.f32", "<f4").reshape(meta["output_shape"])
    return meta, arrays, prob


def test_the_shipped_card_checkpoint_and_parity_fixture_agree():
    card = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert card["kind"] == KIND and card["interactive"]["inputs"] == list(INPUT_NAMES)
    assert card["interactive"]["click_radius"] == 5 and card["interactive"]["grid"] == 256
    assert card["params"] == count_parameters(new_network())
    model = model_from_checkpoint(load_checkpoint(SHIPPED.with_suffix(".pt"))).eval()  # the card's hash is checked
    meta, arrays, prob = _parity()
    assert meta["n"] >= 4 and arrays[1].max() == 1.0 and arrays[2].max() == 1.0  # clicks and a prev are exercised
    with torch.no_grad():
        again = torch.sigmoid(forward(model, *map(torch.from_numpy, arrays))).numpy()
    assert np.abs(again - prob).max() < 1e-5


def test_onnx_runtime_matches_pytorch_on_the_parity_fixture(tmp_path):
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "onnxruntime-node").is_dir():
        pytest.skip("node or onnxruntime-node is missing; the TypeScript integration tests cover the runtime")
    out = tmp_path / "prob.f32"
    subprocess.run([node, str(MODELS_DIR / "tests" / "run_onnx.cjs"), str(SHIPPED.with_suffix(".onnx")),
                    str(SHIPPED.with_suffix(".parity")), str(out)], check=True, cwd=REPO, timeout=120)
    meta, _, prob = _parity()
    actual = np.fromfile(out, "<f4").reshape(meta["output_shape"])
    assert ((actual >= meta["threshold"]) == (prob >= meta["threshold"])).mean() >= 0.999
    assert np.abs(actual - prob).mean() <= 1e-4
