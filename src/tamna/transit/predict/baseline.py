"""The baseline: the timetable shifted by the vehicle's current delay."""

from __future__ import annotations

from tamna.domain.transit import VehicleState
from tamna.transit.predict.base import Prediction, instance_of, monotone, next_index
from tamna.transit.schedule import Schedule


class ScheduleDelayPredictor:
    """Every stop ahead is reached as late (or early) as the vehicle is now."""

    name = "schedule+delay"

    def predict(self, schedule: Schedule, state: VehicleState, now: float) -> Prediction | None:
        """Scheduled times plus ``state.delay_s``."""
        instance = instance_of(schedule, state)
        if instance is None:
            return None
        first = next_index(instance, state)
        trip = instance.trip
        delay = state.delay_s or 0.0
        base = instance.origin + instance.shift_s + delay
        arrivals, departures = monotone(trip.arr[first:] + base, trip.dep[first:] + base, now)
        return Prediction(instance, first, arrivals, departures)
