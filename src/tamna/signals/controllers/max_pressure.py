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

from collections.abc import Sequence
from typing import ClassVar

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
        # every phase's movements as positions, for one pass per decision: (phase, incoming lane and outgoing
        # lane in ``_lanes``, outgoing lane in ``_out_lanes``). Plain lists: an intersection has a few dozen
        # movements, where numpy's per-call overhead costs more than the sums
        position = {name: k for k, name in enumerate(self._lanes)}
        out_position = {name: k for k, name in enumerate(self._out_lanes)}
        self._flat = [
            (p, position[a], position[b], out_position[b]) for p, pairs in enumerate(self._pairs) for a, b in pairs
        ]
        self._figure = "vehicles" if self.count_moving else "queue"
        # for :meth:`loads`: every incoming lane, and each phase's movements' incoming lanes as positions
        self._in_lanes = tuple(dict.fromkeys(a for pairs in self._pairs for a, _b in pairs))
        in_position = {name: k for k, name in enumerate(self._in_lanes)}
        self._in_of_phase = [[in_position[a] for a, _b in pairs] for pairs in self._pairs]
        # for :meth:`others_lanes`: per phase, the incoming lanes of every other phase's movements
        self._others = [
            tuple(dict.fromkeys(a for q, pairs in enumerate(self._pairs) if q != p for a, _b in pairs))
            for p in range(len(self._pairs))
        ]

    def pressures(self, observation: Observation, guard: Guard | None = None) -> list[float]:
        """Each phase's pressure; with a ``guard``, movements into a full lane count none."""
        # each lane read once, whatever number of movements and phases it serves, all in one go
        level = observation.values(self._figure, self._lanes)
        pressures = [0.0] * len(self._pairs)
        if guard is not None and guard.spill_pct > 0:
            # a movement whose two lanes hold as many vehicles adds nothing, full or not: only the outgoing lanes
            # of the others are asked their occupancy (most, when a few queues stand, as a resting green asks)
            moving = [row for row in self._flat if level[row[1]] != level[row[2]]]
            if moving:
                outs = list(dict.fromkeys(row[3] for row in moving))
                out_lanes = self._out_lanes
                blocked = guard.blocked_lanes(observation, [out_lanes[k] for k in outs])
                full = dict(zip(outs, blocked, strict=True))
                for phase, a, b, out in moving:
                    if not full[out]:
                        pressures[phase] += level[a] - level[b]
        else:
            for phase, a, b, _out in self._flat:
                pressures[phase] += level[a] - level[b]
        return pressures

    @property
    def incoming_lanes(self) -> tuple[str, ...]:
        """Every incoming lane of the phases' movements, in the order :meth:`loads` takes their figures."""
        return self._in_lanes

    def loads(self, incoming: Sequence[float]) -> list[float]:
        """Each phase's sum over its movements of a figure of their incoming lanes (given in
        :attr:`incoming_lanes` order): with the pressure's own figure, an upper bound on the phase's pressure,
        since an outgoing level is never negative and a blocked movement counts none."""
        if not any(incoming):
            return [0.0] * len(self._in_of_phase)  # an empty junction, the common case, without the sums
        return [sum(incoming[k] for k in lanes) for lanes in self._in_of_phase]

    def level_figure(self) -> str:
        """The lane figure pressures are counted in (``queue``, or ``vehicles`` with ``count_moving``)."""
        return self._figure

    def others_lanes(self, phase: int) -> tuple[str, ...]:
        """The incoming lanes of the movements of every phase but ``phase``: with nothing of the pressure's
        figure on any of them (:meth:`Observation.total`, read a road at a time), no other phase can have a
        positive pressure, whatever the outgoing lanes hold (they only lower it). A controller resting in green
        asks this every second or two; on grid4x4 it is four road totals instead of twelve lane readings."""
        return self._others[phase]

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
