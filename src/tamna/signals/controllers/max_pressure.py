"""``max-pressure``: every decision step, the phase whose movements have the most pressure (Varaiya 2013):
the queue on each green movement's incoming lane less the queue on its outgoing lane, summed over the phase.

Parameters (``ControlSettings.params``):

- ``count_moving`` (0): 1 counts every vehicle on the lanes rather than the standing ones only.
- ``switch_margin`` (0): another phase must beat the current one's pressure by more than this to take over,
  which saves a clearance when two phases are nearly even.
"""

from __future__ import annotations

from typing import ClassVar

from tamna.signals.controller import ControlSettings, RegisteredController
from tamna.signals.model import Decision, Intersection, LaneReading, Observation


class MaxPressure(RegisteredController):
    """Chooses the phase of highest pressure at every decision step."""

    name: ClassVar[str] = "max-pressure"
    summary: ClassVar[str] = "the phase with the largest upstream-minus-downstream queue, every decision step"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        super().__init__(intersection, settings)
        self.step_s = settings.decision_step_s
        self.count_moving = settings.param("count_moving", 0.0) > 0
        self.switch_margin = settings.param("switch_margin", 0.0)
        # (incoming lane, outgoing lane) of each phase's road movements, computed once
        self._pairs = [
            tuple((m.in_lane, m.out_lane) for m in intersection.movements_of(p.index)) for p in intersection.phases
        ]

    def pressures(self, observation: Observation) -> list[float]:
        """Each phase's pressure."""
        measure = self._measure
        return [
            float(sum(measure(observation.lane(a)) - measure(observation.lane(b)) for a, b in pairs))
            for pairs in self._pairs
        ]

    def decide(self, observation: Observation) -> Decision:
        pressures = self.pressures(observation)
        current = observation.phase
        best = max(range(len(pressures)), key=lambda p: (pressures[p], p == current))
        if best == current or pressures[best] <= pressures[current] + self.switch_margin:
            return Decision(current, self.step_s)
        # as in RESCO, the clearance is part of the decision step: the next decision comes one step later
        return Decision(best, self.step_s - self.intersection.clearance_s)

    def _measure(self, reading: LaneReading) -> int:
        return reading.vehicles if self.count_moving else reading.queue
