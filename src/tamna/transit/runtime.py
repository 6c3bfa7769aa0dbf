"""What runs in the background for transit: the twin's bus positions (from the event bus), the MQTT vehicle
subscriber and GTFS-Realtime pollers, all feeding one :class:`~tamna.transit.live.TransitIngest`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from tamna.core.events import EventBus
from tamna.transit.errors import TransitError
from tamna.transit.live import TransitIngest
from tamna.transit.mqtt import VehicleMqttIngest
from tamna.transit.realtime import fetch

log = logging.getLogger(__name__)


class RealtimePoller:
    """Fetches a GTFS-Realtime URL every ``interval_s`` and ingests it; failures are logged and retried."""

    def __init__(self, ingest: TransitIngest, url: str, *, interval_s: float = 15.0, timeout_s: float = 10.0) -> None:
        self.ingest = ingest
        self.url = url
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.polls = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> None:
        """One fetch and ingest (raises TransitError when the URL or the message is bad)."""
        data = fetch(self.url, timeout_s=self.timeout_s)
        result = self.ingest.ingest_realtime(data, source=f"poll:{self.url}")
        self.polls += 1
        log.info(
            "%s: %d fixes, %d matched, %d unmatched, %d refused, %d trip updates",
            self.url,
            result.received,
            result.matched,
            result.unmatched,
            result.rejected,
            result.trip_updates,
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except TransitError as err:
                self.failures += 1
                log.warning("polling %s failed: %s", self.url, err)
            except Exception:  # a store outage: retried next round
                self.failures += 1
                log.exception("polling %s failed", self.url)
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        """Poll in a background thread."""
        self._thread = threading.Thread(target=self._loop, name=f"gtfs-rt-poll {self.url}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s + 5)


class TransitRuntime:
    """Starts and stops the transit inputs of one process."""

    def __init__(
        self,
        ingest: TransitIngest,
        bus: EventBus,
        *,
        city: str,
        mqtt_url: str | None = None,
        poll_urls: Sequence[str] = (),
        poll_interval_s: float = 15.0,
    ) -> None:
        self.ingest = ingest
        self.bus = bus
        self.city = city
        self.mqtt_url = mqtt_url
        self.mqtt: VehicleMqttIngest | None = None
        self.pollers = [RealtimePoller(ingest, url, interval_s=poll_interval_s) for url in poll_urls]
        self._detach: Callable[[], None] | None = None

    def start(self, *, wait_s: float = 0.0) -> None:
        """Listen to the twin, and connect MQTT and the pollers when configured."""
        self._detach = self.ingest.attach(self.bus)
        if self.mqtt_url:
            self.mqtt = VehicleMqttIngest(self.ingest, self.mqtt_url, self.city)
            self.mqtt.start(wait_s=wait_s)
        for poller in self.pollers:
            poller.start()

    def stop(self) -> None:
        """Stop everything, storing what is buffered."""
        if self._detach is not None:
            self._detach()
            self._detach = None
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None
        for poller in self.pollers:
            poller.stop()
