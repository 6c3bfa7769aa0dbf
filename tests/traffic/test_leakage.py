"""Nothing from the test part reaches fitting or scaling: perturb it, and the fitted model does not change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.evaluate import Protocol, evaluate, split_rows
from tests.traffic.conftest import TINY_PARAMS


def perturbed(series: SensorSeries, first_test: int) -> SensorSeries:
    values = series.values.copy()
    rng = np.random.default_rng(1)
    values[first_test:] = rng.uniform(0, 120, values[first_test:].shape)
    return replace(series, values=values)


def saved_state(model: object, folder: Path) -> dict[str, bytes]:
    model.save(folder)  # type: ignore[attr-defined]
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("name", ["historical-average", "ridge", "graph-mlp"])
def test_changing_the_test_part_changes_nothing_that_was_fitted(
    name: str, series: SensorSeries, tmp_path: Path
) -> None:
    first_test = split_rows(series, Protocol())
    original, model_a = evaluate(series, name, TINY_PARAMS.get(name))
    changed, model_b = evaluate(perturbed(series, first_test), name, TINY_PARAMS.get(name))
    assert saved_state(model_a, tmp_path / "a") == saved_state(model_b, tmp_path / "b")
    np.testing.assert_array_equal(model_a.scaler.mean, model_b.scaler.mean)  # type: ignore[union-attr]
    # the test scores, on the other hand, must see the change: the perturbation reached the test windows
    assert original.rows[0].mae != changed.rows[0].mae


def test_the_model_is_scored_on_the_test_part_only(series: SensorSeries) -> None:
    result, _ = evaluate(series, "last-value")
    first_test = split_rows(series, Protocol())
    assert result.split == {
        "rows": series.steps,
        "train_rows": first_test,
        "test_rows": series.steps - first_test,
        "validation_rows": int(first_test * 0.2),
        "test_starts": series.time_of(first_test).isoformat(),
    }
    pooled_15 = result.rows[0]
    # T-GCN's window count: len(test) - 12 inputs - 3 steps
    assert (pooled_15.convention, pooled_15.horizon_min, pooled_15.windows) == (
        "tgcn-pooled",
        15,
        series.steps - first_test - 15,
    )
