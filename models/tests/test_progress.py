"""Progress lines are checked against trainer-progress.schema.json (the app's zod schema) before printing."""

import json

import pytest

from scsonet.progress import MAX_ERROR_CHARS, ProgressLineError, emit, progress_line


def test_a_valid_epoch_line_is_printed_as_one_json_line(capsys):
    emit("epoch", epoch=2, epochs=5, loss=0.25, val_dsc=0.8, eta_s=3)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == {"event": "epoch", "epoch": 2, "epochs": 5, "loss": 0.25, "val_dsc": 0.8, "eta_s": 3}


def test_non_finite_values_become_null_not_bare_nan():
    line = json.loads(progress_line("epoch", epoch=1, epochs=1, loss=float("inf"), val_dsc=float("nan"), eta_s=0))
    assert line["loss"] is None and line["val_dsc"] is None


@pytest.mark.parametrize(
    "fields, field",
    [
        (dict(epoch=1, epochs=0, loss=0.1, val_dsc=0.5, eta_s=1), "epochs"),
        (dict(epoch=1.5, epochs=5, loss=0.1, val_dsc=0.5, eta_s=1), "epoch"),
        (dict(epoch=1, epochs=5, loss=0.1, val_dsc=0.5, eta_s=-1), "eta_s"),
        (dict(epoch=1, epochs=5, loss=0.1, val_dsc=1.5, eta_s=1), "val_dsc"),
    ],
)
def test_out_of_range_values_are_refused_by_name(fields, field):
    with pytest.raises(ProgressLineError, match=field):
        progress_line("epoch", **fields)


def test_an_epoch_past_the_epochs_is_refused():
    with pytest.raises(ProgressLineError, match="past epochs"):
        progress_line("epoch", epoch=6, epochs=5, loss=0.1, val_dsc=0.5, eta_s=1)


def test_a_long_error_message_is_cut_not_refused():
    line = json.loads(progress_line("error", message="x" * (MAX_ERROR_CHARS * 3)))
    assert len(line["message"]) == MAX_ERROR_CHARS
