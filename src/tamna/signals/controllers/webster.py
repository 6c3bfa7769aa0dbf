"""``webster``: fixed-time cycles whose length and splits are re-optimised every cycle with Webster's formula
from the flows the stop-line detectors measured.

Webster (1958): cycle ``C = (1.5 L + 5) / (1 - Y)``, with ``L`` the lost time per cycle and ``Y`` the sum over
phases of the critical flow ratio ``y = q / s`` (the busiest lane's flow over its saturation flow); each phase gets
the effective green ``(C - L)`` in proportion to its ``y``. A phase with no lane of its own (a protected turn
from a lane shared with another phase) keeps its planned green: a stop-line loop cannot tell that lane's turning
vehicles from its through ones. Flows are exponentially weighted over ``window_s``.
Until a first window of data has come in, the network's plan runs.

Parameters: ``saturation_vphpl`` (1200 vehicles per hour and lane: the textbook 1800 gave cologne1 a 49.5 s delay
against 36.9 s with 1200; SUMO's urban lanes here discharge well below it), ``window_s`` (900), ``min_cycle_s`` (30),
``max_cycle_s`` (120), ``lost_s`` (per phase; default the intersection's clearance), ``max_y`` (0.9: the
cap on ``Y`` that keeps the formula finite when a junction is saturated).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import ClassVar

from tamna.signals.controller import ControlSettings, RegisteredController
from tamna.signals.model import Decision, Intersection, Observation

_REMAINDER_S = 0.5


class Webster(RegisteredController):
    """Webster-optimised fixed time from measured flows, re-planned at the start of every cycle."""

    name: ClassVar[str] = "webster"
    summary: ClassVar[str] = "fixed-time cycle and splits re-optimised every cycle by Webster's formula"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        super().__init__(intersection, settings)
        self.saturation_vps = settings.param("saturation_vphpl", 1200.0) / 3600.0
        self.window_s = settings.param("window_s", 900.0)
        self.min_cycle_s = settings.param("min_cycle_s", 30.0)
        self.max_cycle_s = settings.param("max_cycle_s", 120.0)
        self.lost_s = settings.param("lost_s", intersection.clearance_s)
        self.max_y = settings.param("max_y", 0.9)
        self.greens = [p.plan_green_s for p in intersection.phases]
        # a lane's loop counts every movement from it: a phase whose lanes are all shared has no demand of its own
        served = Counter(lane for p in intersection.phases for lane in p.lanes)
        self._own_lanes = [tuple(lane for lane in p.lanes if served[lane] == 1) for p in intersection.phases]
        self._lanes = intersection.incoming_lanes
        self._rates: dict[str, float] = dict.fromkeys(self._lanes, 0.0)
        # the weights' running total, to unbias the early estimates (all rates start at 0)
        self._weight = 0.0
        self._observed_s = 0.0
        self._last_s: float | None = None

    def decide(self, observation: Observation) -> Decision:
        self._measure(observation)
        left = self.greens[observation.phase] - observation.green_s
        if left > _REMAINDER_S:
            return Decision(observation.phase, left)
        following = (observation.phase + 1) % len(self.greens)
        if following == 0:
            self.replan()
        return Decision(following, self.greens[following])

    def replan(self) -> None:
        """New greens from the flows measured so far (kept as they are until a window of data is in)."""
        if self._observed_s < min(self.window_s, 300.0):
            return
        phases = self.intersection.phases
        unbias = 1.0 / self._weight if self._weight > 0 else 0.0
        ratios = [
            max((self._rates[lane] for lane in p.lanes), default=0.0) * unbias / self.saturation_vps if own else 0.0
            for p, own in zip(phases, self._own_lanes, strict=True)
        ]
        total = sum(ratios)
        if total <= 0:
            return
        # a phase without lanes of its own (a protected turn from a shared lane) keeps its planned green
        kept = [
            0.0 if lanes else min(max(p.plan_green_s, p.min_green_s), p.max_green_s)
            for lanes, p in zip(self._own_lanes, phases, strict=True)
        ]
        lost = self.lost_s * len(phases)
        cycle = (1.5 * lost + 5.0) / (1.0 - min(total, self.max_y)) + sum(kept)
        cycle = min(max(cycle, self.min_cycle_s, lost + sum(p.min_green_s for p in phases)), self.max_cycle_s)
        effective = max(cycle - lost - sum(kept), 0.0)
        self.greens = [
            held if not lanes else min(max(effective * ratio / total, phase.min_green_s), phase.max_green_s)
            for ratio, phase, lanes, held in zip(ratios, phases, self._own_lanes, kept, strict=True)
        ]

    def _measure(self, observation: Observation) -> None:
        if self._last_s is None:
            self._last_s = observation.time_s
            return
        elapsed = observation.time_s - self._last_s
        self._last_s = observation.time_s
        if elapsed <= 0:
            return
        # exponential weighting: the last window counts most, older traffic fades
        keep = math.exp(-elapsed / self.window_s)
        rates = self._rates
        # the loop counts alone: a whole reading per lane (six figures) at every phase end cost grid4x4 a fifth
        # of SUMO's step time
        for lane, arrived in zip(self._lanes, observation.values("arrivals", self._lanes), strict=True):
            rates[lane] = keep * rates[lane] + (1.0 - keep) * arrived / elapsed
        self._weight = keep * self._weight + (1.0 - keep)
        self._observed_s += elapsed
