"""Where the twin's readings go: through the ingest road, on a worker thread so that storing a batch never holds up
the simulation. Directly into the pipeline, or to the MQTT broker when one is configured (then the platform's
MQTT subscriber ingests them, as it would a field gateway's)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the pipeline brings pyarrow; importing the twin must stay light
    from tamna.ingest.pipeline import IngestPipeline, IngestResult

log = logging.getLogger(__name__)

Records = list[dict[str, object]]
Sink = Callable[[Records], object]
#: Batches waiting to be stored before the simulation waits for the store (back-pressure, not unbounded memory).
MAX_WAITING = 64
#: Records handed to the sink in one call at most, when batches have queued up.
MAX_COALESCED = 50_000


def pipeline_sink(pipeline: IngestPipeline) -> Sink:
    """Straight into the pipeline, as source ``twin``."""

    def ingest(records: Records) -> IngestResult:
        return pipeline.ingest_records(records, source="twin")

    return ingest


def mqtt_sink(broker: str, city: str) -> tuple[Sink, Callable[[], None]]:
    """Published to ``tamna/<city>/sensors/<id>/observations`` (QoS 1); returns the sink and its closer."""
    from tamna.ingest.mqtt import MqttPublisher

    publisher = MqttPublisher(broker, city)
    publisher.connect()

    def publish(records: Records) -> int:
        return publisher.publish(records)

    return publish, publisher.close


@dataclass
class OutboxStats:
    """What went out, and what the pipeline made of it (when the sink is the pipeline)."""

    batches: int = 0
    records: int = 0
    stored: int = 0
    rejected: int = 0
    failed_batches: int = 0


class Outbox:
    """A worker thread that hands record batches to a sink in order (several at once when they queue up)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.stats = OutboxStats()
        self._queue: queue.Queue[Records | None] = queue.Queue(maxsize=MAX_WAITING)
        self._thread = threading.Thread(target=self._work, name="twin-outbox", daemon=True)
        self._lock = threading.Lock()
        self._thread.start()

    def put(self, records: Records) -> None:
        """Queue a batch (blocks while :data:`MAX_WAITING` batches wait)."""
        if records:
            self._queue.put(records)

    def drain(self) -> None:
        """Wait until every queued batch has been handed over."""
        self._queue.join()

    def close(self) -> None:
        """Hand over what is queued, then stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout=60)

    def _work(self) -> None:
        while True:
            batch = self._queue.get()
            taken, closing = 1, batch is None
            records: Records = list(batch or [])
            # batches that queued up while the last one was stored go together: one store transaction costs
            # about as much for thousands of records as for a hundred
            while not closing and len(records) < MAX_COALESCED:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if more is None:
                    closing = True
                else:
                    records.extend(more)
            try:
                if records:
                    self._send(records)
            finally:
                for _ in range(taken):
                    self._queue.task_done()
            if closing:
                return

    def _send(self, batch: Records) -> None:
        from tamna.ingest.pipeline import IngestResult

        try:
            result = self.sink(batch)
        except Exception:  # a store or broker outage loses this batch, never the simulation
            log.exception("twin readings could not be delivered (%d records)", len(batch))
            with self._lock:
                self.stats.failed_batches += 1
            return
        with self._lock:
            self.stats.batches += 1
            self.stats.records += len(batch)
            if isinstance(result, IngestResult):
                self.stats.stored += result.stored
                self.stats.rejected += result.rejected
