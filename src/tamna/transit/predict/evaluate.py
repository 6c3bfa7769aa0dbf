"""Evaluation of arrival predictors on history, the way a rider meets them: from every stop a vehicle leaves,
predict its arrival at each later stop, and compare with when it really came. Errors are grouped by horizon
(how far ahead the arrival was): 0–5, 5–10, 10–20 and 20–30 minutes.

The history is split by service day: the earlier days train the learned model, the later days test both models
(no test day is ever seen in training).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tamna.domain.transit import MatchKind, StopEvent, VehicleState
from tamna.transit.errors import TransitError
from tamna.transit.matching import STOP_RADIUS_M
from tamna.transit.predict.base import Predictor
from tamna.transit.predict.baseline import ScheduleDelayPredictor
from tamna.transit.predict.learned import SegmentModel
from tamna.transit.schedule import Schedule

#: Horizon buckets in minutes: [low, high).
BUCKETS = ((0, 5), (5, 10), (10, 20), (20, 30))


@dataclass
class Score:
    """Mean absolute error of one predictor in one horizon bucket."""

    bucket: str
    count: int
    mae_s: float | None


@dataclass
class Evaluation:
    """Scores of each predictor, with what they were trained and tested on."""

    train_days: list[str]
    test_days: list[str]
    train_events: int
    test_events: int
    origins: int
    scores: dict[str, list[Score]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "train_days": self.train_days,
            "test_days": self.test_days,
            "train_events": self.train_events,
            "test_events": self.test_events,
            "origins": self.origins,
            "mae_s": {
                name: {s.bucket: {"count": s.count, "mae_s": s.mae_s} for s in scores}
                for name, scores in self.scores.items()
            },
        }

    def render(self) -> str:
        """A table for a person."""
        names = list(self.scores)
        lines = [
            f"trained on {len(self.train_days)} service days ({self.train_events} stop events), tested on "
            f"{len(self.test_days)} ({self.test_events} events, {self.origins} prediction origins)",
            f"{'horizon':<10}" + "".join(f"{name:>28}" for name in names) + f"{'predictions':>13}",
        ]
        for k, (low, high) in enumerate(BUCKETS):
            cells = []
            for name in names:
                score = self.scores[name][k]
                cells.append(f"{'–' if score.mae_s is None else f'{score.mae_s:.0f} s':>28}")
            count = self.scores[names[0]][k].count if names else 0
            lines.append(f"{f'{low}–{high} min':<10}" + "".join(cells) + f"{count:>13}")
        return "\n".join(lines)


def split_days(events: list[StopEvent], train_fraction: float) -> tuple[list[str], list[str]]:
    """Service days in order, cut into training and test days."""
    days = sorted({e.start_date for e in events})
    if len(days) < 2:
        raise TransitError(
            f"the history covers {len(days)} service day(s); evaluation needs at least two (train, then test)"
        )
    cut = min(max(1, round(len(days) * train_fraction)), len(days) - 1)
    return days[:cut], days[cut:]


def evaluate(schedule: Schedule, events: list[StopEvent], *, train_fraction: float = 0.7) -> Evaluation:
    """Train on the earlier days, test the baseline and the learned model on the later ones."""
    train_days, test_days = split_days(events, train_fraction)
    training = set(train_days)
    train = [e for e in events if e.start_date in training]
    test = [e for e in events if e.start_date not in training]
    predictors: list[Predictor] = [ScheduleDelayPredictor(), SegmentModel.fit(schedule, train)]
    errors: dict[str, list[list[float]]] = {p.name: [[] for _ in BUCKETS] for p in predictors}
    origins = 0
    for state, observed in _origins(schedule, test):
        origins += 1
        now = state.time.timestamp()
        for predictor in predictors:
            prediction = predictor.predict(schedule, state, now)
            if prediction is None:
                continue
            for k, actual in observed.items():
                index = k - prediction.first
                if not 0 <= index < len(prediction.arrivals):
                    continue
                horizon_min = (actual - now) / 60
                bucket = _bucket(horizon_min)
                if bucket is not None:
                    errors[predictor.name][bucket].append(abs(float(prediction.arrivals[index]) - actual))
    result = Evaluation(train_days, test_days, len(train), len(test), origins)
    for name, buckets in errors.items():
        result.scores[name] = [
            Score(f"{low}-{high}", len(values), float(np.mean(values)) if values else None)
            for (low, high), values in zip(BUCKETS, buckets, strict=True)
        ]
    return result


def _bucket(minutes: float) -> int | None:
    for k, (low, high) in enumerate(BUCKETS):
        if low <= minutes < high or (k == len(BUCKETS) - 1 and math.isclose(minutes, high)):
            return k
    return None


def _origins(schedule: Schedule, events: list[StopEvent]) -> list[tuple[VehicleState, dict[int, float]]]:
    """For each trip instance and each stop it was seen leaving (or reaching), the vehicle's state there and the
    observed arrivals at the later stops (by stop index)."""
    by_instance: dict[tuple[str, str], list[StopEvent]] = defaultdict(list)
    for event in events:
        by_instance[(event.trip_id, event.start_date)].append(event)
    out = []
    for (trip_id, day), stops in by_instance.items():
        trip = schedule.trips.get(trip_id)
        if trip is None:
            continue
        index = {int(s): k for k, s in enumerate(trip.seqs)}
        seen = {index[e.stop_sequence]: e for e in stops if e.stop_sequence in index}
        arrivals = {}
        for k, e in seen.items():
            moment = e.observed_arrival or e.observed_departure
            if moment is not None:
                arrivals[k] = moment.timestamp()
        for k, event in sorted(seen.items()):
            later = {j: t for j, t in arrivals.items() if j > k}
            if not later:
                continue
            if event.observed_departure is not None and event.scheduled_departure is not None:
                when, planned, dist = (
                    event.observed_departure,
                    event.scheduled_departure,
                    trip.dist[k] + STOP_RADIUS_M + 1,
                )
            elif event.observed_arrival is not None and event.scheduled_arrival is not None:
                when, planned, dist = event.observed_arrival, event.scheduled_arrival, trip.dist[k]
            else:
                continue
            state = VehicleState(
                feed_id=schedule.feed_id,
                vehicle_id=event.vehicle_id or "history",
                time=when,
                source="history",
                route_id=trip.route_id,
                trip_id=trip_id,
                direction_id=trip.direction_id,
                start_date=day,
                start_time=event.start_time,
                shape_dist_m=float(dist),
                delay_s=(when - planned).total_seconds(),
                match=MatchKind.TRIP_ID,
            )
            out.append((state, later))
    return out
