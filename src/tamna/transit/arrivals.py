"""The next arrivals at a stop: predicted for runs with a vehicle (or a trip update), scheduled for the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tamna.domain.transit import VehicleState
from tamna.transit.errors import NoFeedError
from tamna.transit.feeds import latest_per_trip
from tamna.transit.predict.base import Predictor
from tamna.transit.schedule import Schedule, Stop, Trip

#: Arrivals this far ahead are listed.
HORIZON_S = 90 * 60
#: Arrivals this recent still show ("arriving") for a street display.
PAST_S = 60


@dataclass(frozen=True, slots=True)
class Arrival:
    """One run's arrival at the stop."""

    route_id: str
    route: str  # what a sign shows
    color: str | None
    text_color: str | None
    headsign: str | None
    trip_id: str
    start_date: str
    start_time: str | None
    stop_id: str
    stop_sequence: int
    scheduled: datetime
    predicted: datetime
    realtime: bool
    vehicle_id: str | None
    delay_s: float | None


def stop_arrivals(
    schedule: Schedule,
    stop_id: str,
    states: Sequence[VehicleState],
    predictor: Predictor,
    now: datetime,
    *,
    horizon_s: float = HORIZON_S,
    limit: int = 20,
) -> tuple[Stop, list[Arrival]]:
    """The stop and its next arrivals, soonest first. A station lists the arrivals at its platforms."""
    stop = schedule.stops.get(stop_id)
    if stop is None:
        raise NoFeedError(f"stop {stop_id!r} is not in feed {schedule.feed_id!r}")
    served = {stop_id, *schedule.children.get(stop_id, ())}
    t = now.timestamp()
    low, high = t - PAST_S, t + horizon_s
    visits = [(trip, k) for sid in served for trip, k in schedule.visits.get(sid, ())]
    calls = {trip.trip_id for trip, _ in visits}
    found: list[Arrival] = []
    live: dict[tuple[str, str], list[float]] = {}
    for state in latest_per_trip(s for s in states if s.trip_id in calls):
        prediction = predictor.predict(schedule, state, t)
        if prediction is None:
            continue
        trip, instance = prediction.instance.trip, prediction.instance
        live.setdefault((trip.trip_id, instance.day.isoformat()), []).append(instance.shift_s)
        for k in range(prediction.first, len(trip.stop_ids) - 1):
            if trip.stop_ids[k] in served:
                when = float(prediction.arrivals[k - prediction.first])
                if low <= when <= high:
                    run_day = instance.day.strftime("%Y%m%d")
                    planned = instance.at(float(trip.arr[k]))
                    found.append(_arrival(schedule, trip, k, run_day, instance.start_time, planned, when, state))
    for day in schedule.service_days(t):
        running = schedule.calendar.active(day)
        origin = schedule.origin(day)
        for trip, k in visits:
            if trip.service_id not in running or k == len(trip.stop_ids) - 1:
                continue
            shifts = live.get((trip.trip_id, day.isoformat()), [])
            for shift in _runs(trip, k, origin, low, high):
                if any(abs(shift - taken) < _half_headway(trip) for taken in shifts):
                    continue
                when = origin + shift + float(trip.arr[k])
                start_time = None if not trip.frequencies else _clock(trip.first_s + shift)
                found.append(_arrival(schedule, trip, k, day.strftime("%Y%m%d"), start_time, when, when, None))
    found.sort(key=lambda a: (a.predicted, a.route))
    return stop, found[:limit]


def _runs(trip: Trip, k: int, origin: float, low: float, high: float) -> list[float]:
    """Shifts of the runs of ``trip`` that reach stop ``k`` in [low, high] (one, 0.0, for a scheduled trip)."""
    at_stop = float(trip.arr[k])
    if not trip.frequencies:
        return [0.0] if low <= origin + at_stop <= high else []
    shifts = []
    for period in trip.frequencies:
        start = period.start_s
        while start < period.end_s:
            when = origin + start - trip.first_s + at_stop
            if when > high:
                break
            if when >= low:
                shifts.append(start - trip.first_s)
            start += period.headway_s
    return shifts


def _half_headway(trip: Trip) -> float:
    return min((f.headway_s for f in trip.frequencies), default=120) / 2


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _arrival(
    schedule: Schedule,
    trip: Trip,
    k: int,
    start_date: str,
    start_time: str | None,
    scheduled: float,
    predicted: float,
    state: VehicleState | None,
) -> Arrival:
    route = schedule.routes.get(trip.route_id)
    return Arrival(
        route_id=trip.route_id,
        route=route.label if route else trip.route_id,
        color=route.color if route else None,
        text_color=route.text_color if route else None,
        headsign=trip.headsign,
        trip_id=trip.trip_id,
        start_date=start_date,
        start_time=start_time,
        stop_id=trip.stop_ids[k],
        stop_sequence=int(trip.seqs[k]),
        scheduled=datetime.fromtimestamp(round(scheduled), UTC),
        predicted=datetime.fromtimestamp(round(predicted), UTC),
        realtime=state is not None,
        vehicle_id=None if state is None or state.vehicle_id.startswith("tu:") else state.vehicle_id,
        delay_s=None if state is None else round(predicted - scheduled),
    )
