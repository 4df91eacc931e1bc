"""Checkpoints never run what they contain, and a version's checkpoint is checked against its card."""

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import torch

from scsonet.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from scsonet.network import SCSONet

MODELS_DIR = Path(__file__).resolve().parents[1]

SHIPPED = MODELS_DIR / "scsonet-isic2017-v1.pt"


class _Payload:
    """Unpickling this runs ``os.system`` (what a hostile model.pt does)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def _malicious_checkpoint(path: Path, marker: Path) -> None:
    """A real torch.save archive: valid weights plus one entry whose unpickling creates ``marker``."""
    torch.save({"format": "scsonet-checkpoint/1", "model": SCSONet().state_dict(), "name": "x", "version": "1.0.0",
                "note": _Payload(marker)}, path)


def _version_folder(tmp_path: Path, checkpoint: Path) -> Path:
    """A version folder as the store keeps it: model.pt with a card that records its hash."""
    folder = tmp_path / "scsonet-isic2017@1.1.0"
    folder.mkdir()
    shutil.copyfile(checkpoint, folder / "model.pt")
    card = json.loads((MODELS_DIR / "scsonet-isic2017-v1.json").read_text())
    card["files"] = {"model.pt": hashlib.sha256((folder / "model.pt").read_bytes()).hexdigest()}
    (folder / "model.json").write_text(json.dumps(card))
    return folder


def test_the_payload_is_real(tmp_path):
    """Control: torch.load as it was called before (no restriction) does run it, so the refusals below mean something."""
    marker = tmp_path / "ran"
    _malicious_checkpoint(tmp_path / "evil.pt", marker)
    torch.load(tmp_path / "evil.pt", map_location="cpu")
    assert marker.exists()


def test_a_malicious_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    _malicious_checkpoint(tmp_path / "evil.pt", marker)
    with pytest.raises(CheckpointError, match=r"posix\.system|os\.system|nt\.system"):
        load_checkpoint(tmp_path / "evil.pt")
    assert not marker.exists()


def test_finetune_from_a_replaced_checkpoint_is_refused_before_loading(tmp_path, synthetic, cli):
    """The store's scenario: model.pt of a version replaced after its card recorded the hash."""
    folder = _version_folder(tmp_path, SHIPPED)
    marker = tmp_path / "ran"
    _malicious_checkpoint(folder / "model.pt", marker)
    run = cli("finetune", "--base", folder / "model.pt", "--data", synthetic / "default", "--out", tmp_path / "out",
              "--epochs", "1", "--no-replay", "--no-anchor")
    assert run.returncode == 2
    assert "does not match its card" in run.stderr
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_a_malicious_pickle_whose_hash_the_card_records_still_does_not_run(tmp_path):
    """Whoever can replace the checkpoint can rewrite the card too: the loader is what keeps it harmless."""
    marker = tmp_path / "ran"
    _malicious_checkpoint(tmp_path / "evil.pt", marker)
    folder = _version_folder(tmp_path, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="never contains"):
        load_checkpoint(folder / "model.pt")
    assert not marker.exists()


def test_a_card_without_a_checkpoint_hash_makes_the_checkpoint_untrusted(tmp_path):
    folder = _version_folder(tmp_path, SHIPPED)
    card = json.loads((folder / "model.json").read_text())
    del card["files"]
    (folder / "model.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="records no hash for model.pt"):
        load_checkpoint(folder / "model.pt")


def test_the_shipped_checkpoint_and_a_sealed_version_load(tmp_path):
    ckpt, sha = read_checkpoint(SHIPPED)
    assert ckpt["name"] == "scsonet-isic2017"
    card = json.loads((MODELS_DIR / "scsonet-isic2017-v1.json").read_text())
    assert card["files"]["scsonet-isic2017-v1.pt"] == sha
    folder = _version_folder(tmp_path, SHIPPED)
    assert load_checkpoint(folder / "model.pt")["version"] == "1.0.0"


def test_a_training_checkpoint_with_optimizer_and_generator_state_loads(tmp_path):
    model = SCSONet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
    save_checkpoint(tmp_path / "last.pt", model=model.state_dict(), optimizer=optimizer.state_dict(),
                    scheduler=scheduler.state_dict(), generator=torch.Generator().get_state(), epoch=1,
                    metrics={"dsc": 0.5, "n": 3})
    ckpt = load_checkpoint(tmp_path / "last.pt")
    assert ckpt["epoch"] == 1 and ckpt["metrics"]["dsc"] == 0.5
    assert set(ckpt["optimizer"]) == {"state", "param_groups"}


@pytest.mark.parametrize("kind", ["link", "fifo", "torchscript", "legacy", "compressed"])
def test_links_pipes_and_other_archives_are_refused_without_waiting(tmp_path, kind):
    target = tmp_path / "model.pt"
    if kind == "link":
        target.symlink_to(SHIPPED)
    elif kind == "fifo":
        os.mkfifo(target)  # reading it would wait forever for a writer
    elif kind == "torchscript":
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(target))
    elif kind == "legacy":
        torch.save({"format": "scsonet-checkpoint/1"}, target, _use_new_zipfile_serialization=False)
    else:
        with zipfile.ZipFile(SHIPPED) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item.filename, src.read(item.filename))
    with pytest.raises(CheckpointError):
        load_checkpoint(target)
