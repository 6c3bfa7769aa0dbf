"""``gap-pressure``: actuated extension with a max-pressure choice of what comes next. The green is held while its
stop-line loops keep seeing vehicles pass closer together than the gap (as ``actuated`` does); when the gap
opens, the phase of highest pressure among the others takes over, as ``max-pressure`` would choose it, instead of
the next one in program order. With no pressure anywhere else, the green rests where it is.

The spill-back and starvation guard (:mod:`tamna.signals.controllers.guard`) is on: a movement into a full lane
counts no pressure, a green whose movements all lead into full lanes is not extended, and a phase with vehicles
waiting longer than ``max_wait_s`` is served at the next gap-out. Without it cologne3 gridlocked on two seeds of
four (671 s of delay against 19 s); with it seeds 2–4 ran 19.3–20.2 s (docs/benchmarks.md).

Parameters: ``gap_s`` (2.0: chosen among 2, 3 and 4 s on seed 1 of the five RESCO scenarios, where 2 s was best
on all five), ``extension_s`` (1.0), ``count_moving`` / ``switch_margin`` as for ``max-pressure`` (counting
moving vehicles was worse on four of the five), ``spill_occupancy_pct`` (50) and ``max_wait_s`` (240: among
120, 180, 240 and 300 s on seed 1, with seed 7 as a check for jams; 120 cost 3 s of delay, 180 still jammed).
"""

from __future__ import annotations

from typing import ClassVar

from tamna.signals.controller import ControlSettings, RegisteredController
from tamna.signals.controllers.guard import Guard
from tamna.signals.controllers.max_pressure import MaxPressure
from tamna.signals.model import Decision, Intersection, Observation

SPILL_PCT = 50.0
MAX_WAIT_S = 240.0


class GapPressure(RegisteredController):
    """Gap-out extension, then the highest-pressure phase, guarded against spill-back and starvation."""

    name: ClassVar[str] = "gap-pressure"
    summary: ClassVar[str] = "extends a green while vehicles keep passing, then switches to the highest pressure"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        super().__init__(intersection, settings)
        self.gap_s = settings.param("gap_s", 2.0)
        self.extension_s = settings.param("extension_s", 1.0)
        self.switch_margin = settings.param("switch_margin", 0.0)
        self.guard = Guard(intersection, settings, spill_pct=SPILL_PCT, max_wait_s=MAX_WAIT_S)
        self._pressure = MaxPressure(intersection, settings)

    def decide(self, observation: Observation) -> Decision:
        phases = self.intersection.phases
        current = phases[observation.phase]
        starving = self.guard.starving(observation)
        if observation.green_s < current.min_green_s:
            return Decision(current.index, current.min_green_s - observation.green_s)
        if any(gap < self.gap_s for gap in observation.values("gap_s", current.lanes)) and not self.guard.all_blocked(
            observation, current.index
        ):
            return Decision(current.index, self.extension_s)
        if starving is not None and starving != current.index:
            return Decision(starving, phases[starving].min_green_s)
        pressures = self._pressure.pressures(observation, self.guard if self.guard.spill_pct > 0 else None)
        others = [p.index for p in phases if p.index != current.index]
        best = max(others, key=lambda p: pressures[p])
        if pressures[best] <= max(pressures[current.index], 0.0) + self.switch_margin:
            return Decision(current.index, self.extension_s)
        return Decision(best, phases[best].min_green_s)
