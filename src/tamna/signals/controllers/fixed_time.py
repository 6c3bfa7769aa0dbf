"""``fixed-time``: the scenario's own plan. Each green phase in program order for the green time the network's
program gives it; clearances come from the safety layer (the program's own yellow and all-red by default)."""

from __future__ import annotations

from typing import ClassVar

from tamna.signals.controller import RegisteredController
from tamna.signals.model import Decision, Observation

#: below this, what is left of a planned green is not worth another decision
_REMAINDER_S = 0.5


class FixedTime(RegisteredController):
    """Cycles through the green phases with their planned greens. Stateless: the phase's elapsed green says
    how much of its plan is left."""

    name: ClassVar[str] = "fixed-time"
    summary: ClassVar[str] = "the network's own signal plan, phase by phase, with its planned green times"

    def decide(self, observation: Observation) -> Decision:
        phases = self.intersection.phases
        left = phases[observation.phase].plan_green_s - observation.green_s
        if left > _REMAINDER_S:
            return Decision(observation.phase, left)
        following = (observation.phase + 1) % len(phases)
        return Decision(following, phases[following].plan_green_s)
