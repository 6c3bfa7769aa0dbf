"""The digital twin: its state (public), control and incidents (operator)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request

from tamna.api.deps import PUBLIC, Operator
from tamna.api.schemas.twin import IncidentCreate, TwinControl, TwinState
from tamna.domain.safety import Incident
from tamna.twin.errors import TwinConflictError, TwinNotFoundError
from tamna.twin.incidents import IncidentKind, IncidentRequest
from tamna.twin.runtime import TwinRuntime

router = APIRouter(prefix="/api/v1/twin", tags=["digital twin"])


def attach(app: FastAPI, runtime: TwinRuntime) -> None:
    """Make ``runtime`` the twin this app serves."""
    app.state.twin = runtime


def running_twin(request: Request) -> TwinRuntime | None:
    """The twin attached to the app, if any."""
    twin: TwinRuntime | None = getattr(request.app.state, "twin", None)
    return twin


def _twin(request: Request, *, commanding: bool) -> TwinRuntime:
    twin = running_twin(request)
    if twin is None:
        if commanding:
            raise TwinConflictError("no digital twin runs in this server (start one with tamna demo --scenario …)")
        raise TwinNotFoundError("no digital twin runs in this server")
    return twin


@router.get("", openapi_extra=PUBLIC)
def twin_state(request: Request) -> TwinState:
    """The twin's scenario, simulation clock, speed and status (404 when the server runs none)."""
    return TwinState.of(_twin(request, commanding=False).snapshot())


@router.post("/control")
def control_twin(body: TwinControl, request: Request, key: Operator) -> TwinState:
    """Pause, resume or advance one step, and/or set the speed."""
    twin = _twin(request, commanding=True)
    speed = 0.0 if body.speed == "max" else body.speed
    return TwinState.of(twin.control(body.action, speed))


@router.post("/incidents", status_code=201)
def create_incident(body: IncidentCreate, request: Request, key: Operator) -> Incident:
    """Close a lane or stop a vehicle on a link for a while; stored and announced as ``incidents.created``."""
    twin = _twin(request, commanding=True)
    return twin.add_incident(
        IncidentRequest(IncidentKind(body.kind), body.link_id, body.duration_s, lane_index=body.lane_index)
    )
