"""Replays a real sensor dataset as live data: each interval, every sensor's reading for the same weekday and
time of day (in the dataset's own zone) is sent with the current time, through the normal ingest road.

This stands in for field sensors until the digital twin feeds the platform; the readings are real, only their
timestamps are shifted to now.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from tamna.core.timeutil import floor_time, utcnow, zone
from tamna.domain.observations import Quality
from tamna.ingest.sources.sensor_dataset.adapter import SensorDataset

log = logging.getLogger(__name__)

Records = list[dict[str, object]]
Sink = Callable[[Records], None]
WEEK = timedelta(days=7)


def row_for(dataset: SensorDataset, when: datetime) -> int:
    """The dataset row whose local weekday and time of day match ``when`` (cycling a week-long dataset)."""
    tz = zone(dataset.timezone)
    first = dataset.times[0].astimezone(tz)
    local = when.astimezone(tz)
    # position of `when` within a week, counted from the dataset's first row's weekday and time
    offset = (local.replace(tzinfo=None) - first.replace(tzinfo=None)) % WEEK
    index = int(offset / dataset.interval)
    return index % len(dataset.times)


def records_at(dataset: SensorDataset, when: datetime) -> Records:
    """One reading per sensor, stamped ``when``, taken from the matching dataset row."""
    row = dataset.values[row_for(dataset, when)]
    stamp = when.isoformat()
    return [
        {
            "sensor_id": sensor_id,
            "time": stamp,
            dataset.quantity_column: round(float(value), 2),
            "quality": Quality.OK.name.lower(),
        }
        for sensor_id, value in zip(dataset.sensor_ids, row, strict=True)
        if not math.isnan(value)
    ]


def backfill(dataset: SensorDataset, sink: Sink, *, hours: float, now: datetime | None = None) -> int:
    """Send the last ``hours`` of readings, up to the current interval, at once (so history charts are not empty);
    returns records sent."""
    end = floor_time(now or utcnow(), dataset.interval)
    steps = int(timedelta(hours=hours) / dataset.interval)
    sent = 0
    for step in range(steps, -1, -1):
        records = records_at(dataset, end - step * dataset.interval)
        sink(records)
        sent += len(records)
    return sent


class Replay:
    """Sends one interval's readings at each interval boundary until stopped."""

    def __init__(self, dataset: SensorDataset, sink: Sink, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.dataset = dataset
        self.sink = sink
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0

    def tick(self) -> int:
        """Send the readings for the current interval now."""
        records = records_at(self.dataset, floor_time(self.clock(), self.dataset.interval))
        try:
            self.sink(records)
        except Exception:  # the replay must outlive a broker or store hiccup
            log.exception("replay could not deliver %d readings", len(records))
            return 0
        self.sent += len(records)
        return len(records)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = self.clock()
            next_boundary = floor_time(now, self.dataset.interval) + self.dataset.interval
            if self._stop.wait(max(0.5, (next_boundary - now).total_seconds())):
                return
            self.tick()

    def start(self) -> None:
        """Run in a background thread: one tick at each interval boundary (backfill covers the current one)."""
        self._thread = threading.Thread(target=self._run, name=f"replay-{self.dataset.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
