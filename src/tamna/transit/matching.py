"""Matching vehicle fixes to trips: which trip instance a vehicle runs, how far along its shape it is, its delay,
and the stops it passed since its previous fix.

A fix that names its trip is placed on that trip's shape. A fix without one (many AVL systems, the USF Bull
Runner feed, the twin's buses) is matched from its route, position and time against the timetable: the trip
instance whose schedule puts a vehicle nearest to here now, preferring the one the vehicle ran before and one no
other vehicle holds. Frequency-based trips become instances starting within their frequency periods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

import numpy as np

from tamna.domain.transit import MatchKind, StopEvent, VehicleState
from tamna.transit.gtfs.spec import format_time, parse_date, parse_time
from tamna.transit.schedule import Schedule, Trip

#: A fix farther than this from its trip's shape is not on the trip.
TRIP_RADIUS_M = 300.0
#: When guessing the trip, only shapes passing this close count.
SEARCH_RADIUS_M = 150.0
#: Guessed trips further off schedule than this are not believed.
MAX_GUESS_DELAY_S = 30 * 60
#: A vehicle within this distance of a stop is at it; crossing stop ± this marks its arrival and departure.
STOP_RADIUS_M = 25.0
#: Fastest believable progress between two fixes (m/s), used to bound where the next fix can be.
MAX_SPEED_MS = 45.0
#: A trip instance another vehicle held this recently is not given to a second vehicle lightly.
HOLD_S = 600.0
#: A vehicle this close to its first stop has not really started: it waits there, it is not early.
FIRST_STOP_ZONE_M = 150.0
#: A vehicle matched from the timetable is followed along its run; the whole timetable is searched again after
#: this many fixes, or sooner when the run no longer fits (so a wrong first guess does not stick).
REGUESS_EVERY = 10
#: Followed fixes further apart than this are matched afresh.
FOLLOW_GAP_S = 300.0
#: Tracks of vehicles silent this long are forgotten.
FORGET_S = 2 * 3600.0


@dataclass(frozen=True, slots=True)
class Ping:
    """One fix, as every source delivers it (GTFS-RT, MQTT, the twin)."""

    vehicle_id: str
    time: datetime
    lat: float
    lon: float
    source: str = ""
    speed_kmh: float | None = None
    bearing_deg: float | None = None
    trip_id: str | None = None
    route_id: str | None = None
    direction_id: int | None = None
    start_date: str | None = None
    start_time: str | None = None


@dataclass(frozen=True, slots=True)
class Instance:
    """A trip on a service day; ``shift_s`` moves a frequency template to this run's start."""

    trip: Trip
    day: date
    origin: float
    shift_s: float = 0.0

    @property
    def start_date(self) -> str:
        """GTFS-RT start_date: the service day, YYYYMMDD."""
        return _yyyymmdd(self.day)

    @property
    def key(self) -> tuple[str, date, float]:
        """What makes two instances the same run."""
        return (self.trip.trip_id, self.day, self.shift_s)

    @property
    def start_time(self) -> str | None:
        """GTFS-RT start_time of a frequency-based run (None for a scheduled trip)."""
        if not self.trip.frequencies:
            return None
        return format_time(round(self.trip.first_s + self.shift_s))

    def at(self, seconds: float) -> float:
        """Unix time of a scheduled time of the template."""
        return self.origin + self.shift_s + seconds


@dataclass(slots=True)
class Track:
    """What the matcher remembers of a vehicle."""

    instance: Instance | None
    time: float
    dist: float
    progress: float  # the furthest distance reached on this instance (fixes jitter backwards)
    followed: int = 0  # fixes matched by following the run since the last search of the timetable


@dataclass
class MatchResult:
    """The state of the vehicle after a fix, and the stop events the fix completed."""

    state: VehicleState
    events: list[StopEvent] = field(default_factory=list)


class Matcher:
    """Matches fixes of many vehicles against one schedule. Not thread-safe: one matcher per worker, each vehicle
    always sent to the same worker."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.tracks: dict[str, Track] = {}
        self.holders: dict[tuple[str, date, float], tuple[str, float]] = {}
        self._windows: dict[int, tuple[list[Trip], np.ndarray, np.ndarray]] = {}

    def match(self, ping: Ping) -> MatchResult:
        """Match one fix, updating the vehicle's track."""
        t = ping.time.timestamp()
        track = self.tracks.get(ping.vehicle_id)
        if track is not None and t < track.time:
            track = None  # a late, out-of-order fix: matched on its own, leaving the track alone
            late = True
        else:
            late = False
        schedule = self.schedule
        x, y = schedule.plane.xy(ping.lon, ping.lat)
        followed = False
        if ping.trip_id is not None and ping.trip_id in schedule.trips:
            found, reason = self._with_trip(ping, schedule.trips[ping.trip_id], t, x, y, track)
            kind = MatchKind.TRIP_ID
        else:
            found = self._follow(ping, t, x, y, track)
            followed = found is not None
            if found is None:
                found, reason = self._guess(ping, t, x, y, track)
            kind = MatchKind.SCHEDULE
            if found is None and ping.trip_id is not None:
                reason = f"trip {ping.trip_id!r} is not in feed {schedule.feed_id!r}; {reason}"
        if found is None:
            if not late:
                self.tracks[ping.vehicle_id] = Track(None, t, 0.0, 0.0)
            return MatchResult(self._state(ping, None, 0.0, t, MatchKind.NONE, reason))
        instance, dist = found
        events: list[StopEvent] = []
        if not late:
            previous = track if track is not None and track.instance is not None else None
            same = previous is not None and previous.instance is not None and previous.instance.key == instance.key
            if same and previous is not None:
                events = self._events(ping, instance, previous, t, dist)
                progress = max(previous.progress, dist)
            else:
                progress = dist
            count = previous.followed + 1 if followed and previous is not None else 0
            self.tracks[ping.vehicle_id] = Track(instance, t, dist, progress, count)
            self.holders[instance.key] = (ping.vehicle_id, t)
        return MatchResult(self._state(ping, instance, dist, t, kind, None), events)

    # ---- a fix that names its trip -----------------------------------------------------------------------
    def _with_trip(
        self, ping: Ping, trip: Trip, t: float, x: float, y: float, track: Track | None
    ) -> tuple[tuple[Instance, float] | None, str]:
        lo, hi = -math.inf, math.inf
        if track is not None and track.instance is not None and track.instance.trip is trip:
            # the next fix lies ahead of the last one, within what the vehicle can drive
            lo = track.progress - 200.0
            hi = track.progress + MAX_SPEED_MS * (t - track.time) + 200.0
        options = trip.line.candidates(x, y, TRIP_RADIUS_M, lo_m=lo, hi_m=hi)
        if not options and lo != -math.inf:
            options = trip.line.candidates(x, y, TRIP_RADIUS_M)
        if not options:
            off = trip.line.nearest(x, y)[1]
            return None, f"{off:.0f} m from the shape of its trip {trip.trip_id!r}"
        best: tuple[float, Instance, float] | None = None
        for day in self._days(ping, t):
            origin = self.schedule.origin(day)
            for dist, off in options:
                instance = self._instance(trip, day, origin, dist, t, ping.start_time, track)
                if instance is None:
                    continue
                score = abs(t - instance.at(trip.time_at(dist))) + off
                if best is None or score < best[0]:
                    best = (score, instance, dist)
        if best is None:
            return None, f"no run of frequency-based trip {trip.trip_id!r} at this time"
        return (best[1], best[2]), ""

    def _days(self, ping: Ping, t: float) -> list[date]:
        if ping.start_date:
            day = parse_date(ping.start_date)
            if day is not None:
                return [day]
        return self.schedule.service_days(t)

    @staticmethod
    def _instance(
        trip: Trip, day: date, origin: float, dist: float, t: float, start_time: str | None, track: Track | None
    ) -> Instance | None:
        if not trip.frequencies:
            return Instance(trip, day, origin)
        if start_time:
            start = parse_time(start_time)
            if start is not None:
                return Instance(trip, day, origin, start - trip.first_s)
        if track is not None and track.instance is not None:
            held = track.instance
            if held.trip is trip and held.day == day and dist >= track.progress - 100.0:
                # a run does not change while the vehicle drives it (dwells would make the inferred start drift)
                return held
        # the run that would be here now, snapped to the timetable when its times are exact
        run_start = t - origin - (trip.time_at(dist) - trip.first_s)
        for period in trip.frequencies:
            if period.start_s - period.headway_s <= run_start < period.end_s + period.headway_s:
                if period.exact:
                    k = round((run_start - period.start_s) / period.headway_s)
                    k = min(max(k, 0), max(0, math.ceil((period.end_s - period.start_s) / period.headway_s) - 1))
                    run_start = period.start_s + k * period.headway_s
                return Instance(trip, day, origin, round(run_start) - trip.first_s)
        return None

    # ---- a fix without its trip ------------------------------------------------------------------------
    def _follow(self, ping: Ping, t: float, x: float, y: float, track: Track | None) -> tuple[Instance, float] | None:
        """The vehicle's run, if it still fits: ahead of its last fix, near its line, about as late as before."""
        if track is None or track.instance is None or track.followed >= REGUESS_EVERY or t - track.time > FOLLOW_GAP_S:
            return None
        instance = track.instance
        trip = instance.trip
        if ping.route_id is not None and ping.route_id != trip.route_id:
            return None
        hi = track.progress + MAX_SPEED_MS * (t - track.time) + 200.0
        options = trip.line.candidates(x, y, SEARCH_RADIUS_M, lo_m=track.progress - 200.0, hi_m=hi)
        best: tuple[float, float] | None = None
        for dist, off in options:
            if dist >= trip.dist[-1] - STOP_RADIUS_M:
                return None  # the run is over: the vehicle may be starting its next one
            score = abs(t - instance.at(trip.time_at(dist))) + off
            if best is None or score < best[0]:
                best = (score, dist)
        if best is None or best[0] > MAX_GUESS_DELAY_S:
            return None
        return instance, best[1]

    def _guess(
        self, ping: Ping, t: float, x: float, y: float, track: Track | None
    ) -> tuple[tuple[Instance, float] | None, str]:
        schedule = self.schedule
        if ping.route_id is not None and ping.route_id not in schedule.routes:
            return None, f"route {ping.route_id!r} is not in feed {schedule.feed_id!r}"
        trips = self._trips_for(ping, x, y)
        candidates: dict[str, list[tuple[float, float]]] = {}
        best: tuple[float, Instance, float] | None = None
        for day in schedule.service_days(t):
            running = schedule.calendar.active(day)
            origin = schedule.origin(day)
            for trip in self._running(trips, t - origin):
                if trip.service_id not in running:
                    continue
                options = candidates.get(trip.line_key)
                if options is None:
                    options = candidates[trip.line_key] = trip.line.candidates(x, y, SEARCH_RADIUS_M)
                for dist, off in options:
                    instance = self._instance(trip, day, origin, dist, t, None, track)
                    if instance is None:
                        continue
                    delay = t - instance.at(trip.time_at(dist))
                    if abs(delay) > MAX_GUESS_DELAY_S:
                        continue
                    score = abs(delay) + off + self._penalty(ping, instance, dist, t, track)
                    if best is None or score < best[0]:
                        best = (score, instance, dist)
        if best is None:
            what = f"route {ping.route_id!r}" if ping.route_id else "any route"
            return None, f"no trip of {what} is scheduled within {MAX_GUESS_DELAY_S // 60} min near this position"
        return (best[1], best[2]), ""

    def _running(self, trips: list[Trip], s: float) -> list[Trip]:
        """The trips of ``trips`` that can be on the road ``s`` seconds after their day's origin."""
        key = id(trips)
        windows = self._windows.get(key)
        if windows is None or windows[0] is not trips:
            spans = np.array([_window(trip) for trip in trips]).reshape(-1, 2)
            windows = self._windows[key] = (trips, spans[:, 0], spans[:, 1])
        _, low, high = windows
        return [trips[i] for i in np.flatnonzero((low <= s) & (s <= high))]

    def _trips_for(self, ping: Ping, x: float, y: float) -> list[Trip]:
        """The trips a fix can be on: its route's, or (without a route) those whose lines pass nearby."""
        schedule = self.schedule
        if ping.route_id is not None:
            trips = schedule.trips_by_route.get(ping.route_id, [])
        else:
            trips = [trip for key in schedule.lines_near(x, y) if key for trip in schedule.line_trips[key]]
        if ping.direction_id is not None:
            trips = [trip for trip in trips if trip.direction_id in (None, ping.direction_id)]
        return trips

    def _penalty(self, ping: Ping, instance: Instance, dist: float, t: float, track: Track | None) -> float:
        penalty = 0.0
        if track is not None and track.instance is not None and track.instance.key == instance.key:
            # staying on the same run is likely, unless it means driving backwards
            penalty += -900.0 if dist >= track.progress - 100.0 else 900.0
        if dist >= instance.trip.dist[-1] - STOP_RADIUS_M:
            penalty += 300.0  # at its last stop a run is over: a run starting there is the likelier reading
        holder = self.holders.get(instance.key)
        if holder is not None and holder[0] != ping.vehicle_id and t - holder[1] < HOLD_S:
            penalty += 1200.0
        if ping.bearing_deg is not None and (ping.speed_kmh is None or ping.speed_kmh > 3):
            heading = _heading(instance.trip, dist)
            if heading is not None and _angle(heading, ping.bearing_deg) > 100:
                penalty += 900.0
        return penalty

    # ---- stop events -----------------------------------------------------------------------------------
    def _events(self, ping: Ping, instance: Instance, previous: Track, t: float, dist: float) -> list[StopEvent]:
        start, end = previous.progress, dist
        if end <= start or t <= previous.time:
            return []
        trip = instance.trip
        events = []
        lo = int(_searchsorted(trip.dist, start - STOP_RADIUS_M))
        for k in range(lo, len(trip.dist)):
            d_stop = float(trip.dist[k])
            if d_stop - STOP_RADIUS_M > end:
                break
            arrival = departure = None
            if start < d_stop - STOP_RADIUS_M <= end and k > 0:
                arrival = _cross(previous.time, start, t, end, d_stop - STOP_RADIUS_M)
            if start < d_stop + STOP_RADIUS_M <= end and k < len(trip.dist) - 1:
                departure = _cross(previous.time, start, t, end, d_stop + STOP_RADIUS_M)
            if arrival is None and departure is None:
                continue
            events.append(
                StopEvent(
                    feed_id=self.schedule.feed_id,
                    trip_id=trip.trip_id,
                    start_date=instance.start_date,
                    stop_sequence=int(trip.seqs[k]),
                    stop_id=trip.stop_ids[k],
                    route_id=trip.route_id,
                    direction_id=trip.direction_id,
                    vehicle_id=ping.vehicle_id,
                    scheduled_arrival=_utc(instance.at(float(trip.arr[k]))),
                    scheduled_departure=_utc(instance.at(float(trip.dep[k]))),
                    observed_arrival=None if arrival is None else _utc(arrival),
                    observed_departure=None if departure is None else _utc(departure),
                    start_time=instance.start_time,
                )
            )
        return events

    # ---- the state ---------------------------------------------------------------------------------------
    def _state(
        self, ping: Ping, instance: Instance | None, dist: float, t: float, kind: MatchKind, reason: str | None
    ) -> VehicleState:
        feed_id = self.schedule.feed_id
        if instance is None:
            return VehicleState(
                feed_id=feed_id,
                vehicle_id=ping.vehicle_id,
                time=ping.time,
                source=ping.source,
                lat=ping.lat,
                lon=ping.lon,
                speed_kmh=ping.speed_kmh,
                bearing_deg=ping.bearing_deg,
                route_id=ping.route_id,
                trip_id=ping.trip_id,
                direction_id=ping.direction_id,
                match=MatchKind.NONE,
                reason=reason,
            )
        trip = instance.trip
        k = trip.next_stop(dist, STOP_RADIUS_M)
        return VehicleState(
            feed_id=feed_id,
            vehicle_id=ping.vehicle_id,
            time=ping.time,
            source=ping.source,
            lat=ping.lat,
            lon=ping.lon,
            speed_kmh=ping.speed_kmh,
            bearing_deg=ping.bearing_deg,
            route_id=trip.route_id,
            trip_id=trip.trip_id,
            direction_id=trip.direction_id,
            start_date=instance.start_date,
            start_time=instance.start_time,
            shape_dist_m=round(dist, 1),
            stop_sequence=int(trip.seqs[k]),
            stop_id=trip.stop_ids[k],
            at_stop=abs(float(trip.dist[k]) - dist) <= STOP_RADIUS_M,
            delay_s=round(self._delay(instance, dist, t), 1),
            match=kind,
        )

    @staticmethod
    def _delay(instance: Instance, dist: float, t: float) -> float:
        delay = t - instance.at(instance.trip.time_at(dist))
        if dist <= instance.trip.dist[0] + FIRST_STOP_ZONE_M:
            return max(delay, 0.0)
        return delay

    def forget(self, now: datetime) -> int:
        """Drop the tracks and holds of vehicles silent for :data:`FORGET_S`; returns how many tracks went."""
        cutoff = now.timestamp() - FORGET_S
        stale = [v for v, track in self.tracks.items() if track.time < cutoff]
        for vehicle_id in stale:
            del self.tracks[vehicle_id]
        self.holders = {k: v for k, v in self.holders.items() if v[1] >= cutoff}
        return len(stale)


def _window(trip: Trip) -> tuple[float, float]:
    """When (seconds from its day's origin) a run of ``trip`` can be on the road, with slack for delays."""
    slack_before, slack_after = 20 * 60, MAX_GUESS_DELAY_S
    if not trip.frequencies:
        return trip.first_s - slack_before, trip.last_s + slack_after
    duration = trip.last_s - trip.first_s
    first = min(f.start_s for f in trip.frequencies)
    last = max(f.end_s for f in trip.frequencies)
    return first - slack_before, last + duration + slack_after


def _heading(trip: Trip, dist: float) -> float | None:
    line = trip.line
    i = min(max(int(_searchsorted(line.cum_m, dist, right=True)) - 1, 0), len(line.dx) - 1)
    dx, dy = float(line.dx[i]), float(line.dy[i])
    if dx == 0 and dy == 0:
        return None
    return math.degrees(math.atan2(dx, dy)) % 360


def _angle(a: float, b: float) -> float:
    diff = abs(a - b) % 360
    return min(diff, 360 - diff)


def _searchsorted(values: np.ndarray, value: float, *, right: bool = False) -> int:
    return int(np.searchsorted(values, value, side="right" if right else "left"))


def _cross(t0: float, d0: float, t1: float, d1: float, d: float) -> float:
    """When the vehicle passed ``d``, interpolated between two fixes."""
    return t0 + (t1 - t0) * (d - d0) / (d1 - d0)


@lru_cache(maxsize=64)
def _yyyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(round(seconds, 3), UTC)
