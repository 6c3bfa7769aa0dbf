"""The signals room's errors: each also derives from the core error whose meaning it shares, so that the API
maps it to the right problem response without a rule of its own."""

from __future__ import annotations

from tamna.core.errors import NotFoundError, TamnaError, ValidationError


class SignalsError(TamnaError):
    """Signal control cannot go on: a scenario, a controller or an artifact is not usable."""


class UnknownControllerError(SignalsError, NotFoundError):
    """No controller is registered under the requested name; the message lists the known ones."""


class NoSignalsError(SignalsError, ValidationError):
    """The network has no traffic light that a controller could drive."""


class ArtifactError(SignalsError, NotFoundError):
    """A controller's trained artifact is missing, unreadable or made for another intersection."""


class ControllerFault(SignalsError):  # noqa: N818 - a fault of the controller, named as operators say it
    """A controller asked for something no signal can do (a phase the intersection does not have)."""


class SimulationFailed(SignalsError):  # noqa: N818 - what happened, as operators say it
    """SUMO itself failed while an episode ran (it crashed, died, hung past the limit, or refused a command
    mid-run): that episode has no figures, and another seed may run (SUMO 1.9.2 crashes on some seeds of cologne3).
    Everything checked before SUMO starts (the scenario, the controller, an artifact) raises other errors."""
