"""Live forecasts from the store with a trained artifact, the fallback to persistence, and GET /api/v1/forecasts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tamna.api.app import build_state, create_app
from tamna.core.settings import Settings
from tamna.domain.network import RoadNetwork
from tamna.domain.sensors import Sensor, SensorKind
from tamna.ingest.pipeline import IngestPipeline
from tamna.store.base import Store, open_store
from tamna.traffic.forecasting.artifacts import load_artifact, write_artifact
from tamna.traffic.forecasting.live import LiveForecasts
from tamna.traffic.forecasting.registry import create
from tamna.traffic.forecasting.windows import Windows
from tests.traffic.conftest import INTERVAL, START, make_series, speeds

#: the platform's "now": day 4 of the synthetic data, just after 17:30
NOW = START + timedelta(days=3, hours=17, minutes=32)
HISTORY = 24  # two hours of readings up to NOW


@pytest.fixture
def city(tmp_path: Path, network: RoadNetwork) -> Iterator[Store]:
    """Five sensors tiny-s0..4 (s0 and s1 on L1, s2 on L2, s3 on L3, s4 on no link) and an unknown sixth,
    with two hours of readings; tiny-s4 went quiet an hour ago."""
    store = open_store(str(tmp_path / "live.duckdb"))
    store.migrate()
    store.upsert_network(network)
    links = ["L1", "L1", "L2", "L3", None, "L2"]
    names = [f"tiny-s{i}" for i in range(5)] + ["other-x"]
    store.upsert_sensors(
        [Sensor(id=n, kind=SensorKind.LOOP, link_id=link) for n, link in zip(names, links, strict=True)]
    )
    first = NOW.replace(minute=30) - (HISTORY - 1) * INTERVAL
    values = speeds(4 * 288)
    offset = int((first - START) / INTERVAL)
    records: list[dict[str, object]] = []
    for step in range(HISTORY):
        at = (first + step * INTERVAL).isoformat()
        for i, sensor in enumerate(names):
            if sensor == "tiny-s4" and step >= HISTORY - 12:
                continue
            value = values[offset + step, i] if i < 5 else 33.0
            records.append({"sensor_id": sensor, "time": at, "speed_kmh": float(value)})
    assert IngestPipeline(store, clock=lambda: NOW).ingest_records(records, source="test").rejected == 0
    yield store
    store.close()


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    """A ridge trained on three days of the same sensors, written as ``tamna forecast train`` writes it."""
    series = make_series()
    model = create("ridge")
    model.fit(series)
    return write_artifact(model, series, tmp_path / "models", trained_rows=series.steps, metrics={})


def test_every_fresh_sensor_is_forecast_by_the_model_and_merged_per_link(city: Store, artifact: Path) -> None:
    live = LiveForecasts(city, clock=lambda: NOW, models_dir=artifact.parent)
    found = live.current()
    assert {(f.link_id, f.sensor_ids) for f in found} == {
        ("L1", ("tiny-s0", "tiny-s1")),
        ("L2", ("other-x", "tiny-s2")),
        ("L3", ("tiny-s3",)),
    }  # tiny-s4 has been silent for an hour: not forecast
    origin = NOW.replace(minute=30)
    l3 = sorted((f for f in found if f.link_id == "L3"), key=lambda f: f.horizon_min)
    assert [f.horizon_min for f in l3] == [15, 30, 45, 60]
    assert [f.time for f in l3] == [origin + timedelta(minutes=m) for m in (15, 30, 45, 60)]
    assert all(f.model == "ridge" and not f.fallback and f.lower_kmh <= f.speed_kmh <= f.upper_kmh for f in l3)
    # the same numbers as the model gives on the store's readings
    model = load_artifact(artifact).model
    history = np.full((HISTORY, 5), np.nan)
    for j, sensor in enumerate(model.meta.sensor_ids):  # type: ignore[union-attr]
        rows = city.sensor_series(start=origin - 23 * INTERVAL, end=origin + INTERVAL, bucket="5m", sensor_ids=[sensor])  # type: ignore[arg-type]
        for _, when, value in rows:
            history[int((when - (origin - 23 * INTERVAL)) / INTERVAL), j] = value
    windows = Windows(history[None], np.array([int(origin.timestamp())]), 300, "UTC")
    expected = model.predict(windows)[0, [2, 5, 8, 11], 3]
    np.testing.assert_allclose([f.speed_kmh for f in l3], expected, atol=0.006)
    # a sensor the model does not know falls back, and its link says so
    l2 = [f for f in found if f.link_id == "L2"]
    assert all(f.fallback and "does not know this sensor" in (f.fallback_reason or "") for f in l2)


def test_without_a_model_the_forecast_is_persistence_and_says_so(city: Store, tmp_path: Path) -> None:
    live = LiveForecasts(city, clock=lambda: NOW, models_dir=tmp_path / "none")
    found = live.current(link_id="L3", horizon_min=30)
    assert len(found) == 1
    forecast = found[0]
    assert forecast.fallback and forecast.model == "last-value"
    assert "no trained model" in (forecast.fallback_reason or "")
    last = city.latest_sensor_states()
    assert forecast.speed_kmh == pytest.approx(next(s.speed_kmh for s in last if s.sensor_id == "tiny-s3"), abs=0.01)


def test_a_stale_or_broken_model_falls_back(city: Store, artifact: Path) -> None:
    stale = LiveForecasts(city, clock=lambda: NOW, artifact=artifact, max_artifact_age=timedelta(0))
    assert all(f.fallback and "stale" in (f.fallback_reason or "") for f in stale.current())
    (artifact / "model.json").write_text("{}")
    broken = LiveForecasts(city, clock=lambda: NOW, artifact=artifact)
    assert all(f.fallback and "changed since" in (f.fallback_reason or "") for f in broken.current())


def test_the_endpoint_serves_forecasts_publicly(city: Store, artifact: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="test")
    state = build_state(settings, city, clock=lambda: NOW, forecast_model=artifact)
    with TestClient(create_app(settings, app_state=state, background=False)) as client:
        answer = client.get("/api/v1/forecasts", params={"link_id": "L1", "horizon_min": 30})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body) == 1
        assert set(body[0]) >= {
            "link_id",
            "sensor_ids",
            "horizon_min",
            "time",
            "speed_kmh",
            "lower_kmh",
            "upper_kmh",
            "model",
            "fallback",
        }
        assert body[0]["link_id"] == "L1" and body[0]["horizon_min"] == 30 and body[0]["model"] == "ridge"
        assert len(client.get("/api/v1/forecasts").json()) == 3 * 4  # L1, L2, L3; nothing for the silent sensor
        wrong = client.get("/api/v1/forecasts", params={"horizon_min": 7})
        assert wrong.status_code == 422
        assert "horizon_min 7 is not one of 15, 30, 45, 60" in wrong.json()["detail"]
        assert [(e["field"], e["value"]) for e in wrong.json()["errors"]] == [("horizon_min", "7")]


def test_the_background_thread_starts_and_stops(city: Store, tmp_path: Path) -> None:
    live = LiveForecasts(city, clock=lambda: NOW, models_dir=tmp_path, interval=timedelta(minutes=5))
    live.start()
    live.stop()
    assert live.current()  # refreshed by the thread or on request


def test_the_forecast_model_setting_chooses_the_artifact(
    city: Store, artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--forecast-model`` of ``tamna serve`` and ``tamna demo`` is this setting (TAMNA_FORECAST_MODEL)."""
    from tamna.cli.forecast_model import announce_forecast_model

    settings = Settings(data_dir=tmp_path / "elsewhere", env="test", forecast_model=artifact)
    state = build_state(settings, city, clock=lambda: NOW)
    assert state.forecasts is not None
    assert {f.model for f in state.forecasts.current(link_id="L3")} == {"ridge"}
    announce_forecast_model(artifact)
    assert "forecasts: ridge, trained" in capsys.readouterr().out
    # a broken artifact does not stop the platform: it warns (and the forecasts fall back, as tested above)
    (artifact / "model.json").write_text("{}")
    announce_forecast_model(artifact)
    assert "forecasts fall back to the last-value baseline" in capsys.readouterr().err
