"""Sensors from CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamna.core.errors import IngestError
from tamna.domain.sensors import SensorKind
from tamna.ingest.sources.sensor_csv.adapter import CsvSensors
from tests.ingest import samples


def test_sensor_rows_and_refused_rows(tmp_path: Path) -> None:
    read = CsvSensors().read(samples.csv_sensors(tmp_path))
    c1, c2 = read.sensors
    assert (c1.id, c1.kind, c1.link_id, c1.lon, c1.lat, c1.name) == (
        "c1",
        SensorKind.LOOP,
        "L1",
        126.502,
        33.5002,
        "loop one",
    )
    assert (c2.kind, c2.link_id, c2.lon, c2.lat, c2.name) == (SensorKind.LOOP, None, None, None, None)
    assert [(r.position, r.field, r.value) for r in read.rejections] == [(4, "lat", "95.0"), (5, "id", "bad id")]


def test_a_csv_without_an_id_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nameless.csv"
    path.write_text("kind,lon,lat\nloop,126.5,33.5\n", encoding="utf-8")
    with pytest.raises(IngestError, match="'id' column"):
        CsvSensors().read(path)
