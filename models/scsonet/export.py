"""ONNX export (opset 17, one image per run, sigmoid inside), model card and parity fixture."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import nn

from . import __version__
from .flops import count_macs
from .network import SCSONet, count_parameters

CARD_FORMAT = "lesiondesk-model-card/1"
# Generated from the app's zod schema (npm run schema): the card's one definition, read here so
# Python never writes a card the app would refuse.
CARD_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "model-card.schema.json"
OPSET = 17
PREPROCESSING = {
    "resize": {"width": 256, "height": 256, "fit": "fill", "kernel": "linear", "antialias": True},
    "channel_order": "RGB",
    "scaling": "minmax",
    "description": (
        "Decode to 8-bit sRGB RGB (EXIF orientation applied, alpha flattened, 16-bit scaled to 8-bit); "
        "resize to 256x256 ignoring the aspect ratio with antialiased bilinear (area-averaging when "
        "shrinking); per image, map all pixels of all channels linearly so the minimum is 0 and the "
        "maximum is 1 (a constant image becomes zeros); float32 NCHW."
    ),
}
NOTES = [
    "SRU gamma initialised to ones (not the authors' standard normal): the hard SRU gate then "
    "survives float rounding, so PyTorch and ONNX Runtime masks agree.",
    "Output is the sigmoid probability; threshold it at 'threshold' after upsampling to the image size.",
    "The graph takes one image per run (input 1x3x256x256): with a fixed shape ODConv is one convolution with a "
    "run-time kernel and every reshape a constant. Run several images one after another.",
    "macs_g counts every multiply-add, including ODConv's two per-sample 3x3 kernels (23.6 M at 256x256); "
    "the authors' 0.059 G comes from a profiler that does not see those functional convolutions.",
]


class CardError(ValueError):
    """A model card that does not match model-card.schema.json; the message lists every bad field."""


@functools.lru_cache(maxsize=1)
def card_validator() -> Any:
    """The JSON Schema validator of model-card.schema.json (loaded once).

    Fine-tuning calls this before training, so a missing package or schema stops the job at
    once instead of after an hour of training.
    """
    try:
        import jsonschema
    except ImportError as exc:
        raise CardError(
            "checking model cards needs the Python package jsonschema (Debian/Ubuntu: apt install python3-jsonschema)"
        ) from exc
    if not CARD_SCHEMA_PATH.is_file():
        raise CardError(f"the model card schema {CARD_SCHEMA_PATH} is missing; run npm run schema to write it")
    schema = json.loads(CARD_SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)


def _field_name(path) -> str:
    """A JSON path as people write it: metrics.validation.n, input.shape[0]; '(card)' for the root."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(card)"


def _card_problems(card: Dict) -> List[str]:
    """'field: problem' for every schema violation, in field order.

    An anyOf (base: object or null) fails as a whole with an unhelpful "not valid under any of
    the given schemas"; its branches' own errors say what is wrong, minus the branches whose
    type does not even apply (base is not null).
    """
    problems = []
    for error in sorted(card_validator().iter_errors(card), key=lambda e: [str(p) for p in e.absolute_path]):
        inner = [e for e in error.context or [] if not (e.validator == "type" and not e.relative_path)]
        for e in inner or [error]:
            problems.append(f"{_field_name(e.absolute_path)}: {e.message}")
    return problems


def validate_card(card: Dict) -> None:
    """Raises CardError naming every field of the card that model-card.schema.json rejects."""
    problems = _card_problems(card)
    if problems:
        raise CardError(
            f"the model card of {card.get('name', '?')} {card.get('version', '?')} does not match "
            f"{CARD_SCHEMA_PATH.name}: " + "; ".join(problems)
        )


def base_reference(base: Optional[Dict]) -> Optional[Dict]:
    """A checkpoint's base reference in the card's form: checkpoints fine-tuned before the card
    schema called it ``sha256`` stored the base checkpoint's hash as ``checkpoint_sha256``."""
    if not base or "checkpoint_sha256" not in base:
        return base
    renamed = {k: v for k, v in base.items() if k != "checkpoint_sha256"}
    renamed.setdefault("sha256", base["checkpoint_sha256"])
    return renamed


class ProbabilityModel(nn.Module):
    """SCSONet with the sigmoid inside, so the ONNX output is a probability map."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(image))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def seal_card(card_path: Path, names: List[str]) -> Dict:
    """Records the sha256 of files beside a card in its ``files`` (relative names, '/'-separated).

    The app checks every file of a version against these hashes before using it, and the trainer
    checks a checkpoint against its entry before loading it (checkpoint.py). The card is
    validated and replaced atomically.
    """
    card_path = Path(card_path)
    card = json.loads(card_path.read_text())
    files = dict(card.get("files") or {})
    for name in names:
        files[name] = sha256_file(card_path.parent / name)
    card["files"] = dict(sorted(files.items()))
    validate_card(card)
    tmp = card_path.with_name(card_path.name + ".tmp")
    tmp.write_text(json.dumps(card, indent=2) + "\n")
    os.replace(tmp, card_path)
    return card


def export_onnx(model: nn.Module, path: Path, size: int = 256) -> None:
    """Writes the probability model as ONNX for one 1 x 3 x size x size image per run.

    A fixed shape lets every reshape be a constant and ODConv be one plain convolution whose
    kernel is computed at run time (with a symbolic batch it needs nine shifted copies of its
    input): two fifths of the nodes and about a fifth less time per image in onnxruntime on a
    CPU,
    where a batch gains nothing anyway. Callers with several images run them one by one.
    """
    wrapped = ProbabilityModel(model).eval()
    dummy = torch.zeros(1, 3, size, size)
    with torch.no_grad(), warnings.catch_warnings():
        # Shapes read as Python ints become constants on purpose (network._chw); the tracer
        # warns about each one.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # Merged kernels built in NumPy enter the trace as constants without a shape symbol.
        warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
        torch.onnx.export(
            wrapped,
            dummy,
            str(path),
            input_names=["image"],
            output_names=["prob"],
            opset_version=OPSET,
            do_constant_folding=True,
        )


def write_parity_fixture(model: nn.Module, inputs: np.ndarray, folder: Path, threshold: float = 0.5) -> None:
    """Stores preprocessed inputs and PyTorch probabilities for the onnxruntime parity test."""
    folder.mkdir(parents=True, exist_ok=True)
    x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32))
    with torch.no_grad():
        prob = torch.sigmoid(model.eval()(x)).numpy().astype("<f4")
    x.numpy().astype("<f4").tofile(folder / "input.f32")
    prob.tofile(folder / "prob.f32")
    meta = {"n": int(x.shape[0]), "shape": list(x.shape), "threshold": threshold, "output_shape": list(prob.shape)}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))


def build_card(
    model: nn.Module,
    onnx_path: Path,
    name: str,
    version: str,
    training: Dict,
    metrics: Dict,
    base: Optional[Dict] = None,
    threshold: float = 0.5,
) -> Dict:
    """The model card written beside every exported ONNX file."""
    macs = count_macs(model)
    return {
        "format": CARD_FORMAT,
        "name": name,
        "version": version,
        "architecture": "SCSONet",
        "reference": "Chen H. et al., SCSONet: spatial-channel synergistic optimization net for skin lesion "
        "segmentation, Front. Phys. 12:1388364 (2024)",
        "file": onnx_path.name,
        "sha256": sha256_file(onnx_path),
        "params": count_parameters(model),
        "macs_g": round(macs / 1e9, 4),
        "opset": OPSET,
        "input": {"name": "image", "shape": [3, 256, 256], "dtype": "float32", "layout": "NCHW"},
        "output": {"name": "prob", "shape": [1, 256, 256], "activation": "sigmoid"},
        "preprocessing": PREPROCESSING,
        "threshold": threshold,
        "training": training,
        "metrics": metrics,
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "base": base,
        "exporter": f"scsonet {__version__}, torch {torch.__version__}",
        "notes": NOTES,
    }


def export_model(
    model: nn.Module,
    out_base: Path,
    name: str,
    version: str,
    training: Dict,
    metrics: Dict,
    base: Optional[Dict] = None,
    parity_inputs: Optional[np.ndarray] = None,
) -> Dict:
    """Writes <out_base>.onnx, <out_base>.json and optionally <out_base>.parity/; returns the card.

    Everything is written to a temporary folder first and moved into place at the end, so
    a failed export never leaves a card that describes a different ONNX file. The card is
    checked against model-card.schema.json before it is written (CardError otherwise).
    """
    def card(onnx_path: Path) -> Dict:
        return build_card(model, onnx_path, name, version, training, metrics, base)

    parity = None if parity_inputs is None else (lambda folder: write_parity_fixture(model, parity_inputs, folder))
    return write_export(model.eval(), Path(out_base), export_onnx, card, parity)


def write_export(
    model: nn.Module,
    out_base: Path,
    write_onnx: Callable[[nn.Module, Path], None],
    make_card: Callable[[Path], Dict],
    write_parity: Optional[Callable[[Path], None]] = None,
) -> Dict:
    """The one export sequence of every model kind: ONNX, the card made from it (``make_card``,
    given the ONNX path; ``file`` is set here) validated against the schema, the optional parity
    folder, all in a temporary folder beside ``out_base`` and moved into place only at the end."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_base.parent, prefix=".export-") as tmp:
        tmp_base = Path(tmp) / out_base.name
        onnx_path = tmp_base.with_name(out_base.name + ".onnx")
        write_onnx(model, onnx_path)
        card = make_card(onnx_path)
        card["file"] = out_base.name + ".onnx"
        validate_card(card)
        tmp_base.with_name(out_base.name + ".json").write_text(json.dumps(card, indent=2) + "\n")
        suffixes = [".onnx", ".json"]
        if write_parity is not None:
            write_parity(tmp_base.with_name(out_base.name + ".parity"))
            suffixes.append(".parity")
        move_into_place(tmp_base, out_base, suffixes)
    return card


def move_into_place(tmp_base: Path, out_base: Path, suffixes: Sequence[str]) -> None:
    """Moves each <tmp_base><suffix> over <out_base><suffix> (a parity folder replaced whole), once all are written."""
    for suffix in suffixes:
        target = out_base.with_name(out_base.name + suffix)
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(tmp_base.with_name(out_base.name + suffix), target)
