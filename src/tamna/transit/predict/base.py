"""What a predictor gives: predicted arrival and departure times at the stops still ahead of a vehicle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tamna.domain.transit import VehicleState
from tamna.transit.gtfs.spec import parse_date, parse_time
from tamna.transit.matching import STOP_RADIUS_M, Instance
from tamna.transit.schedule import Schedule


@dataclass(frozen=True, slots=True)
class Prediction:
    """Unix times at the stops ``first..`` of the trip (arrays aligned with ``trip.stop_ids[first:]``)."""

    instance: Instance
    first: int
    arrivals: np.ndarray
    departures: np.ndarray

    def scheduled_arrivals(self) -> np.ndarray:
        """The timetable's arrivals at the same stops."""
        trip = self.instance.trip
        result: np.ndarray = self.instance.origin + self.instance.shift_s + trip.arr[self.first :]
        return result


class Predictor(Protocol):
    """Predicts arrivals for one vehicle state."""

    name: str

    def predict(self, schedule: Schedule, state: VehicleState, now: float) -> Prediction | None:
        """None when the state is not on a known trip instance."""
        ...


def instance_of(schedule: Schedule, state: VehicleState) -> Instance | None:
    """The trip instance a matched state is on."""
    if not state.matched or state.trip_id is None or state.start_date is None:
        return None
    trip = schedule.trips.get(state.trip_id)
    day = parse_date(state.start_date)
    if trip is None or day is None:
        return None
    shift = 0.0
    if state.start_time:
        start = parse_time(state.start_time)
        if start is not None:
            shift = start - trip.first_s
    return Instance(trip, day, schedule.origin(day), shift)


def next_index(instance: Instance, state: VehicleState) -> int:
    """The first stop still to be served: the one the vehicle is at, or heading to."""
    dist = state.shape_dist_m or 0.0
    return instance.trip.next_stop(dist, STOP_RADIUS_M)


def monotone(arrivals: np.ndarray, departures: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrival ≤ departure ≤ next arrival, none before ``floor`` (predictions must not go back in time)."""
    both = np.empty(2 * len(arrivals))
    both[0::2], both[1::2] = arrivals, np.maximum(departures, arrivals)
    both = np.maximum.accumulate(np.maximum(both, floor))
    return both[0::2], both[1::2]
