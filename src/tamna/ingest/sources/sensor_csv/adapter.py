"""Sensors from a CSV file with the columns id, kind, link_id, lon, lat, name (kind defaults to loop)."""

from __future__ import annotations

import csv
from pathlib import Path

from tamna.core.errors import IngestError
from tamna.domain.rejections import Rejection
from tamna.domain.sensors import Sensor
from tamna.ingest.sources import SensorRead
from tamna.ingest.sources._features import build_or_reject


def _number(text: str | None) -> float | None:
    return None if text is None or not text.strip() else float(text)


class CsvSensors:
    """Sensor registrations from CSV."""

    name = "csv-sensors"
    description = "CSV with id, kind, link_id, lon, lat, name"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".csv"

    def read(self, path: Path) -> SensorRead:
        source = f"file:{path.name}"
        rejections: list[Rejection] = []
        sensors: list[Sensor] = []
        try:
            handle = path.open(newline="", encoding="utf-8")
        except OSError as err:  # missing, a folder, unreadable: the caller's mistake, said plainly
            raise IngestError(f"{path.name}: cannot be read: {err.strerror or err}") from err
        with handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "id" not in reader.fieldnames:
                raise IngestError(f"{path.name}: a sensor CSV needs an 'id' column")
            for position, row in enumerate(reader, start=2):
                sensor = build_or_reject(
                    lambda: Sensor(
                        id=row["id"],
                        kind=(row.get("kind") or "loop"),
                        link_id=row.get("link_id") or None,
                        lon=_number(row.get("lon")),
                        lat=_number(row.get("lat")),
                        name=row.get("name") or None,
                    ),
                    source=source,
                    position=position,
                    raw=row,
                    rejections=rejections,
                )
                if sensor:
                    sensors.append(sensor)
        return SensorRead(sensors, rejections)
