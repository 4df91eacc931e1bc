"""The interactive encoding (scsonet/interactive.py) against the fixture TypeScript checks too."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from scsonet.interactive import (clamp_region, click_maps, click_region, from_run_lengths, grid_clicks, paste_back,
                                 resize_bilinear, run_lengths, sample_prev, to_grid)

HERE = Path(__file__).resolve().parent
FIXTURE = json.loads((HERE / "interactive-encoding-cases.json").read_text())


def _generator():
    spec = importlib.util.spec_from_file_location("make_interactive_cases", HERE / "make_interactive_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mask(rle, image):
    if rle is None:
        return None
    return from_run_lengths(rle, image["width"] * image["height"]).reshape(image["height"], image["width"])


def test_the_committed_fixture_is_what_the_generator_writes():
    gen = _generator()
    assert gen.dumps(gen.build()) == (HERE / "interactive-encoding-cases.json").read_text()


@pytest.mark.parametrize("case", FIXTURE["encoding"], ids=lambda c: c["name"])
def test_clicks_and_previous_mask_encode_as_the_fixture_says(case):
    region = tuple(case["region"])
    clicks = [(c["x"], c["y"], c["positive"]) for c in case["clicks"]]
    g = grid_clicks(clicks, region)
    assert g == [(c["u"], c["v"], c["positive"]) for c in case["grid_clicks"]]
    maps = click_maps(g)
    assert run_lengths(maps[0]) == case["clicks_rle"]["positive"]
    assert run_lengths(maps[1]) == case["clicks_rle"]["negative"]
    prev = sample_prev(_mask(case["mask_rle"], case["image"]), region)
    assert run_lengths(prev) == case["prev_rle"] and int(prev.sum()) == case["prev_count"]


def test_a_click_is_a_disc_of_radius_five_around_its_grid_point():
    maps = click_maps([(100.0, 50.0, True), (10.5, 200.0, False)])
    assert maps[0].sum() == 81 and maps[1].sum() == 78  # lattice points within 5 of (100, 50) and of (10.5, 200)
    assert maps[0][50, 105] == 1 and maps[0][50, 106] == 0 and maps[0][54, 103] == 1 and maps[0][54, 104] == 0
    assert maps[1][200, 15] == 1 and maps[1][200, 16] == 0 and maps[1][200, 6] == 1 and maps[1][200, 5] == 0
    # The grid pixel centred on an image pixel: pixel (x0 + w/2 - 1/2 ...) maps onto the grid's own lattice.
    assert to_grid(5, 3, (5, 3, 261, 259)) == (0.0, 0.0)
    assert to_grid(0, 0, (0, 0, 512, 512)) == (-0.25, -0.25)


def test_prev_reads_the_pixel_under_each_grid_centre():
    mask = np.zeros((4, 512), bool)
    mask[:, 1::2] = True  # odd columns
    prev = sample_prev(mask, (0, 0, 512, 4))
    assert prev.shape == (256, 256) and prev.all()  # centre of grid column j is image column 2j + 1
    assert not sample_prev(None, (0, 0, 10, 10)).any()


@pytest.mark.parametrize("case", FIXTURE["paste"], ids=lambda c: c["name"])
def test_paste_back_matches_the_fixture(case):
    gen = _generator()
    w, h = case["image"]["width"], case["image"]["height"]
    pasted = paste_back(gen.prob_grid(case["prob"]), tuple(case["region"]), _mask(case["mask_rle"], case["image"]), w, h)
    assert run_lengths(pasted) == case["result_rle"]
    mask = _mask(case["mask_rle"], case["image"])
    if mask is not None:  # outside the region the mask is kept
        x0, y0, x1, y1 = case["region"]
        outside = np.ones((h, w), bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(pasted[outside], mask[outside])


def test_bilinear_resize_is_torch_interpolate_without_corner_alignment():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    prob = rng.random((256, 256))
    for w, h in [(40, 30), (300, 20), (700, 513)]:
        expected = torch.nn.functional.interpolate(torch.from_numpy(prob)[None, None], size=(h, w), mode="bilinear",
                                                   align_corners=False)[0, 0].numpy()
        assert np.abs(resize_bilinear(prob, w, h) - expected).max() < 1e-12


@pytest.mark.parametrize("case", FIXTURE["click_regions"], ids=lambda c: c["name"])
def test_the_click_region_matches_the_fixture(case):
    clicks = [(c["x"], c["y"], c["positive"]) for c in case["clicks"]]
    w, h = case["image"]["width"], case["image"]["height"]
    assert list(click_region(_mask(case["mask_rle"], case["image"]), clicks, w, h)) == case["region"]


def test_boxes_are_clamped_or_refused_by_name():
    for case in FIXTURE["clamped_boxes"]:
        assert list(clamp_region(*case["box"], case["image"]["width"], case["image"]["height"])) == case["region"]
    for case in FIXTURE["refused_boxes"]:
        with pytest.raises(ValueError) as info:
            clamp_region(*case["box"], case["image"]["width"], case["image"]["height"])
        assert str(info.value) == case["error"]


def test_run_lengths_round_trip():
    for flat in (np.array([], bool), np.array([1, 1, 0, 1], bool), np.array([0, 0, 1], bool)):
        assert np.array_equal(from_run_lengths(run_lengths(flat), flat.size), flat)
    assert run_lengths(np.array([1, 1, 0])) == [0, 2, 1]
