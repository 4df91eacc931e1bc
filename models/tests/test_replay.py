"""The committed replay/anchor sample and the replay-sample command that regenerates it."""

from pathlib import Path

import torch

from scsonet.split import split_ids
from scsonet.replay import choose_replay_sample
from scsonet.synth import write_synthetic_dataset

MODELS_DIR = Path(__file__).resolve().parents[1]
REPLAY = MODELS_DIR / "replay"


def _stems(folder: Path):
    return sorted(p.stem for p in folder.iterdir())


def test_replay_sample_copies_a_seeded_choice_of_each_split_byte_for_byte(tmp_path, cli):
    data = tmp_path / "data"
    ids = write_synthetic_dataset(data, 20, seed=11, sizes=((32, 32),))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "README.md").write_text("kept")
    res = cli("replay-sample", "--data", data, "--out", tmp_path / "out", "--train", 5, "--anchor", 2)
    assert res.returncode == 0, res.stderr
    train_ids, val_ids = split_ids(ids, 0.15, 42)
    chosen_train, chosen_anchor = _stems(tmp_path / "out" / "train" / "images"), _stems(tmp_path / "out" / "anchor" / "images")
    assert len(chosen_train) == 5 and set(chosen_train) <= set(train_ids)
    assert len(chosen_anchor) == 2 and set(chosen_anchor) <= set(val_ids)
    assert _stems(tmp_path / "out" / "train" / "masks") == chosen_train
    for name in ("images", "masks"):
        for f in (tmp_path / "out" / "train" / name).iterdir():
            assert f.read_bytes() == (data / name / f.name).read_bytes()
    assert (chosen_train, chosen_anchor) == choose_replay_sample(ids, 5, 2)
    assert (tmp_path / "out" / "README.md").read_text() == "kept"
    assert not list((tmp_path / "out").glob(".replay-sample-*"))
    # Regenerating replaces the folders with the same choice.
    res = cli("replay-sample", "--data", data, "--out", tmp_path / "out", "--train", 5, "--anchor", 2)
    assert res.returncode == 0 and _stems(tmp_path / "out" / "train" / "images") == chosen_train


def test_asking_for_more_than_a_split_holds_is_a_clear_error(tmp_path, cli):
    write_synthetic_dataset(tmp_path / "data", 10, seed=12, sizes=((32, 32),))
    res = cli("replay-sample", "--data", tmp_path / "data", "--out", tmp_path / "out", "--train", 50)
    assert res.returncode == 2
    assert res.stderr.strip() == "error: the model's training split has 8 pairs; 50 were asked for"


def test_the_committed_sample_is_250_training_and_50_held_out_pairs_of_the_shipped_model():
    split = torch.load(MODELS_DIR / "scsonet-isic2017-v1.pt", map_location="cpu")["split"]
    held_out = set(split["val_ids"])
    train, anchor = _stems(REPLAY / "train" / "images"), _stems(REPLAY / "anchor" / "images")
    assert len(train) == 250 and len(anchor) == 50
    assert _stems(REPLAY / "train" / "masks") == train and _stems(REPLAY / "anchor" / "masks") == anchor
    assert not held_out & set(train) and set(anchor) <= held_out
