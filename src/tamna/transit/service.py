"""The transit service the API and the CLI call: live vehicles, arrivals at a stop, the GTFS-Realtime feeds and
the KPIs, over the active feed's schedule. Routes stay thin; the rules live here and in the modules it calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from tamna.core.events import EventBus
from tamna.core.timeutil import utcnow
from tamna.domain.transit import VehicleState
from tamna.store.base import Store
from tamna.transit import feeds
from tamna.transit.arrivals import Arrival, stop_arrivals
from tamna.transit.kpis import TransitKpis, compute_kpis
from tamna.transit.live import ScheduleSource, TransitIngest
from tamna.transit.predict.base import Predictor
from tamna.transit.predict.baseline import ScheduleDelayPredictor
from tamna.transit.predict.learned import SegmentModel
from tamna.transit.schedule import Schedule, Stop

#: Vehicle states older than this are off the road (not in the feeds, not on the boards).
STALE_S = 300.0
#: The learned model is refitted this often, on this much history, once it has this many segment samples.
REFIT_S, HISTORY_DAYS, MIN_TRAINING = 3600.0, 28, 200
#: Built feeds are reused for this long: many clients polling a feed cost one build.
FEED_CACHE_S = 1.0


class TransitService:
    """One per process; thread-safe."""

    def __init__(
        self,
        store: Store,
        bus: EventBus | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        feed_id: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.schedules = ScheduleSource(store, feed_id)
        self.ingest = TransitIngest(store, bus, clock=clock, schedules=self.schedules)
        self.baseline = ScheduleDelayPredictor()
        self._model: SegmentModel | None = None
        self._model_for: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._feeds: dict[str, tuple[float, bytes]] = {}

    def schedule(self) -> Schedule:
        """The active feed's schedule (NoFeedError when none is imported)."""
        return self.schedules.get()

    def live_states(self, now: datetime | None = None) -> list[VehicleState]:
        """Each vehicle's latest state, if it is recent."""
        moment = now or self.clock()
        schedule = self.schedule()
        return self.store.latest_vehicle_states(schedule.feed_id, since=moment - timedelta(seconds=STALE_S))

    def predictor(self) -> Predictor:
        """The learned model when there is enough history for it, else the schedule-plus-delay baseline."""
        schedule = self.schedule()
        stamp = time.monotonic()
        with self._lock:
            fresh = self._model_for is not None and self._model_for[0] == schedule.feed_id
            if not fresh or stamp - (self._model_for[1] if self._model_for else 0.0) > REFIT_S:
                now = self.clock()
                events = self.store.stop_events(
                    schedule.feed_id, start=now - timedelta(days=HISTORY_DAYS), end=now + timedelta(days=1)
                )
                model = SegmentModel.fit(schedule, events) if events else None
                self._model = model if model is not None and model.samples >= MIN_TRAINING else None
                self._model_for = (schedule.feed_id, stamp)
            return self._model or self.baseline

    def arrivals(self, stop_id: str, *, limit: int = 20, now: datetime | None = None) -> tuple[Stop, list[Arrival]]:
        """The next arrivals at a stop."""
        moment = now or self.clock()
        return stop_arrivals(self.schedule(), stop_id, self.live_states(moment), self.predictor(), moment, limit=limit)

    def feed(self, kind: str, *, now: datetime | None = None) -> bytes:
        """A serialized GTFS-Realtime feed: ``trip-updates``, ``vehicle-positions`` or ``alerts``."""
        moment = now or self.clock()
        cached = self._feeds.get(kind)
        if now is None and cached is not None and time.monotonic() - cached[0] < FEED_CACHE_S:
            return cached[1]
        if kind == "alerts":
            message = feeds.alerts(self.store.transit_alerts(active_at=moment), moment)
        elif kind == "vehicle-positions":
            message = feeds.vehicle_positions(self.schedule(), self.live_states(moment), moment)
        elif kind == "trip-updates":
            message = feeds.trip_updates(self.schedule(), self.live_states(moment), self.predictor(), moment)
        else:
            raise ValueError(f"unknown feed {kind!r}")
        data = message.SerializeToString()
        self._feeds[kind] = (time.monotonic(), data)
        return data

    def kpis(self, start: datetime, end: datetime, *, route_id: str | None = None) -> TransitKpis:
        """KPIs of the stop events observed in [start, end)."""
        schedule = self.schedule()
        events = self.store.stop_events(schedule.feed_id, start=start, end=end, route_id=route_id)
        return compute_kpis(schedule, events)
