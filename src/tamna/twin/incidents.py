"""Incidents an operator injects into the running simulation: a closed lane or a stopped vehicle, undone when
their duration has passed. These functions run on the simulation thread (libsumo is not called from others)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import ModuleType
from typing import Any

from tamna.core.events import EventBus
from tamna.domain.safety import Incident, IncidentStatus
from tamna.store.base import Store
from tamna.twin.errors import TwinInputError, TwinNotFoundError
from tamna.twin.geo import point_along, shape_length
from tamna.twin.netfile import NetInfo

log = logging.getLogger(__name__)

#: Speed (m/s) of the traffic that is still on a lane when it closes: walking pace past the closure.
CLOSED_LANE_SPEED_MS = 2.0
#: How far a vehicle put on an empty edge drives before it breaks down (m).
BREAKDOWN_RUN_M = 10.0


class IncidentKind(StrEnum):
    """What the twin can simulate."""

    LANE_CLOSURE = "lane_closure"
    STOPPED_VEHICLE = "stopped_vehicle"


@dataclass(frozen=True)
class IncidentRequest:
    """An incident to apply: where (a SUMO edge, optionally one lane) and for how long (simulated seconds)."""

    kind: IncidentKind
    link_id: str
    duration_s: float
    lane_index: int | None = None


@dataclass
class ActiveIncident:
    """An applied incident and how to undo it."""

    incident: Incident
    ends_s: float
    undo: Callable[[ModuleType], None]


def apply_incident(
    sumo: ModuleType, request: IncidentRequest, *, net: NetInfo, now_s: float, when: datetime
) -> ActiveIncident:
    """Apply ``request`` in the simulation now; raises when the edge or lane is not in the network."""
    lanes = net.edges.get(request.link_id)
    if lanes is None:
        raise TwinNotFoundError(f"link {request.link_id!r} is not an edge of the simulated network")
    if request.lane_index is not None and not 0 <= request.lane_index < lanes:
        raise TwinInputError(
            f"lane_index {request.lane_index} is outside edge {request.link_id!r}'s lanes 0–{lanes - 1}",
            field="lane_index",
            value=request.lane_index,
        )
    incident_id = f"twin-{uuid.uuid4().hex[:12]}"
    if request.kind is IncidentKind.LANE_CLOSURE:
        lane_index = request.lane_index or 0  # the rightmost lane, where breakdowns and roadworks usually are
        undo, where = _close_lane(sumo, f"{request.link_id}_{lane_index}")
        what = f"lane {lane_index} of {request.link_id} closed"
    else:
        undo, where, vehicle = _stop_vehicle(sumo, request, incident_id, net)
        what = f"vehicle {vehicle} stopped on {request.link_id}"
    lon, lat = net.projection.lonlat(*where)
    incident = Incident(
        id=incident_id,
        kind=request.kind.value,
        reported_at=when,
        lon=lon,
        lat=lat,
        link_id=request.link_id,
        description=f"simulated: {what} for {request.duration_s:g} s",
    )
    return ActiveIncident(incident, now_s + request.duration_s, undo)


def clear_incident(sumo: ModuleType, active: ActiveIncident, *, store: Store | None, bus: EventBus) -> Incident:
    """Undo an incident whose time is up, store it as cleared and announce ``incidents.cleared``."""
    try:
        active.undo(sumo)
    except sumo.TraCIException:  # the vehicle may have left, the lane may be gone: nothing left to undo
        log.warning("incident %s could not be undone cleanly", active.incident.id, exc_info=True)
    cleared = active.incident.model_copy(update={"status": IncidentStatus.CLEARED})
    try:
        if store is not None:
            store.upsert_incident(cleared)
    except Exception:  # the store's outage must not stop the city; the event still goes out
        log.exception("cleared incident %s could not be stored", cleared.id)
    bus.publish("incidents.cleared", {**cleared.model_dump(mode="json"), "source": "twin"})
    return cleared


def _close_lane(sumo: ModuleType, lane_id: str) -> tuple[Callable[[ModuleType], None], tuple[float, float]]:
    lane: Any = sumo.lane
    allowed = tuple(lane.getAllowed(lane_id))
    speed = float(lane.getMaxSpeed(lane_id))
    lane.setDisallowed(lane_id, ["all"])
    lane.setMaxSpeed(lane_id, min(speed, CLOSED_LANE_SPEED_MS))

    def undo(module: ModuleType) -> None:
        module.lane.setAllowed(lane_id, list(allowed))
        module.lane.setMaxSpeed(lane_id, speed)

    shape = lane.getShape(lane_id)
    return undo, point_along(shape, shape_length(shape) / 2)


def _stop_vehicle(
    sumo: ModuleType, request: IncidentRequest, incident_id: str, net: NetInfo
) -> tuple[Callable[[ModuleType], None], tuple[float, float], str]:
    vehicle: Any = sumo.vehicle
    if request.lane_index is None:
        candidates = list(sumo.edge.getLastStepVehicleIDs(request.link_id))
    else:
        candidates = list(sumo.lane.getLastStepVehicleIDs(f"{request.link_id}_{request.lane_index}"))
    if candidates:
        # the leading vehicle: it blocks its lane for everyone behind it, as a breakdown at the front of a queue does
        chosen = max(candidates, key=lambda vid: float(vehicle.getLanePosition(vid)))
        mode = int(vehicle.getLaneChangeMode(chosen))
        vehicle.setSpeed(chosen, 0.0)
        vehicle.setLaneChangeMode(chosen, 0)

        def release(module: ModuleType) -> None:
            if chosen in module.vehicle.getIDList():
                module.vehicle.setSpeed(chosen, -1.0)
                module.vehicle.setLaneChangeMode(chosen, mode)

        x, y = vehicle.getPosition(chosen)
        return release, (float(x), float(y)), chosen
    # nobody on the edge now: a vehicle enters it and breaks down there; its stop ends by itself
    lane_index = request.lane_index or 0
    lane = net.lanes[f"{request.link_id}_{lane_index}"]
    stop_at = lane.length_m / 2
    depart_at = max(0.0, stop_at - BREAKDOWN_RUN_M)
    route = f"{incident_id}-route"
    sumo.route.add(route, [request.link_id])
    name = f"{incident_id}-vehicle"
    try:
        vehicle.add(
            name, route, depart="now", departLane=str(lane_index), departPos=f"{depart_at:.2f}", departSpeed="0"
        )
        vehicle.setStop(name, request.link_id, pos=stop_at, laneIndex=lane_index, duration=request.duration_s)
    except sumo.TraCIException as err:
        raise TwinInputError(
            f"no vehicle can be put on lane {lane_index} of {request.link_id!r}: {err}", field="link_id"
        ) from err
    return _nothing, point_along(lane.shape, stop_at), name


def _nothing(_module: ModuleType) -> None:
    """Undo of an incident that ends by itself."""
