"""Operations KPIs from observed stop events, per route and per hour (local time):

- on-time performance: the share of stop events between 1 minute early and 5 minutes late (configurable);
- for frequent routes (scheduled headway of 12 minutes or less), where riders do not read the timetable:
  headway regularity (coefficient of variation of the observed headways) and excess wait time,
  EWT = AWT − SWT with AWT = Σh² / 2Σh over observed headways and SWT the same over scheduled ones
  (the TfL / TCQSM definition).

Runs of frequency-based trips without exact times have no timetable to be on time to: they count for headways
(against their ``headway_secs``), not for on-time performance.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tamna.domain.transit import StopEvent
from tamna.transit.gtfs.spec import parse_time
from tamna.transit.schedule import Schedule, Trip

EARLY_S, LATE_S = 60.0, 300.0
FREQUENT_HEADWAY_S = 12 * 60
#: Observed gaps longer than this are a break in service (a night, a missing log), not a headway.
MAX_HEADWAY_S = 90 * 60


@dataclass
class OnTime:
    """On-time performance of a route (in an hour, or overall when ``hour`` is None)."""

    route_id: str
    hour: int | None
    events: int
    on_time: float | None  # share within [-early, +late]
    early: float | None
    late: float | None
    mean_delay_s: float | None


@dataclass
class Headways:
    """Headway regularity and excess wait of a frequent route (in an hour, or overall)."""

    route_id: str
    hour: int | None
    headways: int
    scheduled_headway_s: float | None
    mean_headway_s: float | None
    cv: float | None
    awt_s: float | None
    swt_s: float | None
    ewt_s: float | None


@dataclass
class TransitKpis:
    """Every KPI of a period."""

    events: int
    on_time: list[OnTime] = field(default_factory=list)
    headways: list[Headways] = field(default_factory=list)
    early_s: float = EARLY_S
    late_s: float = LATE_S


def compute_kpis(
    schedule: Schedule,
    events: Sequence[StopEvent],
    *,
    early_s: float = EARLY_S,
    late_s: float = LATE_S,
    frequent_headway_s: float = FREQUENT_HEADWAY_S,
) -> TransitKpis:
    """KPIs of ``events`` (typically a day or a week of them)."""
    result = TransitKpis(len(events), early_s=early_s, late_s=late_s)
    delays: dict[tuple[str, int | None], list[float]] = defaultdict(list)
    at_stop: dict[tuple[str, int | None, str, str], list[StopEvent]] = defaultdict(list)
    for event in events:
        trip = schedule.trips.get(event.trip_id)
        moment = event.observed_arrival or event.observed_departure
        if moment is None:
            continue
        local_hour = moment.astimezone(schedule.zone).hour
        if trip is not None and not _headway_based(trip) and event.delay_s is not None:
            delays[(event.route_id, local_hour)].append(event.delay_s)
            delays[(event.route_id, None)].append(event.delay_s)
        at_stop[(event.route_id, event.direction_id, event.stop_id, event.start_date)].append(event)
    for (route, hour), values in sorted(delays.items(), key=_order):
        result.on_time.append(_on_time(route, hour, np.array(values), early_s, late_s))
    gaps: dict[tuple[str, int | None], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for (route_id, *_), group in at_stop.items():
        for seen, plan, at_hour in _headways(schedule, group):
            for key in ((route_id, at_hour), (route_id, None)):
                gaps[key][0].append(seen)
                gaps[key][1].append(plan)
    for (route, hour), (actual, planned) in sorted(gaps.items(), key=_order):
        typical = float(np.median(planned)) if planned else None
        if typical is None or typical > frequent_headway_s:
            continue
        result.headways.append(_regularity(route, hour, np.array(actual), np.array(planned)))
    return result


def _order(item: tuple[tuple[str, int | None], object]) -> tuple[str, bool, int]:
    """Per route: the whole period first, then the hours."""
    (route_id, hour), _ = item
    return route_id, hour is not None, hour or 0


def _headway_based(trip: Trip) -> bool:
    return bool(trip.frequencies) and not any(f.exact for f in trip.frequencies)


def _on_time(route_id: str, hour: int | None, delays: np.ndarray, early_s: float, late_s: float) -> OnTime:
    n = len(delays)
    return OnTime(
        route_id=route_id,
        hour=hour,
        events=n,
        on_time=float(np.mean((delays >= -early_s) & (delays <= late_s))),
        early=float(np.mean(delays < -early_s)),
        late=float(np.mean(delays > late_s)),
        mean_delay_s=float(np.mean(delays)),
    )


def _headways(schedule: Schedule, group: list[StopEvent]) -> list[tuple[float, float, int]]:
    """(observed headway, scheduled headway, local hour) of consecutive vehicles at one stop of one route."""
    seen = sorted(
        (moment, event) for event in group if (moment := event.observed_arrival or event.observed_departure) is not None
    )
    out = []
    for (t_a, a), (t_b, b) in itertools.pairwise(seen):
        actual = (t_b - t_a).total_seconds()
        if not 0 < actual <= MAX_HEADWAY_S:
            continue
        trip = schedule.trips.get(b.trip_id)
        planned = _planned_headway(trip, a, b)
        if planned is None:
            continue
        out.append((actual, planned, t_b.astimezone(schedule.zone).hour))
    return out


def _planned_headway(trip: Trip | None, a: StopEvent, b: StopEvent) -> float | None:
    if trip is not None and _headway_based(trip):
        start = parse_time(b.start_time) if b.start_time else None
        for period in trip.frequencies:
            if start is None or period.start_s <= start < period.end_s:
                return float(period.headway_s)
        return float(trip.frequencies[0].headway_s)
    sched_a = a.scheduled_arrival or a.scheduled_departure
    sched_b = b.scheduled_arrival or b.scheduled_departure
    if sched_a is None or sched_b is None:
        return None
    planned = abs((sched_b - sched_a).total_seconds())
    return planned if planned > 0 else None


def _regularity(route_id: str, hour: int | None, actual: np.ndarray, planned: np.ndarray) -> Headways:
    awt = float(np.sum(actual**2) / (2 * np.sum(actual)))
    swt = float(np.sum(planned**2) / (2 * np.sum(planned)))
    mean = float(np.mean(actual))
    return Headways(
        route_id=route_id,
        hour=hour,
        headways=len(actual),
        scheduled_headway_s=float(np.median(planned)),
        mean_headway_s=mean,
        cv=float(np.std(actual) / mean) if mean > 0 else None,
        awt_s=awt,
        swt_s=swt,
        ewt_s=awt - swt,
    )
