"""Live transit ingest: fixes and trip updates from any source → checks (refused ones dead-lettered with their
reason) → matching → the store (every fix, matched or not, and the stop events) → an event on the bus.

Every path calls :class:`TransitIngest`: GTFS-Realtime files and polled URLs, MQTT, and the twin's
``vehicles.positions`` events, so a rule enforced here holds for all of them.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tamna.core.errors import ValidationError
from tamna.core.events import Event, EventBus
from tamna.core.timeutil import utcnow
from tamna.domain.rejections import Rejection
from tamna.domain.transit import MatchKind, StopEvent, VehicleState
from tamna.store.base import Store
from tamna.transit.errors import NoFeedError, RealtimeUnreadableError
from tamna.transit.gtfs.spec import parse_date, parse_time
from tamna.transit.matching import Matcher, Ping
from tamna.transit.positions import FUTURE_TOLERANCE_S, MAX_AGE_S, check_ping, ping_from_position
from tamna.transit.realtime import EntityRefusal, TripDelay, parse_feed, trip_delays, vehicle_pings
from tamna.transit.schedule import Schedule

log = logging.getLogger(__name__)

#: How many refused records an ingest answer lists (all are in the dead-letter table).
SAMPLE = 20
#: How often the active feed is looked up again (a new import replaces the schedule).
RELOAD_S = 30.0


@dataclass
class TransitResult:
    """What became of one input."""

    source: str
    received: int = 0
    matched: int = 0
    unmatched: int = 0
    rejected: int = 0
    trip_updates: int = 0
    stop_events: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    unmatched_reasons: Counter[str] = field(default_factory=Counter)


class ScheduleSource:
    """The schedule of the active feed (the one named, else the most recently imported), rebuilt when a new
    import replaces it."""

    def __init__(self, store: Store, feed_id: str | None = None, *, reload_s: float = RELOAD_S) -> None:
        self.store = store
        self.feed_id = feed_id
        self.reload_s = reload_s
        self._schedule: Schedule | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self, now: float | None = None) -> Schedule:
        """The current schedule; raises NoFeedError when nothing was imported."""
        import time

        moment = time.monotonic() if now is None else now
        with self._lock:
            if self._schedule is not None and moment - self._checked < self.reload_s:
                return self._schedule
            self._checked = moment
            feeds = self.store.gtfs_feeds()
            wanted = [f for f in feeds if self.feed_id in (None, f.feed_id)]
            if not wanted:
                what = f"GTFS feed {self.feed_id!r}" if self.feed_id else "no GTFS feed"
                raise NoFeedError(f"{what} is imported; run `tamna transit import FEED` first")
            summary = wanted[0]
            current = self._schedule
            if current is None or (current.feed_id, current.summary.imported_at) != (
                summary.feed_id,
                summary.imported_at,
            ):
                current = self._schedule = Schedule(summary, self.store.gtfs_tables(summary.feed_id))
            return current


class TransitIngest:
    """Checks, matches and stores vehicle fixes and trip updates. Thread-safe (one matcher behind a lock)."""

    def __init__(
        self,
        store: Store,
        bus: EventBus | None = None,
        *,
        feed_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_age_s: float = MAX_AGE_S,
        future_tolerance_s: float = FUTURE_TOLERANCE_S,
        schedules: ScheduleSource | None = None,
    ) -> None:
        self.store = store
        self.bus = bus or EventBus()
        self.clock = clock
        self.max_age_s = max_age_s
        self.future_tolerance_s = future_tolerance_s
        self.schedules = schedules or ScheduleSource(store, feed_id)
        self._matcher: Matcher | None = None
        self._lock = threading.Lock()

    def matcher(self) -> Matcher:
        """The matcher of the current schedule (a new one when the feed changed)."""
        schedule = self.schedules.get()
        if self._matcher is None or self._matcher.schedule is not schedule:
            self._matcher = Matcher(schedule)
        return self._matcher

    # ---- entry points --------------------------------------------------------------------------------
    def ingest_pings(
        self,
        pings: Sequence[Ping],
        *,
        source: str,
        refused: Sequence[Rejection] = (),
        now: datetime | None = None,
    ) -> TransitResult:
        """Check, match and store fixes; ``refused`` are records already refused upstream (bad JSON)."""
        moment = now or self.clock()
        result = TransitResult(source, received=len(pings) + len(refused))
        rejections = list(refused)
        states: list[VehicleState] = []
        events: list[StopEvent] = []
        with self._lock:
            matcher = self.matcher()
            for position, ping in enumerate(pings):
                problem = check_ping(
                    ping,
                    matcher.schedule,
                    moment,
                    max_age_s=self.max_age_s,
                    future_tolerance_s=self.future_tolerance_s,
                )
                if problem is not None:
                    rejections.append(
                        Rejection(
                            source=source,
                            received_at=moment,
                            reason=problem.reason,
                            field=problem.field,
                            value=problem.value,
                            record=_ping_text(ping),
                            position=position,
                        )
                    )
                    continue
                outcome = matcher.match(ping)
                states.append(outcome.state)
                events.extend(outcome.events)
                if outcome.state.matched:
                    result.matched += 1
                else:
                    result.unmatched += 1
                    result.unmatched_reasons[outcome.state.reason or "unknown"] += 1
            matcher.forget(moment)
        return self._finish(result, states, events, rejections)

    def ingest_realtime(self, data: bytes, *, source: str, replay: bool = False) -> TransitResult:
        """A GTFS-Realtime FeedMessage (VehiclePositions, TripUpdates or both). ``replay`` judges the fixes' age
        against the feed's own header time (a recorded file) instead of the clock. A message that does not
        parse is dead-lettered and raises RealtimeUnreadableError."""
        received_at = self.clock()
        try:
            message = parse_feed(data)
        except RealtimeUnreadableError as err:
            self.store.add_rejections(
                [
                    Rejection(
                        source=source,
                        received_at=received_at,
                        reason=str(err),
                        field="message",
                        value=f"{len(data)} bytes",
                        record=data[:64].hex(),
                    )
                ]
            )
            self.bus.publish("transit.rejected", {"source": source, "count": 1})
            raise
        now = datetime.fromtimestamp(message.header.timestamp, UTC) if replay and message.header.timestamp else None
        pings, refused_vp = vehicle_pings(message, source=source)
        delays, refused_tu = trip_delays(message)
        refused = [_refusal(source, now or received_at, r) for r in (*refused_vp, *refused_tu)]
        result = self.ingest_pings(pings, source=source, refused=refused, now=now)
        if delays:
            tu = self.ingest_trip_delays(delays, source=source, now=now)
            result.received += tu.received
            result.trip_updates += tu.trip_updates
            result.unmatched += tu.unmatched
            result.unmatched_reasons.update(tu.unmatched_reasons)
            result.rejected += tu.rejected
            result.rejections = [*result.rejections, *tu.rejections][:SAMPLE]
        return result

    def ingest_trip_delays(
        self, delays: Sequence[TripDelay], *, source: str, now: datetime | None = None
    ) -> TransitResult:
        """Trip updates: each trip's current delay and next stop, stored as a position-less vehicle state."""
        moment = now or self.clock()
        result = TransitResult(source, received=len(delays))
        rejections = []
        fresh = []
        for position, delay in enumerate(delays):
            age = moment.timestamp() - delay.timestamp if delay.timestamp else 0.0
            if age > self.max_age_s or -age > self.future_tolerance_s:
                when = datetime.fromtimestamp(delay.timestamp, UTC).isoformat()
                side = "older than now" if age > 0 else "ahead of now"
                rejections.append(
                    Rejection(
                        source=source,
                        received_at=moment,
                        reason=f"trip update of {delay.trip_id!r} at {when} is {abs(age):.0f} s {side}",
                        field="time",
                        value=when,
                        record=f"trip_id={delay.trip_id}",
                        position=position,
                    )
                )
            else:
                fresh.append(delay)
        with self._lock:
            schedule = self.matcher().schedule
            states = [_trip_state(schedule, delay, source, moment) for delay in fresh]
        for state in states:
            if state.matched:
                result.trip_updates += 1
            else:
                result.unmatched += 1
                result.unmatched_reasons[state.reason or "unknown"] += 1
        return self._finish(result, states, [], rejections)

    def on_twin_positions(self, event: Event) -> None:
        """Bus handler for the twin's ``vehicles.positions``: its buses, judged by the simulation's clock."""
        payload = event.payload
        when = payload.get("time")
        now = when if isinstance(when, datetime) else None
        pings, refused = [], []
        for position, item in enumerate(payload.get("positions", [])):
            record = item if isinstance(item, dict) else getattr(item, "model_dump", dict)()
            if record.get("kind", "bus") != "bus":
                continue
            try:
                pings.append(ping_from_position(record, source="twin"))
            except (ValidationError, KeyError, TypeError, ValueError) as err:
                refused.append(
                    Rejection(
                        source="twin",
                        received_at=now or self.clock(),
                        reason=f"not a vehicle position: {err}",
                        field="record",
                        record=str(record)[:4000],
                        position=position,
                    )
                )
        if pings or refused:
            try:
                self.ingest_pings(pings, source="twin", refused=refused, now=now)
            except NoFeedError:
                log.debug("twin bus positions arrived before any GTFS feed was imported")

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Listen to the twin's positions on ``bus``; returns the unsubscribe function."""
        return bus.subscribe("vehicles.positions", self.on_twin_positions)

    # ---- storing -------------------------------------------------------------------------------------
    def _finish(
        self,
        result: TransitResult,
        states: list[VehicleState],
        events: list[StopEvent],
        rejections: list[Rejection],
    ) -> TransitResult:
        if rejections:
            self.store.add_rejections(rejections)
        if states:
            self.store.write_vehicle_states(states)
        if events:
            result.stop_events = self.store.write_stop_events(events)
        result.rejected += len(rejections)
        result.rejections = rejections[:SAMPLE]
        if states:
            self.bus.publish(
                "transit.vehicles",
                {
                    "source": result.source,
                    "count": len(states),
                    "matched": result.matched + result.trip_updates,
                    "stop_events": len(events),
                    "time": max(s.time for s in states),
                },
            )
        if rejections:
            self.bus.publish("transit.rejected", {"source": result.source, "count": len(rejections)})
        return result


def _trip_state(schedule: Schedule, delay: TripDelay, source: str, now: datetime) -> VehicleState:
    """A trip update as a vehicle state: the delay at the next stop it has not passed."""
    when = datetime.fromtimestamp(delay.timestamp, UTC) if delay.timestamp else now
    base = VehicleState(
        feed_id=schedule.feed_id,
        vehicle_id=f"tu:{delay.trip_id}",
        time=when,
        source=source,
        trip_id=delay.trip_id,
        route_id=delay.route_id,
        start_date=delay.start_date,
        start_time=delay.start_time,
    )
    trip = schedule.trips.get(delay.trip_id)
    if trip is None:
        return replace(base, reason=f"trip {delay.trip_id!r} is not in the feed")
    day = parse_date(delay.start_date) if delay.start_date else None
    day = day or schedule.service_days(when.timestamp())[0]
    origin = schedule.origin(day)
    start = parse_time(delay.start_time) if delay.start_time and trip.frequencies else None
    if start is not None:
        origin += start - trip.first_s  # a frequency run: its template's times shifted to its start
    index = {int(seq): k for k, seq in enumerate(trip.seqs)}
    by_stop = {stop_id: k for k, stop_id in enumerate(trip.stop_ids)}
    observed: list[tuple[int, float]] = []  # (stop index, predicted or actual unix time)
    for update in delay.updates:
        k = index.get(update.stop_sequence) if update.stop_sequence is not None else by_stop.get(update.stop_id or "")
        if k is None or update.skipped:
            continue
        if update.arrival is not None or update.arrival_delay is not None:
            at = update.arrival if update.arrival is not None else origin + trip.arr[k] + (update.arrival_delay or 0)
            observed.append((k, float(at) - float(trip.arr[k]) - origin))
        elif update.departure is not None or update.departure_delay is not None:
            at = (
                update.departure
                if update.departure is not None
                else (origin + trip.dep[k] + (update.departure_delay or 0))
            )
            observed.append((k, float(at) - float(trip.dep[k]) - origin))
    if not observed:
        if delay.delay is None:
            return replace(base, reason="the trip update names no known stop")
        observed = [(0, float(delay.delay))]
    t = now.timestamp()
    ahead = [(k, d) for k, d in observed if origin + trip.arr[k] + d > t]
    k, lateness = ahead[0] if ahead else observed[-1]
    passed = max(k - 1, 0) if ahead else k
    return replace(
        base,
        route_id=trip.route_id,
        direction_id=trip.direction_id,
        shape_dist_m=float(trip.dist[passed]),
        stop_sequence=int(trip.seqs[k]),
        stop_id=trip.stop_ids[k],
        delay_s=round(lateness, 1),
        match=MatchKind.TRIP_UPDATE,
    )


def _refusal(source: str, when: datetime, refusal: EntityRefusal) -> Rejection:
    return Rejection(
        source=source,
        received_at=when,
        reason=f"entity {refusal.entity_id!r}: {refusal.reason}",
        field=refusal.field,
        record=refusal.record[:4000],
    )


def _ping_text(ping: Ping) -> str:
    fields: dict[str, Any] = {
        "vehicle_id": ping.vehicle_id,
        "time": ping.time.isoformat(),
        "lat": ping.lat,
        "lon": ping.lon,
        "speed_kmh": ping.speed_kmh,
        "bearing_deg": ping.bearing_deg,
        "trip_id": ping.trip_id,
        "route_id": ping.route_id,
    }
    return ", ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
