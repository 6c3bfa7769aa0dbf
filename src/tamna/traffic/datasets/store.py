"""A dataset taken from Tamna's own store: every sensor's readings in fixed buckets, as a :class:`SensorSeries`.

The graph is the straight-line distance kernel between sensor positions (:func:`~..forecasting.graph.distance_graph`)
since the store keeps positions, not road distances. Values are in the store's unit (km/h for speed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from tamna.core.errors import TamnaError
from tamna.core.timeutil import ensure_utc, floor_time
from tamna.store.base import Bucket, Store
from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.graph import distance_graph

UNITS = {"speed_kmh": ("speed", "km/h"), "flow_vph": ("flow", "veh/h"), "occupancy_pct": ("occupancy", "%")}


def from_store(
    store: Store,
    *,
    start: datetime,
    end: datetime,
    bucket: Bucket = Bucket.MIN_5,
    measure: str = "speed_kmh",
    sensor_ids: Sequence[str] | None = None,
    timezone: str = "UTC",
    name: str = "store",
) -> SensorSeries:
    """Readings in [start, end) averaged per ``bucket``, one column per sensor with at least one reading (or per
    sensor named, in that order, empty columns included)."""
    step = Bucket(bucket).step
    if step is None:
        raise ForecastError("a forecasting dataset needs fixed buckets (1m, 5m, 15m or 1h), not raw readings")
    if measure not in UNITS:
        raise ForecastError(f"unknown measure {measure!r}; one of {', '.join(UNITS)}")
    lo, hi = floor_time(ensure_utc(start), step), floor_time(ensure_utc(end), step)
    if hi <= lo:
        raise ForecastError(f"the window {start.isoformat()} .. {end.isoformat()} holds no whole {bucket} bucket")
    try:
        points = store.sensor_series(start=lo, end=hi, bucket=bucket, measure=measure, sensor_ids=sensor_ids)
        known = {sensor.id: sensor for sensor in store.sensors()}
    except TamnaError as err:
        raise ForecastError(f"reading the store: {err}") from err
    ids = list(sensor_ids) if sensor_ids is not None else sorted({p[0] for p in points})
    if not ids:
        raise ForecastError(f"the store has no {measure} readings between {lo.isoformat()} and {hi.isoformat()}")
    column = {sensor_id: i for i, sensor_id in enumerate(ids)}
    steps = int((hi - lo) / step)
    values = np.full((steps, len(ids)), np.nan)
    for sensor_id, when, value in points:
        values[int((when - lo) / step), column[sensor_id]] = value
    positions: list[tuple[float, float] | None] = []
    for sensor_id in ids:
        sensor = known.get(sensor_id)
        placed = sensor is not None and sensor.lon is not None and sensor.lat is not None
        positions.append((sensor.lon, sensor.lat) if placed else None)  # type: ignore[union-attr,arg-type]
    quantity, unit = UNITS[measure]
    return SensorSeries(
        name=name,
        sensor_ids=tuple(ids),
        start=lo,
        interval=step,
        values=values,
        adjacency=distance_graph(positions),
        unit=unit,
        quantity=quantity,
        timezone=timezone,
        locations={sid: p for sid, p in zip(ids, positions, strict=True) if p is not None},
    )
