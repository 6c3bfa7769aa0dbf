"""Running controllers over a set of intersections, independent of what carries the signals out: each step,
every signal's timer moves on, the controllers due are asked (with an observation the caller reads from its
detectors), their decisions pass the safety layer, and the states that changed are returned for the caller to
show. The SUMO twin calls this every simulation step; a field adapter would call it every second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tamna.signals.controller import Controller, ControlSettings
from tamna.signals.model import Intersection, Observation
from tamna.signals.safety import SignalTimer

#: ``observe(intersection, now_s, phase, green_s)``: the detector data of one intersection now.
Observe = Callable[[Intersection, float, int, float], Observation]
#: Builds the controller of one intersection.
ControllerFactory = Callable[[Intersection, ControlSettings], Controller]


@dataclass(frozen=True)
class StateChange:
    """A signal whose state changes now."""

    signal_id: str
    state: str


class SignalControl:
    """The controllers and timers of a set of intersections."""

    def __init__(
        self,
        intersections: Sequence[Intersection],
        factory: ControllerFactory,
        settings: ControlSettings,
        *,
        now_s: float,
    ) -> None:
        self.intersections = tuple(intersections)
        self.timers = {i.id: SignalTimer(i, now_s) for i in self.intersections}
        self.controllers = {i.id: factory(i, settings) for i in self.intersections}
        self.decisions = 0
        self._shown: dict[str, str] = {}

    def step(self, now_s: float, observe: Observe) -> list[StateChange]:
        """Advance every signal to ``now_s``; returns the states to show from now on (only those that changed)."""
        changes = []
        for intersection in self.intersections:
            timer = self.timers[intersection.id]
            timer.advance(now_s)
            if timer.due(now_s):
                observation = observe(intersection, now_s, timer.phase, timer.green_s(now_s))
                timer.request(self.controllers[intersection.id].decide(observation), now_s)
                self.decisions += 1
            state = timer.state()
            if self._shown.get(intersection.id) != state:
                self._shown[intersection.id] = state
                changes.append(StateChange(intersection.id, state))
        return changes

    def overrides(self) -> Counter[str]:
        """How often the safety layer changed a decision, by reason, over all signals."""
        total: Counter[str] = Counter()
        for timer in self.timers.values():
            total.update(timer.overrides)
        return total
