"""The split rules (scsonet/split.py). Both case rules are checked against the vectors the app's
TypeScript side checks too (split-cases.json), so the trainer and the app put every case on
the same side."""

import json
from pathlib import Path

from scsonet.split import split_ids, split_of_bytes, split_of_case_id, split_of_file

CONTENT = json.loads((Path(__file__).parent / "split-cases.json").read_text(encoding="utf-8"))["content"]

CASES = json.loads((Path(__file__).parent / "split-cases.json").read_text(encoding="utf-8"))["cases"]


def test_split_is_deterministic_and_disjoint():
    ids = [f"id{i}" for i in range(100)]
    a = split_ids(ids, 0.15, seed=3)
    b = split_ids(list(reversed(ids)), 0.15, seed=3)
    assert a == b
    assert len(a[1]) == 15 and not set(a[0]) & set(a[1])
    assert split_ids(ids, 0.15, seed=4)[1] != a[1]


def test_content_rule_matches_the_shared_test_vector(tmp_path):
    # preload/split.test.ts reads the same file: both sides must put an image on the same side.
    assert [split_of_bytes(bytes.fromhex(c["hex"])) for c in CONTENT] == [c["split"] for c in CONTENT]
    assert {c["split"] for c in CONTENT} == {"train", "validation"}
    # Same bytes, same side, whatever the file is called or where it lies (a re-import, another library).
    for k, c in enumerate(CONTENT[:6]):
        (tmp_path / f"a{k}.png").write_bytes(bytes.fromhex(c["hex"]))
        (tmp_path / f"other name {k}.jpg").write_bytes(bytes.fromhex(c["hex"]))
        assert split_of_file(tmp_path / f"a{k}.png") == split_of_file(tmp_path / f"other name {k}.jpg") == c["split"]


def test_case_id_rule_before_issue_17_matches_the_shared_test_vector():
    assert [(c["id"], split_of_case_id(c["id"])) for c in CASES] == [(c["id"], c["split"]) for c in CASES]
    vector = [f"case-{i}" for i in range(1, 21)] + ["ISIC_0000000", "ISIC_0000001", "synth_0002_00003"]
    validation = [i for i in vector if split_of_case_id(i) == "validation"]
    assert validation == ["case-1", "case-2", "case-6", "case-13", "case-19", "case-20"]
    assert {c["split"] for c in CASES} == {"train", "validation"}
