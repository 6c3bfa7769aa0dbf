"""The checks every registered forecaster passes, found from the registry (like river's estimator checks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.base import FitSpec, Forecaster
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.registry import RECOMMENDED, create, forecasters, resolve
from tamna.traffic.forecasting.windows import cut
from tests.traffic.conftest import TINY_PARAMS

NAMES = forecasters().names()
SPEC = FitSpec(input_steps=12, horizon_steps=12)


def fitted(name: str, series: SensorSeries) -> Forecaster:
    model = create(name, TINY_PARAMS.get(name))
    model.fit(series.rows(0, int(series.steps * 0.8)), SPEC)
    return model


def test_the_registry_holds_every_model_folder_and_refuses_twins() -> None:
    assert NAMES == ["graph-mlp", "historical-average", "last-value", "ridge", "seasonal-naive"]
    assert resolve("best") == RECOMMENDED
    with pytest.raises(Exception, match="already registered"):
        forecasters().register("ridge", forecasters().get("ridge"))
    with pytest.raises(ForecastError, match="unknown model 'nope'"):
        create("nope")


@pytest.mark.parametrize("name", NAMES)
def test_predictions_have_the_promised_shape_and_are_finite(name: str, series: SensorSeries) -> None:
    model = fitted(name, series)
    origins = np.arange(series.steps - 40, series.steps - 12)
    predicted = model.predict(cut(series, origins, model.context_steps))
    assert predicted.shape == (len(origins), 12, series.values.shape[1])
    assert np.isfinite(predicted).all()
    assert model.band is not None and model.band.shape == (12, 2)
    assert (model.band[:, 0] <= model.band[:, 1]).all()


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_give_identical_predictions(name: str, series: SensorSeries, tmp_path: Path) -> None:
    model = fitted(name, series)
    origins = np.arange(series.steps - 30, series.steps - 12)
    windows = cut(series, origins, model.context_steps)
    model.save(tmp_path / name)
    again = type(model).load(tmp_path / name)
    np.testing.assert_array_equal(again.predict(windows), model.predict(windows))
    assert again.meta == model.meta


@pytest.mark.parametrize("name", NAMES)
def test_missing_inputs_are_filled_not_propagated(name: str, series: SensorSeries) -> None:
    model = fitted(name, series)
    windows = cut(series, np.array([series.steps - 20]), model.context_steps)
    windows.history[:, -3:, 1] = np.nan  # the last 15 minutes of sensor 1 never arrived
    windows.history[:, :, 2] = np.nan  # sensor 2 is silent
    assert np.isfinite(model.predict(windows)).all()


@pytest.mark.parametrize("name", NAMES)
def test_misuse_is_a_clear_error(name: str, series: SensorSeries) -> None:
    fresh = create(name, TINY_PARAMS.get(name))
    windows = cut(series, np.array([300]), 300)
    with pytest.raises(ForecastError, match="not fitted"):
        fresh.predict(windows)
    model = fitted(name, series)
    narrow = cut(series.rows(0, series.steps), np.array([300]), model.context_steps)
    narrow = type(narrow)(narrow.history[:, :, :2], narrow.origin_s, narrow.interval_s, narrow.timezone)
    with pytest.raises(ForecastError, match="forecasts 5 sensors, the windows hold 2"):
        model.predict(narrow)


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ForecastError, match=r"unknown parameter.*depth"):
        create("ridge", {"depth": 3})
    with pytest.raises(ForecastError, match="expected int"):
        create("graph-mlp", {"epochs": "many"})


def test_the_learnt_models_beat_persistence_on_a_learnable_pattern(series: SensorSeries) -> None:
    """A reference check, not a smoke run: the rush hour repeats daily, so models that read the profile and the
    graph must do better than the last value at 60 minutes."""
    from tamna.traffic.forecasting.evaluate import evaluate

    def mae_at_60(name: str) -> float:
        result, _ = evaluate(series, name, TINY_PARAMS.get(name))
        return next(r.mae for r in result.rows if r.convention == "single-step" and r.horizon_min == 60)

    persistence = mae_at_60("last-value")
    assert mae_at_60("ridge") < 0.9 * persistence
