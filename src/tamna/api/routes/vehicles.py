"""Vehicle positions (public): buses, and in the twin any tracked vehicle, at their latest fix."""

from __future__ import annotations

from fastapi import APIRouter, Request

from tamna.api.deps import PUBLIC
from tamna.api.routes.twin import running_twin
from tamna.domain.vehicles import VehicleKind, VehiclePosition

router = APIRouter(prefix="/api/v1", tags=["vehicles"])


@router.get("/vehicles", openapi_extra=PUBLIC)
def list_vehicles(request: Request, kind: VehicleKind | None = None) -> list[VehiclePosition]:
    """The latest position of every vehicle on the network (empty when nothing reports positions)."""
    twin = running_twin(request)
    return [] if twin is None else twin.vehicles.latest(kind)
