"""The controller interface. A controller is pure logic: given an :class:`Observation` of its intersection it
returns a :class:`Decision`. It never talks to a simulator or a cabinet, and never handles clearances or green
bounds itself: the safety layer (:mod:`tamna.signals.safety`) does, for every controller alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from tamna.signals.model import Decision, Intersection, Observation, Record


@dataclass(frozen=True)
class ControlSettings(Record):
    """What every controller of one run is built with."""

    #: how often an adaptive controller is asked, at the most (RESCO: 10 s; 5 s on arterial4x4)
    decision_step_s: float = 10.0
    #: controller-specific parameters by name (documented on each controller)
    params: Mapping[str, float] = field(default_factory=dict)
    #: a trained controller's artifact folder
    artifact: Path | None = None
    #: the SUMO release the run simulates in ("1.9.2"); None: the installed one. A trained controller takes the
    #: shipped parameters learned in that release (:func:`tamna.signals.artifacts.bundled_artifacts`)
    sumo_version: str | None = None

    def param(self, name: str, default: float) -> float:
        """A parameter, or ``default`` when the run does not set it."""
        return float(self.params.get(name, default))


class Controller(Protocol):
    """Decides one intersection's next phase and how long to hold it."""

    def decide(self, observation: Observation) -> Decision:
        """The phase to show and for how long, given what the detectors see now."""
        ...


class RegisteredController(ABC):
    """What the registry holds: a controller class with a name and a one-line summary, built once per
    intersection with the run's settings."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        self.intersection = intersection
        self.settings = settings

    @abstractmethod
    def decide(self, observation: Observation) -> Decision:
        """The phase to show and for how long, given what the detectors see now."""


ControllerKind = type[RegisteredController]
