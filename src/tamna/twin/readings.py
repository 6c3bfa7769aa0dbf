"""Detector readings at the end of each aggregation period, as observation records for the ingest road.

Values come from libsumo's interval getters, read once per period (reading a few hundred detectors costs about a
millisecond; per-step subscriptions cost that on every step). Two facts of SUMO 1.28 shape the numbers:

* a vehicle standing on a loop when the interval ends is left out of libsumo's interval occupancy until it has
  left, so a queue at a red light would read as an empty loop; it is added back here, from the vehicles on the
  loop (entry time) at the end of the interval, as SUMO's own E1 XML output counts it;
* otherwise the values equal SUMO's E1 XML output, except for a step's worth of occupancy per vehicle that
  crosses an interval boundary and for vehicles that change lanes over the loop (the XML counts their time).

A record is stamped with the start of its interval (as the E1 output's ``begin`` and most loop data are).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tamna.domain.observations import LIMITS, Quality
from tamna.twin.clock import SimClock
from tamna.twin.detectors import Detector, DetectorKind

Record = dict[str, object]
_EPS = 1e-6
#: libsumo's "still on the detector" leave time
_NOT_LEFT = -1.0
_SIMULATED = Quality.SIMULATED.name.lower()


@dataclass(frozen=True)
class Reading:
    """One detector's values for one interval, in SUMO's units."""

    sensor_id: str
    begin_s: float
    vehicles: int
    mean_speed_ms: float | None
    occupancy_pct: float
    period_s: float

    def record(self, clock: SimClock) -> Record:
        """The observation record (``flow_vph`` from the count and the period, ``speed_kmh`` from m/s)."""
        return {
            "sensor_id": self.sensor_id,
            "time": clock.at(self.begin_s).isoformat(),
            "speed_kmh": None if self.mean_speed_ms is None else round(self.mean_speed_ms * 3.6, 3),
            "flow_vph": round(self.vehicles * 3600.0 / self.period_s, 3),
            "occupancy_pct": round(min(max(self.occupancy_pct, 0.0), LIMITS["occupancy_pct"][1]), 3),
            "quality": _SIMULATED,
        }


class DetectorReader:
    """Reads every detector whose period ends at the current step."""

    def __init__(self, detectors: Sequence[Detector], begin_s: float, step_s: float) -> None:
        self.begin_s = begin_s
        self.step_s = step_s
        self.by_period: dict[float, list[Detector]] = {}
        for detector in detectors:
            if detector.period_s:
                self.by_period.setdefault(detector.period_s, []).append(detector)

    def due(self, now_s: float) -> list[float]:
        """The periods that end at ``now_s`` (periods count from the scenario's begin, as SUMO's do)."""
        elapsed = now_s - self.begin_s
        return [p for p in self.by_period if elapsed > _EPS and _multiple(elapsed, p)]

    def read(self, sumo: ModuleType, now_s: float) -> list[Reading]:
        """The last completed interval of every detector due at ``now_s``."""
        return [
            _read_one(sumo, detector, now_s - period, now_s, period)
            for period in self.due(now_s)
            for detector in self.by_period[period]
        ]


def _read_one(sumo: ModuleType, detector: Detector, begin: float, end: float, period: float) -> Reading:
    domain: Any = sumo.inductionloop if detector.kind is DetectorKind.E1 else sumo.lanearea
    name = detector.sumo_id
    vehicles = int(domain.getLastIntervalVehicleNumber(name))
    speed = float(domain.getLastIntervalMeanSpeed(name))
    occupancy = float(domain.getLastIntervalOccupancy(name))
    if detector.kind is DetectorKind.E1:
        standing = sum(
            end - max(begin, entry)
            for _vid, _length, entry, leave, _type in sumo.inductionloop.getVehicleData(name)
            if leave == _NOT_LEFT
        )
        occupancy += standing / period * 100.0
    return Reading(detector.sensor_id, begin, vehicles, speed if speed >= 0 else None, occupancy, period)


def _multiple(value: float, period: float) -> bool:
    ratio = value / period
    return math.isclose(ratio, round(ratio), abs_tol=1e-6)
