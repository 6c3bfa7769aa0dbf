"""``actuated``: a fully actuated controller with gap-out and max-out. The green phase is extended while its
stop-line detectors keep seeing vehicles closer together than the gap; when the gap opens (gap-out) or the
maximum green is reached (max-out, enforced by the safety layer), the next phase in program order that has
demand takes over. With no demand anywhere the green rests where it is.

Parameters: ``gap_s`` (3.0), the largest headway that still extends; ``extension_s`` (1.0), how often the gap
is checked.
"""

from __future__ import annotations

from typing import ClassVar

from tamna.signals.controller import ControlSettings, RegisteredController
from tamna.signals.model import Decision, Intersection, Observation


class Actuated(RegisteredController):
    """Gap-out / max-out actuation in program order, skipping phases without demand."""

    name: ClassVar[str] = "actuated"
    summary: ClassVar[str] = "extends a green while vehicles keep arriving (gap-out), up to its maximum (max-out)"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        super().__init__(intersection, settings)
        self.gap_s = settings.param("gap_s", 3.0)
        self.extension_s = settings.param("extension_s", 1.0)

    def decide(self, observation: Observation) -> Decision:
        phases = self.intersection.phases
        current = phases[observation.phase]
        if observation.green_s < current.min_green_s:
            return Decision(current.index, current.min_green_s - observation.green_s)
        if any(gap < self.gap_s for gap in observation.values("gap_s", current.lanes)):
            return Decision(current.index, self.extension_s)
        for step in range(1, len(phases)):
            candidate = phases[(current.index + step) % len(phases)]
            if self._demand(observation, candidate.lanes):
                return Decision(candidate.index, candidate.min_green_s)
        return Decision(current.index, self.extension_s)

    @staticmethod
    def _demand(observation: Observation, lanes: tuple[str, ...]) -> bool:
        return any(vehicles > 0 for vehicles in observation.values("vehicles", lanes))
