"""The interactive SCSONet: the automatic network whose first layer also reads clicks and the previous mask.

Inputs (the card's ``interactive`` field, ``interactive.py`` encodes them): the RGB crop as the
automatic model takes it (3 channels), a positive and a negative click map (2), the previous mask
over the crop (1): 6 channels into the same backbone. Only the first convolution differs, so a
network built from the automatic one with the 3 extra input channels' weights at zero computes
exactly the automatic model on the crop (``from_automatic``); training then learns to use them.

The ONNX graph keeps three named inputs (``image``, ``clicks``, ``prev``) and concatenates them
inside, so callers never build a 6-channel tensor by hand.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .export import OPSET, build_card, seal_card, write_export
from .interactive import CLICK_RADIUS, GRID, MAX_CLICKS, REGION_RULE
from .network import SCSONet

IMAGE_CHANNELS = 3
CLICK_CHANNELS = 2
PREV_CHANNELS = 1
IN_CHANNELS = IMAGE_CHANNELS + CLICK_CHANNELS + PREV_CHANNELS
INPUT_NAMES = ("image", "clicks", "prev")
KIND = "interactive"

INTERACTIVE_FIELD = {
    "inputs": list(INPUT_NAMES),
    "grid": GRID,
    "click_radius": CLICK_RADIUS,
    "click_encoding": "disc",
    "prev_sampling": "nearest at grid pixel centres",
    "region": REGION_RULE,
    "max_clicks": MAX_CLICKS,
    "shapes": {"image": [1, 3, GRID, GRID], "clicks": [1, 2, GRID, GRID], "prev": [1, 1, GRID, GRID]},
    "encoding": (
        "image: the region's crop preprocessed exactly as 'preprocessing' says (fill to 256x256, antialiased "
        "bilinear, per-crop min-max over all channels to [0,1]). Image pixel (x, y) maps to grid coordinates "
        "u = (x + 0.5 - x0) * 256 / w - 0.5, v = (y + 0.5 - y0) * 256 / h - 0.5 for the region x0, y0, w, h. "
        "clicks: channel 0 positive (lesion), channel 1 negative (skin); grid pixel (row i, col j) of a click's "
        "channel is 1.0 when (j - u)^2 + (i - v)^2 <= click_radius^2, else 0.0 (discs of several clicks are "
        "merged by maximum). prev: the previous mask over the region, 0.0/1.0, prev[i][j] = "
        "mask[floor(y0 + (i + 0.5) * h / 256)][floor(x0 + (j + 0.5) * w / 256)]; all zeros when there is none. "
        "Back to the image: bilinear resize of prob to w x h (align-corners false), threshold, replace the mask "
        "inside the region only."
    ),
}

NOTES = [
    "Interactive: three inputs (image, clicks, prev), concatenated to 6 channels inside the graph; the "
    "backbone is the automatic SCSONet's, only the first convolution reads 6 channels instead of 3.",
    "Output is the sigmoid probability over the region's 256x256 grid; resize it to the region and threshold "
    "it at 'threshold'.",
    "macs_g counts every multiply-add of one 6x256x256 run, including ODConv's per-sample kernels.",
    "Callers pass clicks and prev as 0/1; inside the graph they are multiplied by fixed gains (10 and 4) before "
    "the first convolution, a training device (see interactive_model.py), not part of the encoding.",
]


def new_network() -> SCSONet:
    """An untrained interactive network (6 input channels)."""
    return SCSONet(in_channels=IN_CHANNELS)


def from_automatic(state: Dict[str, torch.Tensor]) -> SCSONet:
    """The interactive network initialised from an automatic model's weights.

    Every weight is copied; the first convolution's kernel for the click and previous-mask
    channels is zero, so the network's output equals the automatic model's on the crop for any
    clicks and any previous mask (tests/test_interactive_model.py checks this).
    """
    model = new_network()
    weight = state.get("enc1.weight")
    if weight is None or tuple(weight.shape[1:]) != (IMAGE_CHANNELS, 3, 3):
        raise ValueError("the base checkpoint is not an automatic SCSONet (its first layer does not read 3 channels)")
    widened = torch.zeros(weight.shape[0], IN_CHANNELS, 3, 3, dtype=weight.dtype)
    widened[:, :IMAGE_CHANNELS] = weight
    try:
        model.load_state_dict({**state, "enc1.weight": widened})
    except RuntimeError as exc:
        raise ValueError(f"base checkpoint weights do not fit SCSONet: {str(exc).splitlines()[0]}") from exc
    return model


def model_from_checkpoint(ckpt: Dict) -> SCSONet:
    """The interactive network with an interactive checkpoint's weights (clear error otherwise)."""
    if ckpt.get("kind") != KIND:
        raise ValueError("the checkpoint is not an interactive SCSONet (its 'kind' is not 'interactive')")
    model = new_network()
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise ValueError(f"checkpoint weights do not fit the interactive SCSONet: {str(exc).splitlines()[0]}") from exc
    return model


#: Fixed gains on the click and previous-mask channels inside the graph (the inputs stay 0/1 as the
#: card says). With Adam every weight moves by about the learning rate per step whatever its
#: gradient, so the zero-initialised weights of these channels grew slowly next to the image's
#: pretrained ones (after the first epoch, mean |w| 0.03 against 0.13, and clicks changed almost
#: nothing); a gain makes the same steps count that many times more for them.
CLICK_GAIN = 10.0
PREV_GAIN = 4.0


def forward(model: nn.Module, image: torch.Tensor, clicks: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
    """Logits of the interactive network for the three encoded inputs (NCHW each)."""
    return model(torch.cat([image, clicks * CLICK_GAIN, prev * PREV_GAIN], dim=1))


class InteractiveProbabilityModel(nn.Module):
    """The exported graph: three named inputs, concatenated, sigmoid inside."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor, clicks: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(forward(self.net, image, clicks, prev))


def export_onnx(model: nn.Module, path: Path) -> None:
    """ONNX opset 17, one crop per run (fixed 1 x C x 256 x 256 inputs, as the automatic model)."""
    wrapped = InteractiveProbabilityModel(model).eval()
    dummies = (torch.zeros(1, IMAGE_CHANNELS, GRID, GRID), torch.zeros(1, CLICK_CHANNELS, GRID, GRID),
               torch.zeros(1, PREV_CHANNELS, GRID, GRID))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
        torch.onnx.export(wrapped, dummies, str(path), input_names=list(INPUT_NAMES), output_names=["prob"],
                          opset_version=OPSET, do_constant_folding=True)


ParityInputs = Tuple[np.ndarray, np.ndarray, np.ndarray]


def write_parity_fixture(model: nn.Module, inputs: ParityInputs, folder: Path, threshold: float = 0.5) -> None:
    """image.f32, clicks.f32, prev.f32 (N x C x 256 x 256 each) and PyTorch's prob.f32, with meta.json."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in inputs]
    with torch.no_grad():
        prob = torch.sigmoid(forward(model.eval(), *tensors)).numpy().astype("<f4")
    for name, t in zip(INPUT_NAMES, tensors):
        t.numpy().astype("<f4").tofile(folder / f"{name}.f32")
    prob.tofile(folder / "prob.f32")
    meta = {"n": int(tensors[0].shape[0]), "inputs": {n: list(t.shape) for n, t in zip(INPUT_NAMES, tensors)},
            "threshold": threshold, "output_shape": list(prob.shape)}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def export_interactive(model: nn.Module, out_base: Path, name: str, version: str, training: Dict, metrics: Dict,
                       base: Optional[Dict] = None, parity_inputs: Optional[ParityInputs] = None,
                       notes: Sequence[str] = ()) -> Dict:
    """Writes <out_base>.onnx, .json (and .parity/) atomically, as export.export_model does; returns the card."""
    model = model.eval()

    def card(onnx_path: Path) -> Dict:
        made = build_card(model, onnx_path, name, version, training, metrics, base)
        made["kind"] = KIND
        made["interactive"] = INTERACTIVE_FIELD
        made["notes"] = NOTES + list(notes)
        return made

    parity = None if parity_inputs is None else (lambda folder: write_parity_fixture(model, parity_inputs, folder))
    return write_export(model, Path(out_base), export_onnx, card, parity)


__all__ = ["IN_CHANNELS", "INPUT_NAMES", "KIND", "INTERACTIVE_FIELD", "new_network", "from_automatic",
           "model_from_checkpoint", "forward", "InteractiveProbabilityModel", "export_onnx", "export_interactive",
           "write_parity_fixture", "seal_card"]
