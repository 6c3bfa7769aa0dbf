"""The ``controllers`` registry: every module under ``controllers/``, by name.

Filled on first use, not on import. ``best`` names the controller Tamna recommends (see docs/signals.md for
the figures that chose it); the shared contract tests iterate the registry.
"""

from __future__ import annotations

from functools import cache

from tamna.core.errors import NotFoundError
from tamna.core.registry import Registry
from tamna.signals.controller import Controller, ControllerKind, ControlSettings
from tamna.signals.errors import UnknownControllerError
from tamna.signals.model import Intersection

#: what ``--controller best`` means (the lowest delay over the RESCO scenarios, docs/benchmarks.md)
RECOMMENDED = "tuned-pressure"
BEST = "best"


@cache
def controllers() -> Registry[ControllerKind]:
    """All registered controllers."""
    from tamna.signals.controllers.actuated import Actuated
    from tamna.signals.controllers.fixed_time import FixedTime
    from tamna.signals.controllers.gap_pressure import GapPressure
    from tamna.signals.controllers.max_pressure import MaxPressure
    from tamna.signals.controllers.tuned_pressure import TunedPressure
    from tamna.signals.controllers.webster import Webster

    registry: Registry[ControllerKind] = Registry("controller")
    kinds: tuple[ControllerKind, ...] = (FixedTime, Webster, Actuated, MaxPressure, GapPressure, TunedPressure)
    for kind in kinds:
        registry.register(kind.name, kind)
    return registry


def resolve(name: str) -> str:
    """``best`` becomes the recommended controller's name; an unknown name raises, listing the known ones."""
    chosen = RECOMMENDED if name == BEST else name
    if chosen not in controllers():
        known = ", ".join([*controllers().names(), BEST])
        raise UnknownControllerError(f"unknown controller {name!r}; known: {known}")
    return chosen


def controller_kind(name: str) -> ControllerKind:
    """The registered controller called ``name`` (or ``best``)."""
    try:
        return controllers().get(resolve(name))
    except NotFoundError as err:  # pragma: no cover - resolve() checked the name
        raise UnknownControllerError(str(err)) from err


def create(name: str, intersection: Intersection, settings: ControlSettings | None = None) -> Controller:
    """A controller called ``name`` for ``intersection``."""
    return controller_kind(name)(intersection, settings or ControlSettings())
