"""``max-pressure``: every decision step, the phase whose movements have the most pressure (Varaiya 2013):
the queue on each green movement's incoming lane less the queue on its outgoing lane, summed over the phase.

Parameters (``ControlSettings.params``):

- ``count_moving`` (0): 1 counts every vehicle on the lanes rather than the standing ones only.
- ``switch_margin`` (0): another phase must beat the current one's pressure by more than this to take over,
  which saves a clearance when two phases are nearly even.
- ``spill_occupancy_pct`` (0: off) and ``max_wait_s`` (0: off): the spill-back and starvation guard
  (:mod:`tamna.signals.controllers.guard`). Off here so that ``max-pressure`` stays Varaiya's (and RESCO's)
  baseline; ``gap-pressure`` turns it on.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tamna.signals.controller import ControlSettings, RegisteredController
from tamna.signals.controllers.guard import Guard
from tamna.signals.model import Decision, Intersection, Observation


class MaxPressure(RegisteredController):
    """Chooses the phase of highest pressure at every decision step."""

    name: ClassVar[str] = "max-pressure"
    summary: ClassVar[str] = "the phase with the largest upstream-minus-downstream queue, every decision step"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        super().__init__(intersection, settings)
        self.step_s = settings.decision_step_s
        self.count_moving = settings.param("count_moving", 0.0) > 0
        self.switch_margin = settings.param("switch_margin", 0.0)
        self.guard = Guard(intersection, settings, spill_pct=0.0, max_wait_s=0.0)
        # (incoming lane, outgoing lane) of each phase's road movements, computed once
        self._pairs = [
            tuple((m.in_lane, m.out_lane) for m in intersection.movements_of(p.index)) for p in intersection.phases
        ]
        self._out_lanes = tuple(dict.fromkeys(b for pairs in self._pairs for _a, b in pairs))
        self._lanes = tuple(dict.fromkeys([*(a for pairs in self._pairs for a, _b in pairs), *self._out_lanes]))
        # every phase's movements as arrays, for one numpy pass per decision: each movement's phase, and its
        # incoming and outgoing lane as positions in ``_lanes`` (outgoing also in ``_out_lanes``)
        position = {name: k for k, name in enumerate(self._lanes)}
        out_position = {name: k for k, name in enumerate(self._out_lanes)}
        flat = [(p, a, b) for p, pairs in enumerate(self._pairs) for a, b in pairs]
        self._phase_of = np.array([p for p, _a, _b in flat], dtype=np.intp)
        self._in_at = np.array([position[a] for _p, a, _b in flat], dtype=np.intp)
        self._out_at = np.array([position[b] for _p, _a, b in flat], dtype=np.intp)
        self._out_of = np.array([out_position[b] for _p, _a, b in flat], dtype=np.intp)
        self._figure = "vehicles" if self.count_moving else "queue"

    def pressures(self, observation: Observation, guard: Guard | None = None) -> list[float]:
        """Each phase's pressure; with a ``guard``, movements into a full lane count none."""
        # each lane read once, whatever number of movements and phases it serves, all in one go
        level = np.asarray(observation.values(self._figure, self._lanes))
        moved = level[self._in_at] - level[self._out_at]
        if guard is not None and guard.spill_pct > 0:
            full = np.asarray(guard.blocked_lanes(observation, self._out_lanes), dtype=bool)
            moved[full[self._out_of]] = 0
        # summed movement by movement in the same order as a plain sum over each phase's movements
        pressures: list[float] = np.bincount(self._phase_of, moved, minlength=len(self._pairs)).tolist()
        return pressures

    def decide(self, observation: Observation) -> Decision:
        current = observation.phase
        starving = self.guard.starving(observation)
        if starving is not None and starving != current:
            return Decision(starving, self.step_s - self.intersection.clearance_s)
        pressures = self.pressures(observation, self.guard if self.guard.spill_pct > 0 else None)
        best = max(range(len(pressures)), key=lambda p: (pressures[p], p == current))
        if best == current or pressures[best] <= pressures[current] + self.switch_margin:
            return Decision(current, self.step_s)
        # as in RESCO, the clearance is part of the decision step: the next decision comes one step later
        return Decision(best, self.step_s - self.intersection.clearance_s)
