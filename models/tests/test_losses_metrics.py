"""Loss and metrics against values computed by hand."""

import math

import numpy as np
import pytest
import torch

from scsonet.losses import bce_dice_loss, soft_dice_loss
from scsonet.metrics import SegmentationMeter


def test_bce_dice_at_zero_logits():
    logits = torch.zeros(1, 1, 2, 2)
    target = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    # BCE = ln 2; soft Dice = (2*0.5 + 1) / (2 + 1 + 1) = 0.5.
    assert bce_dice_loss(logits, target).item() == pytest.approx(math.log(2) + 0.5, abs=1e-6)


def test_soft_dice_is_zero_for_a_perfect_prediction():
    t = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])
    assert soft_dice_loss(t, t).item() == pytest.approx(0.0, abs=1e-7)


def test_pooled_metrics_by_hand():
    meter = SegmentationMeter()
    truth = np.array([[1, 1, 0, 0], [1, 1, 0, 0]], bool)
    pred = np.array([[1, 0, 0, 0], [1, 1, 1, 0]], bool)
    meter.update(pred, truth)
    m = meter.compute()
    # TP 3, FP 1, FN 1, TN 3
    assert m["dsc"] == pytest.approx(6 / 8)
    assert m["miou"] == pytest.approx(3 / 5)
    assert m["acc"] == pytest.approx(6 / 8)
    assert m["sen"] == pytest.approx(3 / 4)
    assert m["spe"] == pytest.approx(3 / 4)


def test_pooled_and_per_image_dice_differ_as_expected():
    meter = SegmentationMeter()
    big = np.ones((10, 10), bool)
    small = np.zeros((10, 10), bool)
    small[0, 0] = True
    meter.update(big, big)  # Dice 1 on 100 pixels
    meter.update(np.zeros((10, 10), bool), small)  # Dice 0 on 1 pixel
    m = meter.compute()
    assert m["mean_dsc"] == pytest.approx(0.5)
    assert m["dsc"] == pytest.approx(200 / 201)


def test_empty_prediction_of_empty_truth_counts_as_perfect():
    meter = SegmentationMeter()
    meter.update(np.zeros((3, 3), bool), np.zeros((3, 3), bool))
    assert meter.compute()["mean_dsc"] == 1.0


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="differs"):
        SegmentationMeter().update(np.zeros((2, 2)), np.zeros((3, 3)))
