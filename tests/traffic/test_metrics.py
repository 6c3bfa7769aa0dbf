"""Metrics against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tamna.traffic.forecasting.metrics import score


def test_scores_equal_hand_computed_values() -> None:
    y = np.array([[10.0, 20.0], [40.0, 50.0]])
    p = np.array([[12.0, 18.0], [40.0, 60.0]])
    # errors 2, -2, 0, 10
    s = score(y, p)
    assert s.mae == pytest.approx(14 / 4)
    assert s.rmse == pytest.approx(math.sqrt((4 + 4 + 0 + 100) / 4))
    assert s.mape == pytest.approx((2 / 10 + 2 / 20 + 0 + 10 / 50) / 4 * 100)
    assert s.accuracy == pytest.approx(1 - math.sqrt(108) / math.sqrt(100 + 400 + 1600 + 2500))
    assert s.values == 4


def test_zero_and_missing_targets_are_masked_as_the_papers_do() -> None:
    y = np.array([10.0, 0.0, np.nan, 40.0])
    p = np.array([11.0, 7.0, 3.0, 36.0])
    s = score(y, p)
    # only 10 -> 11 and 40 -> 36 count
    assert s.values == 2
    assert s.mae == pytest.approx(2.5)
    assert s.rmse == pytest.approx(math.sqrt((1 + 16) / 2))
    assert s.mape == pytest.approx((1 / 10 + 4 / 40) / 2 * 100)


def test_mape_skips_zero_targets_even_when_zeros_count_elsewhere() -> None:
    y = np.array([0.0, 10.0])
    p = np.array([5.0, 12.0])
    s = score(y, p, mask_zeros=False)
    assert s.mae == pytest.approx(3.5)
    assert s.mape == pytest.approx(20.0)


def test_nothing_to_count_gives_nan_not_an_error() -> None:
    s = score(np.array([np.nan, 0.0]), np.array([1.0, 1.0]))
    assert s.values == 0
    assert math.isnan(s.mae)


def test_shapes_must_agree() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        score(np.zeros(3), np.zeros(4))
