"""Read a sensor dataset folder laid out as in ``../shared/data/traffic`` (``meta.json`` beside the published
readings matrix, the sensor graph and optional locations) into a :class:`SensorSeries`.

Values stay in the published unit (Los-loop in mph), so that errors sit beside the published tables. Sensor ids are
``<dataset name>-<published id>``, as the ingest adapter names them, so that a model trained here finds its sensors
in a store the same dataset was replayed into. Every refusal is a :class:`ForecastError` naming the file, the line
and what is wrong.
"""

from __future__ import annotations

import csv
import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tamna.core.errors import TamnaError
from tamna.core.timeutil import ensure_utc, zone
from tamna.traffic.datasets.series import SensorSeries, regular_grid
from tamna.traffic.forecasting.errors import ForecastError

#: what an empty reading may be written as
MISSING = frozenset({"", "nan", "na", "null", "none"})
REQUIRED = ("name", "quantity", "unit", "interval_minutes", "readings")


def read_meta(folder: Path) -> dict[str, Any]:
    """``meta.json`` of ``folder``, with its required keys checked."""
    path = folder / "meta.json"
    if not folder.is_dir():
        raise ForecastError(f"{folder}: not a folder")
    if not path.is_file():
        raise ForecastError(f"{folder}: no meta.json (a dataset folder holds meta.json beside its readings)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ForecastError(f"{path}: not valid JSON: {err}") from err
    if not isinstance(meta, dict):
        raise ForecastError(f"{path}: must hold a JSON object")
    missing = [key for key in REQUIRED if key not in meta]
    if missing:
        raise ForecastError(f"{path}: missing key(s) {', '.join(missing)}")
    if not isinstance(meta["readings"], dict) or "file" not in meta["readings"]:
        raise ForecastError(f"{path}: 'readings' must be an object naming its 'file'")
    return meta


def load_folder(folder: Path) -> SensorSeries:
    """Read the dataset in ``folder``; rows missing from a timestamped file become NaN rows on the grid."""
    folder = Path(folder)
    meta = read_meta(folder)
    name = str(meta["name"])
    interval = _interval(meta, folder)
    tz_name = str(meta.get("timezone", "UTC"))
    try:
        tz = zone(tz_name)
    except TamnaError as err:
        raise ForecastError(f"{folder / 'meta.json'}: {err}") from err
    spec = meta["readings"]
    if spec.get("orientation", "rows_are_times") != "rows_are_times":
        raise ForecastError(f"{folder / 'meta.json'}: readings orientation {spec['orientation']!r} is not supported")
    path = _file(folder, spec["file"], "readings")
    rows = _csv(path)
    has_header = spec.get("header", "sensor_ids") not in (False, None, "none")
    header = rows[0] if has_header else None
    body = rows[1:] if has_header else rows
    first_line = 2 if has_header else 1
    if not body:
        raise ForecastError(f"{path}: no readings after the header")
    time_column = spec.get("timestamp_column")
    times: list[datetime]
    if time_column:
        if header is None or time_column not in header:
            raise ForecastError(f"{path}: timestamp column {time_column!r} named in meta.json is not in the header")
        at = header.index(time_column)
        raw_ids = [h for i, h in enumerate(header) if i != at]
        _check_widths(body, len(header), path, first_line)
        times = [_instant(r[at], path, first_line + i) for i, r in enumerate(body)]
        cells = [[c for i, c in enumerate(r) if i != at] for r in body]
    else:
        width = len(header) if header is not None else len(body[0])
        raw_ids = header if header is not None else [str(i) for i in range(width)]
        _check_widths(body, width, path, first_line)
        if "start" not in meta:
            raise ForecastError(f"{folder / 'meta.json'}: no 'start' and no timestamp_column: the rows have no times")
        try:
            start = datetime.fromisoformat(str(meta["start"]))
        except ValueError as err:
            raise ForecastError(f"{folder / 'meta.json'}: start {meta['start']!r} is not ISO 8601") from err
        start = start if start.tzinfo else start.replace(tzinfo=tz)
        times = [start + i * interval for i in range(len(body))]
        cells = body
    if len(set(raw_ids)) != len(raw_ids):
        raise ForecastError(f"{path}: the header repeats a sensor id")
    values = _numbers(cells, raw_ids, path, first_line)
    grid_start, grid = regular_grid(times, values, interval, where=str(path))
    adjacency = _adjacency(folder, meta, raw_ids)
    return SensorSeries(
        name=name,
        sensor_ids=tuple(f"{name}-{raw}" for raw in raw_ids),
        start=grid_start,
        interval=interval,
        values=grid,
        adjacency=adjacency,
        unit=str(meta["unit"]),
        quantity=str(meta["quantity"]),
        timezone=tz_name,
        locations=_locations(folder, meta, name),
    )


def _interval(meta: dict[str, Any], folder: Path) -> timedelta:
    try:
        minutes = float(meta["interval_minutes"])
    except (TypeError, ValueError) as err:
        raise ForecastError(
            f"{folder / 'meta.json'}: interval_minutes {meta['interval_minutes']!r} is no number"
        ) from err
    if not math.isfinite(minutes) or minutes <= 0 or (minutes * 60) % 1:
        raise ForecastError(f"{folder / 'meta.json'}: interval_minutes {minutes} must be a positive whole of seconds")
    return timedelta(minutes=minutes)


def _file(folder: Path, name: str, what: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ForecastError(f"{folder}: {what} file {name!r} named in meta.json is missing")
    return path


def _csv(path: Path) -> list[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except (UnicodeDecodeError, csv.Error) as err:
        raise ForecastError(f"{path}: not a readable UTF-8 CSV file: {err}") from err
    if not rows:
        raise ForecastError(f"{path}: empty")
    return rows


def _check_widths(rows: list[list[str]], width: int, path: Path, first_line: int) -> None:
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ForecastError(
                f"{path} line {first_line + i}: {len(row)} values where the header has {width} columns (ragged CSV)"
            )


def _instant(text: str, path: Path, line: int) -> datetime:
    try:
        return ensure_utc(datetime.fromisoformat(text.strip()))
    except (ValueError, TamnaError) as err:
        raise ForecastError(f"{path} line {line}: time {text!r} is not ISO 8601 with a UTC offset") from err


def _numbers(cells: list[list[str]], ids: list[str], path: Path, first_line: int) -> np.ndarray:
    values = np.empty((len(cells), len(ids)))
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            text = cell.strip()
            if text.lower() in MISSING:
                values[i, j] = np.nan
                continue
            try:
                values[i, j] = float(text)
            except ValueError:
                raise ForecastError(
                    f"{path} line {first_line + i}, sensor {ids[j]!r}: {cell!r} is not a number"
                ) from None
            if not math.isfinite(values[i, j]):
                values[i, j] = np.nan
    return values


def _adjacency(folder: Path, meta: dict[str, Any], raw_ids: list[str]) -> np.ndarray:
    spec = meta.get("adjacency")
    count = len(raw_ids)
    if not spec:
        # a dataset without a graph still forecasts: graph models then see no neighbours
        return np.zeros((count, count))
    if spec.get("order", "same_as_readings") != "same_as_readings":
        raise ForecastError(f"{folder / 'meta.json'}: adjacency order {spec['order']!r} is not supported")
    path = _file(folder, spec["file"], "adjacency")
    rows = _csv(path)
    if spec.get("header"):
        named = rows[0]
        rows = rows[1:]
        if len(named) == count and named != raw_ids:
            raise ForecastError(f"{path}: the header's sensor order differs from the readings' order")
    if len(rows) != count or any(len(r) != count for r in rows):
        widths = sorted({len(r) for r in rows})
        raise ForecastError(
            f"{path}: the graph is {len(rows)} rows x {widths} columns but the readings have {count} sensors"
        )
    try:
        matrix = np.array([[float(c) for c in r] for r in rows])
    except ValueError as err:
        raise ForecastError(f"{path}: a weight is not a number ({err})") from err
    if spec.get("kind") == "binary":
        matrix = (matrix != 0).astype(np.float64)
    return matrix


def _locations(folder: Path, meta: dict[str, Any], name: str) -> dict[str, tuple[float, float]]:
    spec = meta.get("locations")
    if not spec:
        return {}
    path = (folder / spec["file"]).resolve()
    if not path.is_file():
        return {}  # positions only place sensors on a map; forecasting does not need them
    found: dict[str, tuple[float, float]] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            try:
                found[f"{name}-{row[spec['id_column']]}"] = (
                    float(row[spec["lon_column"]]),
                    float(row[spec["lat_column"]]),
                )
            except (KeyError, ValueError):
                continue
    return found
