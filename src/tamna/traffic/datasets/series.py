"""Sensor readings on a regular time grid, with the sensor graph: what every forecaster trains and predicts on.

Rows are instants ``start + i * interval``; a time with no reading is a row of NaN, never a dropped row, so a
window of twelve rows is always one hour. Missing readings stay NaN here: how they are filled is the model's input
policy (:func:`tamna.traffic.forecasting.windows.fill_causal`), and missing targets are masked when scoring.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from tamna.traffic.forecasting.errors import ForecastError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class SensorSeries:
    """Readings of N sensors at T instants (``values`` is T x N, NaN where nothing was read)."""

    name: str
    sensor_ids: tuple[str, ...]
    start: datetime
    interval: timedelta
    values: np.ndarray
    #: N x N edge weights, row i to column j; 0 means no edge
    adjacency: np.ndarray
    #: unit of ``values`` as published (``mph``, ``km/h``, ``veh/h`` …)
    unit: str
    quantity: str = "speed"
    #: the IANA zone whose local time gives time of day and day of week
    timezone: str = "UTC"
    locations: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ForecastError(f"{self.name}: start {self.start.isoformat()} has no time zone")
        if self.interval <= timedelta(0) or self.interval.total_seconds() % 1:
            raise ForecastError(f"{self.name}: interval {self.interval} must be a positive whole number of seconds")
        if self.values.ndim != 2:
            raise ForecastError(
                f"{self.name}: readings must be a matrix (times x sensors), got {self.values.ndim} axes"
            )
        sensors = self.values.shape[1]
        if sensors != len(self.sensor_ids):
            raise ForecastError(f"{self.name}: {sensors} columns of readings but {len(self.sensor_ids)} sensor ids")
        if len(set(self.sensor_ids)) != len(self.sensor_ids):
            raise ForecastError(f"{self.name}: sensor ids repeat")
        if self.adjacency.shape != (sensors, sensors):
            raise ForecastError(
                f"{self.name}: the graph has shape {self.adjacency.shape} but the readings have {sensors} sensors; "
                "adjacency must be square with one row and column per sensor, in the readings' order"
            )
        if not np.all(np.isfinite(self.adjacency)) or np.any(self.adjacency < 0):
            raise ForecastError(f"{self.name}: the graph has negative or non-numeric weights")

    @property
    def steps(self) -> int:
        """Number of rows (instants)."""
        return int(self.values.shape[0])

    @property
    def interval_s(self) -> int:
        """The grid step in seconds."""
        return int(self.interval.total_seconds())

    @property
    def start_s(self) -> int:
        """Epoch seconds of row 0."""
        return int((self.start - EPOCH).total_seconds())

    def times_s(self) -> np.ndarray:
        """Epoch seconds of every row."""
        return self.start_s + np.arange(self.steps, dtype=np.int64) * self.interval_s

    def time_of(self, row: int) -> datetime:
        """The UTC instant of ``row``."""
        return (self.start + row * self.interval).astimezone(UTC)

    def rows(self, lo: int, hi: int) -> SensorSeries:
        """Rows ``lo`` to ``hi`` (exclusive) as a series of their own, holding a copy of those readings only."""
        lo, hi = max(lo, 0), min(hi, self.steps)
        return replace(self, start=self.start + lo * self.interval, values=self.values[lo:hi].copy())

    def fingerprint(self) -> str:
        """SHA-256 over readings, grid, sensor ids and graph: two series with it equal hold the same data."""
        digest = hashlib.sha256()
        digest.update(f"{self.start_s}|{self.interval_s}|{self.unit}|{'|'.join(self.sensor_ids)}".encode())
        digest.update(np.ascontiguousarray(self.values, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(self.adjacency, dtype=np.float64).tobytes())
        return digest.hexdigest()


def regular_grid(
    times: list[datetime], values: np.ndarray, interval: timedelta, *, where: str = "readings"
) -> tuple[datetime, np.ndarray]:
    """Place rows stamped ``times`` on the grid that starts at the first of them; skipped times become NaN rows.

    Times must increase and sit on the grid (a multiple of ``interval`` after the first); the error names the first
    row that does not.
    """
    if not times:
        raise ForecastError(f"{where}: no rows")
    step = interval.total_seconds()
    first = times[0]
    offsets = np.array([(t - first).total_seconds() for t in times]) / step
    index = np.rint(offsets).astype(np.int64)
    off_grid = np.flatnonzero(np.abs(offsets - index) > 1e-6)
    if off_grid.size:
        bad = int(off_grid[0])
        raise ForecastError(
            f"{where}: row {bad + 1} at {times[bad].isoformat()} is not on the {interval} grid that starts at "
            f"{first.isoformat()}"
        )
    not_rising = np.flatnonzero(np.diff(index) <= 0)
    if not_rising.size:
        bad = int(not_rising[0]) + 1
        raise ForecastError(
            f"{where}: row {bad + 1} at {times[bad].isoformat()} does not come after the row before it "
            "(times must increase, without repeats)"
        )
    grid = np.full((int(index[-1]) + 1, values.shape[1]), np.nan)
    grid[index] = values
    return first.astimezone(UTC), grid
