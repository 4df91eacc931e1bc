"""The real trainer, exporter and CLI on small synthetic data (fine-tuning: test_finetune.py)."""

import json

import numpy as np
import pytest
import torch

from scsonet.data import to_input
from scsonet.export import export_model, sha256_file
from scsonet.network import SCSONet
from scsonet.synth import synth_pair
from scsonet.train import load_checkpoint, train_epoch, to_tensors


def test_info_prints_the_parameter_count(cli):
    res = cli("info", "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["params"] == 159_439 and info["input"] == [3, 256, 256]


def test_a_few_training_steps_reduce_the_loss():
    torch.manual_seed(0)
    images = np.stack([np.asarray(synth_pair(i, 64, 64)[0]) for i in range(8)])
    masks = np.stack([synth_pair(i, 64, 64)[1] for i in range(8)])
    x, y = to_tensors(images, masks)
    model = SCSONet()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    first = train_epoch(model, opt, x, y, 8, g, strong=False, device=torch.device("cpu"))
    for _ in range(15):
        last = train_epoch(model, opt, x, y, 8, g, strong=False, device=torch.device("cpu"))
    assert last < first * 0.8


def test_training_writes_resumable_checkpoints_and_progress(synthetic, tmp_path, cli):
    res = cli("train", "--data", str(synthetic / "default"), "--out", str(tmp_path), "--epochs", "1",
               "--val-fraction", "0.25", "--threads", "2", "--size", "64", timeout=240)
    assert res.returncode == 0, res.stderr
    events = [json.loads(line) for line in res.stdout.splitlines()]
    epoch = next(e for e in events if e["event"] == "epoch")
    assert {"epoch", "epochs", "loss", "val_dsc", "eta_s"} <= set(epoch)
    assert "best validation DSC" in res.stderr
    res = cli("train", "--data", str(synthetic / "default"), "--out", str(tmp_path), "--epochs", "2",
               "--val-fraction", "0.25", "--threads", "2", "--size", "64", "--resume", str(tmp_path / "last.pt"), timeout=240)
    assert res.returncode == 0, res.stderr
    epochs = [json.loads(line)["epoch"] for line in res.stdout.splitlines() if '"epoch"' in line and '"event": "epoch"' in line]
    assert epochs == [2]
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 2


def test_missing_dataset_is_one_clear_line(tmp_path, cli):
    res = cli("train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: dataset folder {tmp_path / 'nope'} does not exist or is not a folder"


def test_export_writes_onnx_card_and_parity_fixture(tmp_path):
    torch.manual_seed(0)
    model = SCSONet().eval()
    inputs = to_input(np.stack([np.asarray(synth_pair(i)[0]) for i in range(2)]))
    card = export_model(model, tmp_path / "m", "test-model", "0.1.0", {"data": "none"}, {}, parity_inputs=inputs)
    assert card["sha256"] == sha256_file(tmp_path / "m.onnx")
    assert json.loads((tmp_path / "m.json").read_text()) == card
    assert card["params"] == 159_439 and card["input"]["name"] == "image" and card["output"]["name"] == "prob"
    assert card["preprocessing"]["scaling"] == "minmax"
    meta = json.loads((tmp_path / "m.parity" / "meta.json").read_text())
    x = np.fromfile(tmp_path / "m.parity" / "input.f32", dtype="<f4").reshape(meta["shape"])
    p = np.fromfile(tmp_path / "m.parity" / "prob.f32", dtype="<f4").reshape(meta["output_shape"])
    assert np.array_equal(x, inputs)
    with torch.no_grad():
        again = torch.sigmoid(model(torch.from_numpy(x))).numpy()
    assert np.abs(again - p).max() < 1e-6
    assert not list(tmp_path.glob(".export-*"))


def test_export_graph_takes_one_image_and_has_no_shape_arithmetic(tmp_path):
    export_model(SCSONet().eval(), tmp_path / "m", "t", "0.0.0", {}, {})
    onnx = pytest.importorskip("onnx", reason="python3-onnx is not installed; the TypeScript parity test covers the graph")
    graph = onnx.load(str(tmp_path / "m.onnx")).graph
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [1, 3, 256, 256]
    ops = [n.op_type for n in graph.node]
    # Every reshape target is a constant, so nothing reads shapes at run time.
    assert not {"Shape", "Gather", "ConstantOfShape", "Expand"} & set(ops)
    assert len([op for op in ops if op != "Constant"]) < 600


def test_synth_is_deterministic_and_sized():
    a_img, a_mask = synth_pair(11, 300, 200)
    b_img, b_mask = synth_pair(11, 300, 200)
    assert a_img.size == (300, 200) and a_mask.shape == (200, 300)
    assert np.array_equal(np.asarray(a_img), np.asarray(b_img)) and np.array_equal(a_mask, b_mask)
    assert 0.02 < a_mask.mean() < 0.6
