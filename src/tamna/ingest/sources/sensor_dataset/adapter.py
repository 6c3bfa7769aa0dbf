"""A road-sensor dataset laid out as in ``../shared/data/traffic``: ``meta.json`` beside the published files
(a readings matrix with one column per sensor, a sensor graph, optional locations).

This module reads the layout; the replay (``tamna.ingest.replay``) plays the readings into the platform.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tamna.core.errors import IngestError
from tamna.core.timeutil import ensure_utc, zone
from tamna.domain.rejections import Rejection
from tamna.domain.sensors import Sensor, SensorKind
from tamna.ingest.sources import SensorRead
from tamna.ingest.sources._features import build_or_reject

TO_KMH = {"km/h": 1.0, "kmh": 1.0, "mph": 1.609344, "m/s": 3.6}
QUANTITY_COLUMN = {"speed": "speed_kmh", "flow": "flow_vph", "occupancy": "occupancy_pct"}


@dataclass
class SensorDataset:
    """A readings matrix (rows are times) with its sensors, in Tamna's units."""

    name: str
    quantity_column: str
    raw_ids: list[str]
    sensor_ids: list[str]
    times: list[datetime]
    values: np.ndarray  # shape (times, sensors), converted to Tamna's unit
    interval: timedelta
    timezone: str
    locations: dict[str, tuple[float, float]]


def _meta(folder: Path) -> dict[str, Any]:
    path = folder / "meta.json"
    if not path.is_file():
        raise IngestError(f"{folder}: no meta.json (see docs/data-formats.md for the sensor dataset layout)")
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise IngestError(f"{path}: not valid JSON: {err}") from err
    for key in ("name", "quantity", "unit", "interval_minutes", "readings"):
        if key not in meta:
            raise IngestError(f"{path}: missing key {key!r}")
    return meta


def load_dataset(folder: Path) -> SensorDataset:
    """Read a dataset folder. Sensor ids become ``<dataset name>-<published id>``."""
    meta = _meta(folder)
    readings = meta["readings"]
    unit = str(meta["unit"]).lower()
    quantity = str(meta["quantity"])
    if quantity not in QUANTITY_COLUMN:
        raise IngestError(f"{folder}: quantity {quantity!r} is not one of {', '.join(QUANTITY_COLUMN)}")
    if quantity == "speed" and unit not in TO_KMH:
        raise IngestError(f"{folder}: speed unit {unit!r} is not one of {', '.join(TO_KMH)}")
    readings_path = folder / readings["file"]
    if not readings_path.is_file():
        raise IngestError(f"{folder}: readings file {readings['file']!r} named in meta.json is missing")
    with readings_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise IngestError(f"{folder / readings['file']}: empty")
    header, body = rows[0], rows[1:]
    time_column = readings.get("timestamp_column")
    interval = timedelta(minutes=float(meta["interval_minutes"]))
    tz = zone(meta.get("timezone", "UTC"))
    if time_column:
        index = header.index(time_column)
        raw_ids = [h for i, h in enumerate(header) if i != index]
        times = [ensure_utc(datetime.fromisoformat(r[index])) for r in body]
        matrix = [[c for i, c in enumerate(r) if i != index] for r in body]
    else:
        raw_ids = header
        start = datetime.fromisoformat(meta["start"]).replace(tzinfo=tz)
        times = [ensure_utc(start + i * interval) for i in range(len(body))]
        matrix = body
    widths = {len(r) for r in matrix}
    if widths != {len(raw_ids)}:
        raise IngestError(f"{folder / readings['file']}: ragged rows (widths {sorted(widths)}, header {len(raw_ids)})")
    values = np.array([[float(c) if c.strip() else np.nan for c in r] for r in matrix], dtype=np.float64)
    if quantity == "speed":
        values = values * TO_KMH[unit]
    name = str(meta["name"])
    return SensorDataset(
        name=name,
        quantity_column=QUANTITY_COLUMN[quantity],
        raw_ids=raw_ids,
        sensor_ids=[f"{name}-{raw}" for raw in raw_ids],
        times=times,
        values=values,
        interval=interval,
        timezone=str(meta.get("timezone", "UTC")),
        locations=_locations(folder, meta),
    )


def _locations(folder: Path, meta: dict[str, Any]) -> dict[str, tuple[float, float]]:
    spec = meta.get("locations")
    if not spec:
        return {}
    path = (folder / spec["file"]).resolve()
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row[spec["id_column"]]: (float(row[spec["lon_column"]]), float(row[spec["lat_column"]]))
            for row in csv.DictReader(handle)
        }


class SensorDatasetSensors:
    """The sensors of a dataset folder (``meta.json`` layout)."""

    name = "sensor-dataset"
    description = "sensor dataset folder with meta.json (readings matrix, graph, locations)"

    def accepts(self, path: Path) -> bool:
        folder = path if path.is_dir() else path.parent
        return (folder / "meta.json").is_file()

    def read(self, path: Path) -> SensorRead:
        folder = path if path.is_dir() else path.parent
        meta = _meta(folder)
        readings_path = folder / meta["readings"]["file"]
        if not readings_path.is_file():
            raise IngestError(f"{folder}: readings file {readings_path.name!r} named in meta.json is missing")
        with readings_path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        time_column = meta["readings"].get("timestamp_column")
        raw_ids = [h for h in header if h != time_column]
        locations = _locations(folder, meta)
        rejections: list[Rejection] = []
        sensors: list[Sensor] = []
        for position, raw in enumerate(raw_ids):
            lon, lat = locations.get(raw, (None, None))
            sensor = build_or_reject(
                lambda: Sensor(
                    id=f"{meta['name']}-{raw}", kind=SensorKind.LOOP, lon=lon, lat=lat, name=f"{meta['name']} {raw}"
                ),
                source=f"file:{folder.name}/meta.json",
                position=position,
                raw=raw,
                rejections=rejections,
            )
            if sensor:
                sensors.append(sensor)
        return SensorRead(sensors, rejections)
