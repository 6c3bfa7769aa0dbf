"""A model learned from history: the running time of each segment (stop to next stop) and the dwell at each stop,
by day type and hour of day, as medians (what minimises the absolute error a rider feels).

Where history is thin the model falls back, level by level: (segment, day type, hour) → (segment, day type) →
(segment) → the timetable's time for the segment, scaled by how the observed network compares with it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from tamna.domain.transit import StopEvent, VehicleState
from tamna.transit.predict.base import Prediction, instance_of, monotone, next_index
from tamna.transit.schedule import Schedule, Trip

#: Fewest observations a level needs before its median is trusted.
MIN_SAMPLES = 3
#: Running times outside this range (seconds) are GPS or matching glitches, not traffic.
RUN_RANGE_S = (1.0, 3 * 3600.0)
DWELL_RANGE_S = (0.0, 30 * 60.0)


def day_type(day: date) -> str:
    """``weekday``, ``saturday`` or ``sunday`` (holidays are counted by their weekday)."""
    return {5: "saturday", 6: "sunday"}.get(day.weekday(), "weekday")


@dataclass
class SegmentModel:
    """Medians of running times and dwells. Build it with :meth:`fit`."""

    zone: ZoneInfo
    run: dict[tuple[object, ...], float] = field(default_factory=dict)
    dwell: dict[tuple[object, ...], float] = field(default_factory=dict)
    ratio: float = 1.0  # observed / scheduled running time, over the whole history
    samples: int = 0
    _cache: dict[tuple[str, str, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    name = "segments+dwell (learned)"

    @classmethod
    def fit(cls, schedule: Schedule, events: list[StopEvent]) -> SegmentModel:
        """Learn from observed stop events of ``schedule``'s trips."""
        samples = _Samples()
        by_instance: dict[tuple[str, str], list[StopEvent]] = defaultdict(list)
        for event in events:
            by_instance[(event.trip_id, event.start_date)].append(event)
        for (trip_id, _), stops in by_instance.items():
            trip = schedule.trips.get(trip_id)
            if trip is not None:
                stops.sort(key=lambda e: e.stop_sequence)
                samples.add_trip(trip, stops, schedule.zone)
        model = cls(schedule.zone)
        model.run = {k: float(np.median(v)) for k, v in samples.runs.items() if len(v) >= MIN_SAMPLES}
        model.dwell = {k: float(np.median(v)) for k, v in samples.dwells.items() if len(v) >= MIN_SAMPLES}
        model.ratio = float(np.median(samples.ratios)) if len(samples.ratios) >= MIN_SAMPLES else 1.0
        model.samples = samples.count
        return model

    def segment_times(self, trip: Trip, kind: str, hour: int) -> tuple[np.ndarray, np.ndarray]:
        """Running time from each stop to the next (len n-1) and dwell at each stop (len n) of ``trip``."""
        key = (trip.trip_id, kind, hour)
        found = self._cache.get(key)
        if found is not None:
            return found
        runs = np.empty(len(trip.stop_ids) - 1)
        for k, (a, b) in enumerate(itertools.pairwise(trip.stop_ids)):
            value = _lookup(self.run, (a, b), kind, hour)
            runs[k] = value if value is not None else max(trip.arr[k + 1] - trip.dep[k], 0.0) * self.ratio
        dwells = np.array(
            [
                value if (value := _lookup(self.dwell, stop_id, kind, hour)) is not None else trip.dep[k] - trip.arr[k]
                for k, stop_id in enumerate(trip.stop_ids)
            ]
        )
        self._cache[key] = (runs, dwells)
        return runs, dwells

    def predict(self, schedule: Schedule, state: VehicleState, now: float) -> Prediction | None:
        """From where the vehicle is: the rest of its segment, then learned segments and dwells."""
        instance = instance_of(schedule, state)
        if instance is None:
            return None
        trip = instance.trip
        first = next_index(instance, state)
        hour, kind = _when(datetime.fromtimestamp(now, schedule.zone), schedule.zone)
        runs, dwells = self.segment_times(trip, kind, hour)
        dist = state.shape_dist_m or 0.0
        start = state.time.timestamp()
        if first == 0 or dist <= trip.dist[first] - 25.0:
            # between stops first-1 and first: the part of the segment still to drive
            if first == 0:
                remaining = 0.0
            else:
                span = float(trip.dist[first] - trip.dist[first - 1])
                left = float(trip.dist[first]) - dist
                remaining = runs[first - 1] * min(max(left / span, 0.0), 1.0) if span > 0 else 0.0
            arrive_first = start + remaining
        else:
            arrive_first = start  # at the stop now
        legs = np.concatenate([[0.0], runs[first:] + dwells[first:-1]]) if first < len(runs) else np.zeros(1)
        arrivals = arrive_first + np.cumsum(legs)
        departures = arrivals + dwells[first:]
        if trip.frequencies:
            departures = np.maximum(departures, arrivals)
        else:
            # a vehicle running early waits for its timed departure at the first stop
            scheduled_first = instance.at(float(trip.dep[first]))
            if first == 0 and departures[0] < scheduled_first:
                shift = scheduled_first - departures[0]
                arrivals[1:] += shift
                departures += shift
        arrivals, departures = monotone(arrivals, departures, now)
        return Prediction(instance, first, arrivals, departures)


@dataclass
class _Samples:
    """Observed running times and dwells, at every level of the fallback."""

    runs: dict[tuple[object, ...], list[float]] = field(default_factory=lambda: defaultdict(list))
    dwells: dict[tuple[object, ...], list[float]] = field(default_factory=lambda: defaultdict(list))
    ratios: list[float] = field(default_factory=list)
    count: int = 0

    def add_trip(self, trip: Trip, stops: list[StopEvent], zone: ZoneInfo) -> None:
        """The samples of one trip run (its events in stop order)."""
        index = {int(seq): k for k, seq in enumerate(trip.seqs)}
        for event in stops:
            if event.observed_arrival and event.observed_departure:
                wait = (event.observed_departure - event.observed_arrival).total_seconds()
                if DWELL_RANGE_S[0] <= wait <= DWELL_RANGE_S[1]:
                    hour, kind = _when(event.observed_arrival, zone)
                    for key in _levels(event.stop_id, kind, hour):
                        self.dwells[key].append(wait)
        for a, b in itertools.pairwise(stops):
            left = a.observed_departure or a.observed_arrival
            came = b.observed_arrival or b.observed_departure
            if left is None or came is None or b.stop_sequence <= a.stop_sequence:
                continue
            seconds = (came - left).total_seconds()
            if not RUN_RANGE_S[0] <= seconds <= RUN_RANGE_S[1]:
                continue
            hour, kind = _when(left, zone)
            for key in _levels((a.stop_id, b.stop_id), kind, hour):
                self.runs[key].append(seconds)
            planned = _planned(trip, index, a.stop_sequence, b.stop_sequence)
            if planned is not None and planned > 0:
                self.ratios.append(seconds / planned)
            self.count += 1


def _when(moment: datetime, zone: ZoneInfo) -> tuple[int, str]:
    local = moment.astimezone(zone)
    return local.hour, day_type(local.date())


def _levels(segment: object, kind: str, hour: int) -> list[tuple[object, ...]]:
    return [(segment, kind, hour), (segment, kind), (segment,)]


def _lookup(table: dict[tuple[object, ...], float], segment: object, kind: str, hour: int) -> float | None:
    for key in _levels(segment, kind, hour):
        value = table.get(key)
        if value is not None:
            return value
    return None


def _planned(trip: Trip, index: dict[int, int], seq_a: int, seq_b: int) -> float | None:
    a, b = index.get(seq_a), index.get(seq_b)
    if a is None or b is None:
        return None
    return float(trip.arr[b] - trip.dep[a])
