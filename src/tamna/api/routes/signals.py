"""Signals of the digital twin: their phases and controllers (public), an operator's switch or hold, and the
log of those commands (viewer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from tamna.api.deps import PUBLIC, Operator, State, Viewer
from tamna.api.routes.twin import running_twin
from tamna.api.schemas.signals import ControllerOut, ControllersOut, SignalCommand, SignalOut
from tamna.domain.signals import SignalChange
from tamna.signals.evaluation import NETWORK_PROGRAM
from tamna.signals.registry import RECOMMENDED, controllers
from tamna.twin.errors import TwinConflictError
from tamna.twin.signal_ops import hold_phase, signal_views, switch_controller

router = APIRouter(prefix="/api/v1/signals", tags=["signals"])


@router.get("", openapi_extra=PUBLIC)
def list_signals(request: Request) -> list[SignalOut]:
    """Every signalised intersection of the running twin: place, controller in charge, phase now and for how
    long, held or not (an empty list when the server runs no twin)."""
    twin = running_twin(request)
    if twin is None:
        return []
    return [SignalOut.of(view) for view in signal_views(twin)]


@router.get("/controllers", openapi_extra=PUBLIC)
def list_controllers() -> ControllersOut:
    """The registered controllers with a one-line summary, what ``best`` stands for, and the name that hands a
    signal back to the network's plan: what ``PUT /signals/{id}/controller`` accepts (with or without a twin)."""
    return ControllersOut(
        controllers=[ControllerOut(name=name, summary=kind.summary) for name, kind in controllers()],
        best=RECOMMENDED,
        network_program=NETWORK_PROGRAM,
    )


@router.get("/log")
def signal_log(
    state: State,
    key: Viewer,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    signal_id: Annotated[str | None, Query(max_length=200)] = None,
) -> list[SignalChange]:
    """Operators' signal commands, the most recent first: who (API key id, name, role), when (wall clock and
    simulated time), which signal, what before and after."""
    return state.store.signal_changes(limit=limit, signal_id=signal_id)


@router.put("/{signal_id}/controller")
def command_signal(signal_id: str, body: SignalCommand, request: Request, state: State, key: Operator) -> SignalOut:
    """Switch one signal's controller (``{"controller": "max-pressure"}``; ``network-program`` hands it back
    to the network's own plan), or hold a green phase (``{"hold": 1}``) and release it (``{"hold": null}``).

    Every switch still passes the safety timer: the green being left keeps its minimum green, then shows its
    yellow and all-red. A hold waives the held phase's maximum green, as the operator's explicit choice; on
    release the controller decides at once, and a green already past its maximum is moved on then. A signal on
    the network's program changes hands at its next green. Logged with who and when (``GET /signals/log``)."""
    twin = running_twin(request)
    if twin is None:
        raise TwinConflictError("no digital twin runs in this server (start one with tamna demo --scenario …)")
    if "controller" in body.model_fields_set and body.controller is not None:
        _, view = switch_controller(twin, signal_id, body.controller, key=key, store=state.store)
    else:
        _, view = hold_phase(twin, signal_id, body.hold, key=key, store=state.store)
    return SignalOut.of(view)
