"""The Python click simulator (scsonet/clicks.py) on hand-made masks: where the click goes, when it stops, NoC."""

import numpy as np
import pytest

from scsonet.clicks import click_session, edt_squared, hurried_box, next_click, noc, summarize


def _rect(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_the_distance_transform_is_exact_euclidean_with_the_frame_as_border():
    rng = np.random.default_rng(1)
    mask = rng.random((23, 31)) > 0.2
    padded = np.pad(~mask, 1, constant_values=True)
    zy, zx = np.nonzero(padded)
    yy, xx = np.mgrid[0:23, 0:31]
    brute = ((yy[..., None] - (zy - 1)) ** 2 + (xx[..., None] - (zx - 1)) ** 2).min(-1)
    brute[~mask] = 0
    assert np.array_equal(edt_squared(mask), brute)
    assert np.array_equal(edt_squared(np.stack([mask, ~mask]))[0], brute)


def test_a_missed_lesion_gets_a_positive_click_at_its_centre():
    gt = _rect(40, 60, 10, 21, 20, 51)  # 11 rows x 31 columns: centre row 15; the ridge spans columns 25..45
    click = next_click(gt, np.zeros_like(gt))
    assert click == (25, 15, True)  # the first pixel (row-major) farthest from the border


def test_skin_taken_as_lesion_gets_a_negative_click_when_it_is_the_larger_error():
    gt = _rect(40, 60, 5, 15, 5, 15)
    pred = gt | _rect(40, 60, 20, 39, 30, 59)  # a large false positive
    pred[5:8, 5:15] = False  # a thin miss
    x, y, positive = next_click(gt, pred)
    assert not positive and 30 <= x < 59 and 20 <= y < 39


def test_equal_errors_give_a_negative_click_and_clicked_pixels_are_skipped():
    gt = _rect(20, 40, 5, 10, 2, 7)
    pred = _rect(20, 40, 5, 10, 20, 25)  # the lesion missed, the same shape of skin taken
    assert next_click(gt, pred) == (22, 7, False)  # fn max equals fp max: not strictly larger, so negative
    assert next_click(gt, pred, [(22, 7)]) == (4, 7, True)  # that pixel counts 0 now; the miss is larger


def test_the_image_border_is_a_border():
    gt = _rect(30, 30, 0, 30, 0, 6)  # a strip along the left edge
    x, y, positive = next_click(gt, np.zeros_like(gt))
    assert positive and x in (2, 3)


def test_no_error_no_click():
    gt = _rect(10, 10, 2, 5, 2, 5)
    assert next_click(gt, gt.copy()) is None


def test_noc_counts_the_first_click_that_reaches_the_target_and_twenty_when_none_does():
    assert noc([0.5, 0.8, 0.86, 0.91], 0.85) == 2
    assert noc([0.5, 0.8, 0.86, 0.91], 0.90) == 3
    assert noc([0.92, 0.5], 0.90) == 0  # the start already reaches it
    assert noc([0.5] * 21, 0.85) == 20
    assert noc([0.5] * 5 + [0.95], 0.9, max_clicks=3) == 3


def _image(gt):
    img = np.full(gt.shape + (3,), 60, np.uint8)
    img[gt] = 200
    return img


def test_a_session_stops_when_no_error_is_left():
    gt = _rect(64, 64, 10, 40, 12, 50)
    perfect = lambda crop, clicks, prev: np.kron(gt.astype(np.float64), np.ones((4, 4)))  # noqa: E731 - 64 -> 256
    ious = click_session(perfect, _image(gt), gt, None)
    assert ious == [0.0, 1.0]  # one click, then nothing left to click
    s = summarize([ious])
    assert s["miou_1"] == s["miou_5"] == 1.0 and s["noc90"] == 1


def test_a_model_that_never_helps_runs_to_twenty_clicks_each_at_a_new_pixel():
    gt = _rect(64, 64, 10, 40, 12, 50)
    seen = []

    def useless(crop, clicks, prev):
        seen.append(list(clicks))
        return np.zeros((256, 256))

    ious = click_session(useless, _image(gt), gt, None)
    assert len(ious) == 21 and max(ious) == 0.0 and noc(ious, 0.85) == 20
    last = seen[-1]
    assert len(last) == 20 and len({(u, v) for u, v, _ in last}) == 20 and all(p for _, _, p in last)


def test_a_session_stops_after_five_clicks_once_the_target_is_reached():
    gt = _rect(64, 64, 10, 40, 12, 50)
    good = np.kron(gt.astype(np.float64), np.ones((4, 4)))
    good[40:44, 48:200] = 0  # a thin miss that the simulator keeps clicking
    calls = []

    def nearly(crop, clicks, prev):
        calls.append(1)
        return good

    ious = click_session(nearly, _image(gt), gt, None)
    assert ious[1] >= 0.9 and len(ious) == 6  # IoU after 1..5 clicks is known, NoC@90 is 1


def test_the_hurried_box_is_seeded_and_near_the_lesion():
    gt = _rect(200, 300, 50, 150, 100, 200)
    a = hurried_box(gt, np.random.default_rng(7))
    assert a == hurried_box(gt, np.random.default_rng(7))
    x0, y0, x1, y1 = a
    assert 100 - 5 - 15 <= x0 <= 100 - 5 + 15 and 200 + 5 - 15 <= x1 <= 200 + 5 + 15
    assert 50 - 5 - 15 <= y0 <= 50 - 5 + 15 and 150 + 5 - 15 <= y1 <= 150 + 5 + 15
    assert hurried_box(np.zeros((20, 30), bool), np.random.default_rng(0)) == (0, 0, 30, 20)


@pytest.mark.parametrize("target", [0.85, 0.90])
def test_noc_of_a_summary_is_the_mean_over_sessions(target):
    s = summarize([[0.5, 0.95], [0.5] * 21])
    assert s["noc85"] == s["noc90"] == 10.5
