"""What the running API holds: settings, the store, the event bus and the ingest machinery."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tamna.api.metrics import RequestCounter
from tamna.core.events import EventBus
from tamna.core.settings import Settings
from tamna.core.timeutil import utcnow
from tamna.ingest.mqtt import MqttIngest
from tamna.ingest.pipeline import IngestPipeline
from tamna.store.base import Store
from tamna.traffic.forecasting.live import LiveForecasts

log = logging.getLogger(__name__)


@dataclass
class AppState:
    """Shared by every request; built once by the app factory."""

    settings: Settings
    store: Store
    bus: EventBus
    pipeline: IngestPipeline
    mqtt: MqttIngest | None = None
    #: the platform's "now": the wall clock, or the simulation clock when the digital twin drives the city
    clock: Callable[[], datetime] = utcnow
    network_geojson: bytes | None = None
    #: live traffic forecasts, refreshed each interval with the background work
    forecasts: LiveForecasts | None = None
    requests: RequestCounter = field(default_factory=RequestCounter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start_background(self) -> None:
        """Start the roll-up worker and, when a broker is configured, the MQTT subscriber."""
        worker = threading.Thread(target=self._rollup_loop, name="rollups", daemon=True)
        worker.start()
        self._threads.append(worker)
        if self.settings.mqtt:
            self.mqtt = MqttIngest(self.pipeline, self.settings.mqtt, self.settings.city)
            self.mqtt.start(wait_s=2.0)
        if self.forecasts is not None:
            self.forecasts.start()

    def stop_background(self) -> None:
        """Stop workers, storing what they hold."""
        self._stop.set()
        if self.mqtt is not None:
            self.mqtt.stop()
        if self.forecasts is not None:
            self.forecasts.stop()
        for thread in self._threads:
            thread.join(timeout=10)
        self._flush_rollups()

    def _rollup_loop(self) -> None:
        while not self._stop.wait(self.settings.rollup_interval_s):
            self._flush_rollups()

    def _flush_rollups(self) -> None:
        try:
            self.pipeline.flush_rollups()
        except Exception:  # retried on the next tick; the span is kept
            log.exception("roll-up refresh failed")
