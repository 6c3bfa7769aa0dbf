"""Sensor dataset folders (meta.json layout): sensors, positions, and readings converted to km/h."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tamna.core.errors import IngestError
from tamna.ingest.sources.sensor_dataset.adapter import SensorDatasetSensors, load_dataset
from tests.ingest import samples


def test_a_dataset_loads_in_tamna_units(tmp_path: Path) -> None:
    dataset = load_dataset(samples.sensor_dataset(tmp_path))
    assert dataset.sensor_ids == ["tiny-a", "tiny-b", "tiny-c"]
    assert dataset.quantity_column == "speed_kmh"
    assert dataset.interval == timedelta(hours=6)
    assert dataset.times[0] == datetime(2026, 3, 1, 15, tzinfo=UTC)  # Monday 00:00 in Seoul
    assert dataset.times[-1] == dataset.times[0] + 27 * timedelta(hours=6)
    assert dataset.values.shape == (28, 3)
    assert dataset.values[3, 0] == pytest.approx(3 * 1.609344)
    assert dataset.values[0, 1] == pytest.approx(16.09344)
    assert np.isnan(dataset.values[1, 2])
    assert dataset.locations == {"a": (126.52, 33.50), "b": (126.53, 33.51)}


def test_meta_must_name_its_parts(tmp_path: Path) -> None:
    folder = samples.sensor_dataset(tmp_path)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    del meta["unit"]
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(IngestError, match="'unit'"):
        load_dataset(folder)
    meta.update(unit="furlongs per fortnight")
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(IngestError, match="furlongs"):
        load_dataset(folder)


def test_ragged_readings_are_refused(tmp_path: Path) -> None:
    folder = samples.sensor_dataset(tmp_path)
    with (folder / "speed.csv").open("a", encoding="utf-8") as handle:
        handle.write("1,2\n")
    with pytest.raises(IngestError, match="ragged"):
        load_dataset(folder)


@pytest.mark.data
def test_los_loop_has_207_placed_sensors(shared_data: Path) -> None:
    read = SensorDatasetSensors().read(shared_data / "traffic" / "los-loop")
    assert read.rejections == []
    assert len(read.sensors) == 207
    assert len({sensor.id for sensor in read.sensors}) == 207
    assert all(sensor.id.startswith("los-loop-") for sensor in read.sensors)
    assert all(sensor.lon is not None and sensor.lat is not None for sensor in read.sensors)
    assert all(-118.6 < sensor.lon < -118.0 and 33.9 < sensor.lat < 34.4 for sensor in read.sensors)


@pytest.mark.data
def test_los_loop_readings_are_a_week_of_five_minutes(shared_data: Path) -> None:
    dataset = load_dataset(shared_data / "traffic" / "los-loop")
    assert dataset.values.shape == (2016, 207)
    assert dataset.interval == timedelta(minutes=5)
    assert dataset.times[0] == datetime(2012, 3, 1, 8, tzinfo=UTC)  # midnight in Los Angeles (PST)
    # published in mph between 1 and 70 with no gaps; Tamna keeps km/h
    assert not np.isnan(dataset.values).any()
    assert dataset.values.min() >= 1 * 1.609344 - 1e-9
    assert dataset.values.max() <= 70 * 1.609344 + 1e-9
