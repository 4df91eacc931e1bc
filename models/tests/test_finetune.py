"""The fine-tuning job end to end (child processes) and its data side (replay, anchor, manifest)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from scsonet.split import split_of_file
from scsonet.export import sha256_file, validate_card
from scsonet.finetune import mixed_batches
from scsonet.job import load_replay
from scsonet.recipe import DEFAULT_RECIPE
from scsonet.synth import write_synthetic_dataset
from scsonet.train import load_checkpoint

MODELS_DIR = Path(__file__).resolve().parents[1]
SMALL = ("--size", "64", "--threads", "2")
FAST = (*SMALL, "--no-replay", "--no-anchor")
# The default recipe draws the same number of corrections every epoch, and replay pairs in proportion.
REPLAY_PER_EPOCH = round(DEFAULT_RECIPE.epoch_pairs * DEFAULT_RECIPE.replay_ratio)


def _image(job: Path, stem: str) -> Path:
    """The image file of a stem in a job folder."""
    return next(p for p in (job / "images").iterdir() if p.stem == stem)


def _events(stdout: str):
    """Every stdout line must be one JSON object (the app parses them all)."""
    return [json.loads(line) for line in stdout.splitlines()]


def _write_manifest(job: Path, splits: dict, job_id: str = "job-7", unchanged=()) -> None:
    cases = [{"id": i, "caseId": f"case-of-{i}", "maskVersionId": f"mv-{i}", "split": s, "unchanged": i in unchanged}
             for i, s in splits.items()]
    manifest = {"format": "lesiondesk-finetune-job/1", "jobId": job_id, "base": "scsonet@1.0.0",
                "created": "2026-12-01T10:00:00Z", "cases": cases}
    (job / "manifest.json").write_text(json.dumps(manifest))


def _job(root: Path, count: int, seed: int, n_val: int = 5, manifest: bool = True):
    """A synthetic job of 64 px pairs; with a manifest, the first n_val ids (sorted) are validation."""
    ids = sorted(write_synthetic_dataset(root, count, seed=seed, sizes=((64, 64),)))
    if manifest:
        _write_manifest(root, {i: "validation" if k < n_val else "train" for k, i in enumerate(ids)})
    return ids


def _assert_user_error(res, *fragments):
    """Exit 2, one 'error: ...' line on stderr, and the same sentence as the last stdout event."""
    assert res.returncode == 2, (res.stdout, res.stderr)
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), res.stderr
    events = _events(res.stdout)
    assert events[0] == {"event": "phase", "phase": "loading"}
    assert events[-1] == {"event": "error", "message": line[len("error: "):]}
    for fragment in fragments:
        assert fragment in line, line
    return line


# --- one full run with the defaults (replay from models/replay/train, anchor models/replay/anchor) ---

@pytest.fixture(scope="module")
def default_run(base_checkpoint, tmp_path_factory, cli):
    root = tmp_path_factory.mktemp("default-run")
    ids = _job(root / "job", 24, seed=3, manifest=False)
    res = cli("finetune", "--base", base_checkpoint, "--data", root / "job", "--out", root / "out", "--epochs", "2",
              *SMALL, timeout=600)
    assert res.returncode == 0, res.stderr
    return {"res": res, "out": root / "out", "ids": ids, "root": root}


def test_events_start_with_loading_and_end_with_done(default_run):
    events = _events(default_run["res"].stdout)
    kinds = [e.get("phase", e["event"]) for e in events]
    assert kinds == ["loading", "start", "baseline", "training", "epoch", "epoch", "scoring", "exporting", "done"]
    start, epoch, done = events[1], events[4], events[-1]
    # The training phase carries the base's validation Dice: the live chart's reference line.
    assert events[3] == {"event": "phase", "phase": "training", "base_val_dsc": done["base_val_dsc"]}
    assert start == {"event": "start", "epochs": 2, "n_train": start["n_train"], "n_val": start["n_val"],
                     "n_per_epoch": DEFAULT_RECIPE.epoch_pairs, "n_replay": REPLAY_PER_EPOCH, "n_anchor": 50}
    assert set(epoch) == {"event", "epoch", "epochs", "loss", "val_dsc", "seconds", "eta_s"} and epoch["epoch"] == 1
    metrics = json.loads((default_run["out"] / "metrics.json").read_text())
    assert done == {"event": "done", "version": "1.1.0",
                    "base_val_dsc": metrics["validation"]["base"]["dsc"],
                    "candidate_val_dsc": metrics["validation"]["candidate"]["dsc"],
                    "base_anchor_dsc": metrics["anchor"]["base"]["dsc"],
                    "candidate_anchor_dsc": metrics["anchor"]["candidate"]["dsc"]}


def test_metrics_json_has_every_field(default_run, base_checkpoint):
    m = json.loads((default_run["out"] / "metrics.json").read_text())
    assert set(m) == {"format", "name", "version", "base", "job", "seconds", "epochs", "size", "peak_rss_mb", "train",
                      "validation", "anchor", "cases", "history"}
    assert m["format"] == "lesiondesk-finetune-metrics/1" and m["version"] == "1.1.0" and m["job"] == "job"
    assert m["base"] == {"name": m["name"], "version": "1.0.0", "sha256": sha256_file(base_checkpoint)}
    assert m["epochs"] == 2 and m["size"] == 64 and m["peak_rss_mb"] > 0 and m["seconds"] > 0
    val_ids = [i for i in default_run["ids"] if split_of_file(_image(default_run["root"] / "job", i)) == "validation"]
    assert m["validation"]["ids"] == val_ids and m["validation"]["n"] == len(val_ids)
    assert m["train"]["n"] == len(default_run["ids"]) - len(val_ids)
    metric_keys = {"miou", "dsc", "acc", "sen", "spe", "mean_dsc", "n"}
    for scores in (m["validation"], m["anchor"]):
        assert set(scores["base"]) == set(scores["candidate"]) == metric_keys
    # No manifest: no case says it was approved unchanged, so every validation case is a changed one.
    assert m["validation"]["changed"]["n"] == len(val_ids) and m["validation"]["unchanged"]["n"] == 0
    assert m["validation"]["changed"]["candidate"]["dsc"] == m["validation"]["candidate"]["dsc"]
    assert [c["id"] for c in m["cases"]] == val_ids
    assert all(set(c) == {"id", "split", "unchanged", "base_dsc", "candidate_dsc"} and c["split"] == "validation"
               for c in m["cases"])
    mean = np.mean([c["candidate_dsc"] for c in m["cases"]])
    assert abs(mean - m["validation"]["candidate"]["mean_dsc"]) < 1e-4
    assert [h["epoch"] for h in m["history"]] == [1, 2] and all(set(h) == {"epoch", "loss", "val_dsc"} for h in m["history"])
    if DEFAULT_RECIPE.interpolation == 1:
        assert m["history"][-1]["val_dsc"] == m["validation"]["candidate"]["dsc"]  # the candidate is the last epoch
    else:
        # The candidate is part of the way from the base to the last epoch (WiSE-FT): scored in its own right.
        assert m["history"][-1]["val_dsc"] != m["validation"]["candidate"]["dsc"]
    assert "improved" not in json.dumps(m)


def test_default_replay_and_anchor_come_from_models_replay(default_run):
    m = json.loads((default_run["out"] / "metrics.json").read_text())
    assert m["train"]["replay_sources"] == [str(MODELS_DIR / "replay" / "train")]
    assert m["train"]["replay_pool"] == 250 and m["train"]["replay_per_epoch"] == REPLAY_PER_EPOCH
    assert m["anchor"]["n"] == 50 and m["anchor"]["source"] == str(MODELS_DIR / "replay" / "anchor")
    assert m["anchor"]["base"]["n"] == m["anchor"]["candidate"]["n"] == 50


def test_the_card_of_a_finetune_validates_and_names_its_base(default_run, base_checkpoint):
    out = default_run["out"]
    card = json.loads((out / "model.json").read_text())
    validate_card(card)
    assert card["base"] == {"name": card["name"], "version": "1.0.0", "sha256": sha256_file(base_checkpoint)}
    assert card["sha256"] == sha256_file(out / "model.onnx")
    assert card["training"]["corrections"] == 24 and card["training"]["job"] == "job"
    assert isinstance(card["training"]["data"], str) and card["training"]["data"].endswith(".")
    m = json.loads((out / "metrics.json").read_text())
    assert card["metrics"]["validation"] == m["validation"]["candidate"]
    ckpt = load_checkpoint(out / "model.pt")
    assert ckpt["base"] == card["base"] and ckpt["version"] == "1.1.0"
    # Every recipe setting the candidate was made with is recorded, in the checkpoint and in words on the card.
    recipe = ckpt["finetune"]
    assert {k: recipe[k] for k in ("epoch_pairs", "replay_ratio", "encoder_lr", "average_last", "adabn", "interpolation")} \
        == {k: getattr(DEFAULT_RECIPE, k) for k in ("epoch_pairs", "replay_ratio", "encoder_lr", "average_last", "adabn",
                                                    "interpolation")}
    words = card["training"]["recipe"]
    assert f"lr {DEFAULT_RECIPE.lr}" in words and f"{DEFAULT_RECIPE.epoch_pairs} correction draws per epoch" in words
    assert ("WiSE-FT" in words) == (DEFAULT_RECIPE.interpolation != 1)
    assert not list(default_run["root"].glob(".out.partial-*"))


# --- the job folder ---

def test_manifest_decides_the_split_and_unlisted_pairs_are_ignored(base_checkpoint, tmp_path, cli):
    ids = _job(tmp_path / "job", 12, seed=4, manifest=False)
    # Validation chosen against the id rule, so only the manifest can explain the outcome.
    by_rule = sorted(ids, key=lambda i: split_of_file(_image(tmp_path / "job", i)) == "validation")
    listed = by_rule[:11]
    _write_manifest(tmp_path / "job", {i: "validation" if k < 5 else "train" for k, i in enumerate(listed)})
    res = cli("finetune", "--base", base_checkpoint, "--data", tmp_path / "job", "--out", tmp_path / "out",
              "--epochs", "1", *FAST, timeout=300)
    assert res.returncode == 0, res.stderr
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert m["validation"]["ids"] == sorted(listed[:5]) and m["train"]["n"] == 6 and m["job"] == "job-7"
    assert m["anchor"] is None and m["train"]["replay_pool"] == 0 and m["train"]["replay_sources"] == []
    assert f"ignored: {by_rule[11]}" in res.stderr


def _dice(pred: np.ndarray, truth: np.ndarray) -> float:
    tp = np.logical_and(pred, truth).sum()
    denom = pred.sum() + truth.sum()
    return 1.0 if denom == 0 else float(2 * tp / denom)


def _png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_evidence_holds_each_validation_case_with_both_masks_and_the_card_names_what_it_learned_from(
        base_checkpoint, tmp_path, cli):
    ids = _job(tmp_path / "job", 12, seed=6, n_val=5)
    # Two validation cases were approved unchanged: the gate's second part.
    _write_manifest(tmp_path / "job", {i: "validation" if k < 5 else "train" for k, i in enumerate(ids)},
                    unchanged={ids[1], ids[3], ids[7]})
    res = cli("finetune", "--base", base_checkpoint, "--data", tmp_path / "job", "--out", tmp_path / "out",
              "--epochs", "1", *FAST, timeout=300)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    ev = json.loads((out / "evidence.json").read_text())
    m = json.loads((out / "metrics.json").read_text())
    assert ev["format"] == "lesiondesk-finetune-evidence/1" and ev["job"] == "job-7" and ev["size"] == 64
    assert ev["base"] == "scsonet@1.0.0" and ev["candidate"] == "scsonet@1.1.0" and ev["threshold"] == 0.5
    assert [c["id"] for c in ev["cases"]] == ids[:5]
    base_differs = False
    parts = {}
    for row, scored in zip(ev["cases"], m["cases"]):
        assert row["caseId"] == f"case-of-{row['id']}" and row["maskVersionId"] == f"mv-{row['id']}"
        assert (row["base_dsc"], row["candidate_dsc"]) == (scored["base_dsc"], scored["candidate_dsc"])
        image, final = _png(out / row["files"]["image"]), _png(out / row["files"]["final"])
        base, candidate = _png(out / row["files"]["base"]), _png(out / row["files"]["candidate"])
        assert image.shape == (64, 64, 3) and image.dtype == np.uint8
        assert final.shape == base.shape == candidate.shape == (64, 64) and final.dtype == bool
        # The approved mask as the job holds it (the synthetic pairs are 64 px already).
        assert np.array_equal(final, _png(tmp_path / "job" / "masks" / f"{row['id']}.png") > 127)
        # The PNGs are the very masks the Dice was computed on.
        assert abs(_dice(base, final) - row["base_dsc"]) < 1e-4
        assert abs(_dice(candidate, final) - row["candidate_dsc"]) < 1e-4
        base_differs |= not np.array_equal(base, candidate)
        assert row["unchanged"] is (row["id"] in (ids[1], ids[3])) and scored["unchanged"] is row["unchanged"]
        parts.setdefault(row["unchanged"], []).append((final, base, candidate))
    # Each part pooled over its own cases, from the very masks of the evidence; the card keeps both.
    card = json.loads((out / "model.json").read_text())
    for name, flag in (("changed", False), ("unchanged", True)):
        finals, bases, candidates = (np.stack(x) for x in zip(*parts[flag]))
        part = m["validation"][name]
        assert part["n"] == (2 if flag else 3)
        assert abs(part["base"]["dsc"] - _dice(bases, finals)) < 1e-4
        assert abs(part["candidate"]["dsc"] - _dice(candidates, finals)) < 1e-4
        assert card["metrics"]["validation_parts"][name] == part
    assert base_differs, "base and candidate predicted identical masks on every case; the evidence shows nothing"
    training = json.loads((out / "model.json").read_text())["training"]
    assert training["trained_on"] == [{"caseId": f"case-of-{i}", "maskVersionId": f"mv-{i}"} for i in ids[5:]]
    assert training["validated_on"] == [{"caseId": f"case-of-{i}", "maskVersionId": f"mv-{i}"} for i in ids[:5]]


def test_without_a_manifest_provenance_falls_back_to_file_stems(default_run):
    out = default_run["out"]
    training = json.loads((out / "model.json").read_text())["training"]
    val_ids = [i for i in default_run["ids"] if split_of_file(_image(default_run["root"] / "job", i)) == "validation"]
    assert training["validated_on"] == [{"caseId": i, "maskVersionId": None} for i in val_ids]
    assert len(training["trained_on"]) == len(default_run["ids"]) - len(val_ids)
    ev = json.loads((out / "evidence.json").read_text())
    assert [(c["id"], c["caseId"], c["maskVersionId"]) for c in ev["cases"]] == [(i, None, None) for i in val_ids]
    assert sorted(p.name for p in (out / "evidence").iterdir()) == sorted(
        f"{k:04d}.{kind}.png" for k in range(1, len(val_ids) + 1) for kind in ("image", "final", "base", "candidate"))


def test_no_validation_case_is_a_sentence_with_what_to_do(base_checkpoint, tmp_path, cli):
    _job(tmp_path / "job", 8, seed=5, n_val=0)
    res = cli("finetune", "--base", base_checkpoint, "--data", tmp_path / "job", "--out", tmp_path / "out",
              "--patience", "3", *FAST)
    line = _assert_user_error(res)
    assert line == ("error: the job has no validation case, so nothing could judge what it learns (about 1 in 4 cases "
                    "is a validation case, decided by its image), so add about 20 more approved cases")
    assert "--patience is ignored" in res.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))


def test_a_small_library_job_runs_with_too_few_validation_cases_to_judge(base_checkpoint, tmp_path, cli):
    # Three validation cases: the job still runs (the app keeps its result as a candidate).
    _job(tmp_path / "job", 8, seed=5, n_val=3)
    res = cli("finetune", "--base", base_checkpoint, "--data", tmp_path / "job", "--out", tmp_path / "out",
              "--epochs", "1", *FAST, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "3 validation cases are too few to judge the result" in res.stderr
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["validation"]["n"] == 3


def _corrupt_manifest(job: Path, ids):
    (job / "manifest.json").write_text('{"format": "lesiondesk-finetune-job/1", "cases": [')
    return ["manifest.json", "is not valid JSON"]


def _truncate_an_image(job: Path, ids):
    path = job / "images" / f"{ids[6]}.jpg"
    path.write_bytes(path.read_bytes()[:300])
    return [f"case {ids[6]} of the job", "unreadable image"]


def _resize_a_mask(job: Path, ids):
    from PIL import Image

    Image.new("L", (40, 64)).save(job / "masks" / f"{ids[2]}.png")
    return [f"case {ids[2]} of the job", "image is 64x64 but mask is 40x64"]


@pytest.mark.parametrize("damage", [_corrupt_manifest, _truncate_an_image, _resize_a_mask])
def test_a_damaged_job_is_an_error_naming_what_is_wrong(damage, base_checkpoint, tmp_path, cli):
    ids = _job(tmp_path / "job", 8, seed=6)
    fragments = damage(tmp_path / "job", ids)
    res = cli("finetune", "--base", base_checkpoint, "--data", tmp_path / "job", "--out", tmp_path / "out", *FAST)
    _assert_user_error(res, *fragments)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))


def test_a_listed_case_without_files_is_named(base_checkpoint, tmp_path, cli):
    ids = _job(tmp_path / "job", 8, seed=6)
    (tmp_path / "job" / "masks" / f"{ids[7]}.png").unlink()
    res = cli("finetune", "--base", base_checkpoint, "--data", tmp_path / "job", "--out", tmp_path / "out", *FAST)
    _assert_user_error(res, f"case {ids[7]} is listed in manifest.json but its mask is missing")


def test_wrong_checkpoint_existing_output_and_contradictory_options_are_errors(tmp_path, synthetic, cli):
    (tmp_path / "exists").mkdir()
    bad = tmp_path / "bad.pt"
    torch.save({"weights": 1}, bad)
    res = cli("finetune", "--base", bad, "--data", synthetic / "default", "--out", tmp_path / "r")
    _assert_user_error(res, "not an SCSONet checkpoint")
    res = cli("finetune", "--base", bad, "--data", synthetic / "default", "--out", tmp_path / "exists")
    _assert_user_error(res, "already exists")
    res = cli("finetune", "--base", bad, "--data", synthetic / "default", "--out", tmp_path / "r", "--no-replay",
              "--replay", synthetic / "default")
    _assert_user_error(res, "--replay and --no-replay contradict each other")


# --- replay sources ---

def test_replay_of_an_earlier_job_uses_only_its_training_cases(tmp_path):
    earlier = tmp_path / "earlier"
    ids = _job(earlier, 8, seed=7, n_val=3)
    write_synthetic_dataset(earlier, 1, seed=8, sizes=((64, 64),))  # a pair the manifest does not list
    pool = load_replay([earlier], exclude=set(), replay_max=100, seed=0, size=32)
    assert sorted(pool.ids) == ids[3:] and pool.available == 5 and pool.images.shape == (5, 32, 32, 3)
    # Cases of the current job are left out by file stem or by the app's case id.
    pool = load_replay([earlier], exclude={ids[3], f"case-of-{ids[4]}"}, replay_max=100, seed=0, size=32)
    assert sorted(pool.ids) == ids[5:]


def test_replay_max_bounds_what_is_decoded(tmp_path, monkeypatch):
    import scsonet.job as job_module

    write_synthetic_dataset(tmp_path / "a", 12, seed=9, sizes=((48, 48),))
    write_synthetic_dataset(tmp_path / "b", 10, seed=10, sizes=((48, 48),))
    decoded = []
    real_decode = job_module.decode_pair
    monkeypatch.setattr(job_module, "decode_pair", lambda pair, size: decoded.append(pair.id) or real_decode(pair, size))
    pool = load_replay([tmp_path / "a", tmp_path / "b"], exclude=set(), replay_max=7, seed=3, size=32)
    assert len(decoded) == 7 and sorted(pool.ids) == sorted(decoded) and pool.available == 22
    again = load_replay([tmp_path / "a", tmp_path / "b"], exclude=set(), replay_max=7, seed=3, size=32)
    assert again.ids == pool.ids  # one fixed sample per seed


def test_mixed_batches_use_every_sample_and_never_one_alone():
    g = torch.Generator().manual_seed(0)
    assert [len(b) for b in mixed_batches(17, 8, g)] == [8, 9]
    assert sorted(np.concatenate(list(mixed_batches(17, 8, g)))) == list(range(17))
    assert [len(b) for b in mixed_batches(3, 8, g)] == [3]
    assert [b.tolist() for b in mixed_batches(1, 8, g)] == [[0, 0]]


# --- cancellation and the domain shift the job exists for ---

def test_sigterm_mid_epoch_leaves_no_output_and_no_partial_folder(base_checkpoint, synthetic, tmp_path):
    out = tmp_path / "result"
    env = {**os.environ, "PYTHONPATH": str(MODELS_DIR)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scsonet", "finetune", "--base", str(base_checkpoint), "--data", str(synthetic / "default"),
         "--out", str(out), "--epochs", "200", *FAST],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if '"event": "epoch"' in line:
            break
    assert list(tmp_path.glob(".result.partial-*")), "the job should work in a temporary sibling folder"
    proc.send_signal(signal.SIGTERM)
    # The timeout only keeps a hung job from hanging the suite; how fast it stops is not asserted.
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert _events(rest)[-1] == {"event": "cancelled"}
    assert not out.exists() and not list(tmp_path.glob(".result.partial-*"))


def test_finetune_on_a_domain_shift_raises_validation_dice(synthetic, base_checkpoint, tmp_path, cli):
    out = tmp_path / "result"
    res = cli("finetune", "--base", base_checkpoint, "--data", synthetic / "shifted", "--out", out,
              # 5 epochs of the default 48 draws: as much training as 8 passes over its ~30 cases were.
              "--epochs", "5", "--lr", "1e-3", *FAST, timeout=300)
    assert res.returncode == 0, res.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["validation"]["n"] >= 5
    assert m["validation"]["candidate"]["dsc"] > m["validation"]["base"]["dsc"] + 0.1, m["validation"]


def test_exit_with_stdin_cancels_when_the_parent_goes_away(base_checkpoint, synthetic, tmp_path):
    """The app keeps the trainer's stdin open; a crashed app closes it and must not leave an orphan job."""
    out = tmp_path / "result"
    env = {**os.environ, "PYTHONPATH": str(MODELS_DIR)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scsonet", "finetune", "--base", str(base_checkpoint), "--data", str(synthetic / "default"),
         "--out", str(out), "--epochs", "200", "--exit-with-stdin", *FAST],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if '"event": "epoch"' in line:
            break
    proc.stdin.close()
    rest = proc.stdout.read()
    proc.wait(timeout=120)
    assert proc.returncode == 143
    assert _events(rest)[-1] == {"event": "cancelled"}
    assert not out.exists() and not list(tmp_path.glob(".result.partial-*"))
