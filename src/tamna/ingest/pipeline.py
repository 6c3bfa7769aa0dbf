"""The ingest pipeline: validate → dead-letter the refused → store the valid → publish an event.

Every path (HTTP, MQTT, files, the twin) calls this one class, so a rule enforced here holds everywhere.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tamna.core.events import EventBus
from tamna.core.timeutil import utcnow
from tamna.domain.rejections import Rejection
from tamna.ingest.columns import FieldErrors
from tamna.ingest.records import record_text, records_to_table
from tamna.ingest.rollups import RollupTracker
from tamna.ingest.validate import Checked, Rules, check_batch
from tamna.store.base import Store

log = logging.getLogger(__name__)

#: How many refused records an ingest answer lists (all of them are in the dead-letter table).
REJECTION_SAMPLE = 20


@dataclass
class IngestResult:
    """What happened to one input: how much came, was stored, and was refused (with a sample of why)."""

    source: str
    received: int = 0
    stored: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def merge(self, other: IngestResult) -> None:
        """Add another batch's outcome (files arrive in batches)."""
        self.received += other.received
        self.stored += other.stored
        self.rejected += other.rejected
        room = REJECTION_SAMPLE - len(self.rejections)
        if room > 0:
            self.rejections.extend(other.rejections[:room])


class IngestStats:
    """Counters for the metrics endpoint, by ingest path and by refused field."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.stored: Counter[str] = Counter()
        self.rejected: Counter[tuple[str, str]] = Counter()

    def count(self, path: str, received: int, stored: int, rejections: Sequence[Rejection]) -> None:
        """Add one batch's numbers."""
        with self._lock:
            self.received[path] += received
            self.stored[path] += stored
            for rejection in rejections:
                self.rejected[(path, rejection.field or "record")] += 1

    def snapshot(self) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, str], int]]:
        """A consistent copy of the counters."""
        with self._lock:
            return dict(self.received), dict(self.stored), dict(self.rejected)


def path_of(source: str) -> str:
    """The ingest path of a source name: ``file:obs.csv`` → ``file``."""
    return source.split(":", 1)[0]


class IngestPipeline:
    """Validates and stores observations. Thread-safe; one per process."""

    def __init__(
        self,
        store: Store,
        bus: EventBus | None = None,
        *,
        future_tolerance_s: float = 300.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.bus = bus or EventBus()
        self.future_tolerance_s = future_tolerance_s
        self.clock = clock
        self.rollups = RollupTracker()
        self.stats = IngestStats()
        self._known = pa.array([], pa.string())
        self._known_lock = threading.Lock()
        self.reload_sensors()

    def reload_sensors(self) -> None:
        """Re-read the registered sensors (after a sensor import or when an unknown id shows up)."""
        ids = pa.array(sorted(self.store.sensor_ids()), pa.string())
        with self._known_lock:
            self._known = ids

    def _rules(self, sensor_ids: pa.Array) -> Rules:
        with self._known_lock:
            known = self._known
        if not pc.all(pc.is_in(pc.drop_null(sensor_ids), value_set=known)).as_py():
            self.reload_sensors()  # another process or an import may have registered them since
            with self._known_lock:
                known = self._known
        return Rules(known, self.clock(), _seconds(self.future_tolerance_s))

    # ---- entry points --------------------------------------------------------------------------------
    def ingest_records(
        self,
        records: Sequence[object],
        *,
        source: str,
        sensor_id: str | None = None,
        unparsed: Sequence[tuple[int, str, str]] = (),
    ) -> IngestResult:
        """Ingest decoded JSON records; ``unparsed`` are (position, text, reason) of input that was not JSON."""
        table, errors = records_to_table(records, sensor_id=sensor_id)
        received_at = self.clock()
        extra = [
            Rejection(
                source=source, received_at=received_at, reason=reason, field="record", record=text, position=position
            )
            for position, text, reason in unparsed
        ]
        return self.ingest_table(
            table,
            source=source,
            errors=errors,
            record_text=lambda row: record_text(records[row]),
            extra_rejections=extra,
        )

    def ingest_table(
        self,
        table: pa.Table,
        *,
        source: str,
        errors: FieldErrors | None = None,
        positions: np.ndarray | None = None,
        record_text: Callable[[int], str] | None = None,
        extra_rejections: Sequence[Rejection] = (),
    ) -> IngestResult:
        """Validate a canonical-schema table, keep the refused rows, store the rest, announce it."""
        received_at = self.clock()
        checked: Checked = check_batch(
            table,
            self._rules(table.column("sensor_id").combine_chunks()),
            source=source,
            received_at=received_at,
            conversion_errors=errors,
            positions=positions,
            record_text=record_text,
        )
        rejections = [*extra_rejections, *checked.rejections]
        if rejections:
            self.store.add_rejections(rejections)
        stored = self.store.write_observations(checked.valid) if checked.valid.num_rows else 0
        received = table.num_rows + len(extra_rejections)
        self.stats.count(path_of(source), received, stored, rejections)
        if stored:
            times = checked.valid.column("time")
            start, end = pc.min(times).as_py(), pc.max(times).as_py()
            self.rollups.mark(start, end)
            self.bus.publish(
                "observations.stored",
                {
                    "source": source,
                    "count": stored,
                    "start": start,
                    "end": end,
                    "sensor_ids": pc.unique(checked.valid.column("sensor_id")).to_pylist(),
                },
            )
        if rejections:
            self.bus.publish("observations.rejected", {"source": source, "count": len(rejections)})
        return IngestResult(
            source=source,
            received=received,
            stored=stored,
            rejected=len(rejections),
            rejections=rejections[:REJECTION_SAMPLE],
        )

    def flush_rollups(self) -> None:
        """Bring the roll-ups up to date with everything stored so far."""
        self.rollups.flush(self.store)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
