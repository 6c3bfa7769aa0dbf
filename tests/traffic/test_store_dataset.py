"""The store's sensors x time query (both backends) and a forecasting dataset taken from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tamna.core.errors import StoreError
from tamna.ingest.pipeline import IngestPipeline
from tamna.store.base import Bucket, Store
from tamna.traffic.datasets import from_store
from tamna.traffic.forecasting.errors import ForecastError

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def fill(store: Store) -> None:
    """s1 every minute for 20 min (speed = minute), s3 at minutes 0 and 12 only; nothing from the others."""
    records: list[dict[str, object]] = [
        {"sensor_id": "s1", "time": (T0 + timedelta(minutes=m)).isoformat(), "speed_kmh": float(m)} for m in range(20)
    ]
    records += [
        {"sensor_id": "s3", "time": (T0 + timedelta(minutes=m)).isoformat(), "speed_kmh": 40.0} for m in (0, 12)
    ]
    result = IngestPipeline(store, clock=lambda: T0 + timedelta(hours=1)).ingest_records(records, source="test")
    assert result.rejected == 0


def test_sensor_series_averages_per_bucket_on_both_backends(city_store: Store) -> None:
    fill(city_store)
    points = city_store.sensor_series(start=T0, end=T0 + timedelta(minutes=20), bucket=Bucket.MIN_5)
    assert [(p[0], p[1], p[2]) for p in points] == [
        ("s1", T0, 2.0),
        ("s1", T0 + timedelta(minutes=5), 7.0),
        ("s1", T0 + timedelta(minutes=10), 12.0),
        ("s1", T0 + timedelta(minutes=15), 17.0),
        ("s3", T0, 40.0),
        ("s3", T0 + timedelta(minutes=10), 40.0),
    ]
    only = city_store.sensor_series(start=T0, end=T0 + timedelta(minutes=10), bucket=Bucket.MIN_5, sensor_ids=["s3"])
    assert only == [("s3", T0, 40.0)]
    with pytest.raises(StoreError, match="unknown measure"):
        city_store.sensor_series(start=T0, end=T0, bucket=Bucket.MIN_5, measure="speed; DROP TABLE x")


def test_a_dataset_from_the_store_keeps_gaps_as_nan(city_store: Store) -> None:
    fill(city_store)
    series = from_store(city_store, start=T0, end=T0 + timedelta(minutes=20), bucket=Bucket.MIN_5)
    assert series.sensor_ids == ("s1", "s3")
    assert series.unit == "km/h"
    assert series.values.shape == (4, 2)
    np.testing.assert_array_equal(series.values[:, 0], [2, 7, 12, 17])
    assert np.isnan(series.values[[1, 3], 1]).all()
    # s1 has a position, s3 none: no edge can be drawn
    assert series.adjacency.shape == (2, 2)
    assert series.adjacency[0, 1] == 0


def test_an_empty_window_is_a_clear_error(city_store: Store) -> None:
    with pytest.raises(ForecastError, match="has no speed_kmh readings"):
        from_store(city_store, start=T0, end=T0 + timedelta(hours=1))
    with pytest.raises(ForecastError, match="fixed buckets"):
        from_store(city_store, start=T0, end=T0 + timedelta(hours=1), bucket=Bucket.RAW)
