"""Incidents in the simulation: a closed lane refuses traffic until it reopens; a stopped vehicle stands still for
its duration; both are stored, announced, and cleared when their time is up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tamna.core.events import Event
from tamna.domain.safety import IncidentStatus
from tamna.twin import sumo
from tamna.twin.errors import TwinInputError, TwinNotFoundError
from tamna.twin.incidents import IncidentKind, IncidentRequest
from tamna.twin.scenario import Scenario
from tamna.twin.status import TwinStatus
from tests.twin.conftest import Twin

pytestmark = pytest.mark.data


def record(twin: Twin, topic: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    twin.state.bus.subscribe(topic, lambda event: seen.append(event.payload))
    return seen


def on_ticks(twin: Twin, look: Callable[[Any, float], object]) -> dict[float, object]:
    """Call ``look(libsumo, sim_seconds)`` on the simulation thread at every tick; results by tick time."""
    found: dict[float, object] = {}
    libsumo = sumo.libsumo()

    def handler(event: Event) -> None:
        now = event.payload["sim_seconds"]
        found[now] = look(libsumo, now)

    twin.state.bus.subscribe("twin.tick", handler)
    return found


def test_a_lane_closure_holds_for_its_duration(
    resco: Callable[[str], Scenario], make_twin: Callable[..., Twin]
) -> None:
    twin = make_twin(resco("grid4x4"), ingest=False, until_s=300.0, start_paused=True)
    created, cleared = record(twin, "incidents.created"), record(twin, "incidents.cleared")
    closed = on_ticks(twin, lambda libsumo, _now: "passenger" in libsumo.lane.getDisallowed("A1B1_0"))
    twin.runtime.start()
    incident = twin.runtime.add_incident(IncidentRequest(IncidentKind.LANE_CLOSURE, "A1B1", 150.0, lane_index=0))
    assert incident.kind == "lane_closure" and incident.link_id == "A1B1"
    assert incident.reported_at == twin.clock.at(0)
    assert [i.id for i in twin.state.store.incidents()] == [incident.id]
    assert created[0]["id"] == incident.id and created[0]["ends"] == twin.clock.at(150).isoformat()
    twin.runtime.resume()
    assert twin.runtime.wait(30)
    assert closed == {60.0: True, 120.0: True, 180.0: False, 240.0: False, 300.0: False}
    assert [payload["id"] for payload in cleared] == [incident.id]
    stored = twin.state.store.incidents()
    assert [(i.id, i.status) for i in stored] == [(incident.id, IncidentStatus.CLEARED)]


def test_a_stopped_vehicle_stands_still_then_drives_on(
    resco: Callable[[str], Scenario], make_twin: Callable[..., Twin]
) -> None:
    twin = make_twin(resco("grid4x4"), ingest=False, until_s=400.0, all_vehicles=True)
    runtime = twin.runtime
    twin.state.bus.subscribe(
        "twin.tick", lambda event: runtime.pause() if event.payload["sim_seconds"] == 120 else None
    )
    runtime.start()
    deadline = time.monotonic() + 20
    while runtime.snapshot().status is not TwinStatus.PAUSED and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runtime.snapshot().status is TwinStatus.PAUSED
    on_edges = [p for p in runtime.vehicles.latest() if p.link_id]
    assert on_edges, "vehicles on the network at 120 s"
    link = on_edges[0].link_id
    assert link is not None
    incident = runtime.add_incident(IncidentRequest(IncidentKind.STOPPED_VEHICLE, link, 120.0))
    vehicle = (incident.description or "").split("vehicle ")[1].split(" stopped")[0]
    speeds = on_ticks(
        twin,
        lambda libsumo, _now: libsumo.vehicle.getSpeed(vehicle) if vehicle in libsumo.vehicle.getIDList() else None,
    )
    runtime.resume()
    assert runtime.wait(30)
    assert speeds[180.0] == 0.0 and speeds[240.0] == 0.0  # held for 120 s from 121 s
    assert speeds.get(300.0) != 0.0  # released: driving on, or already gone


def test_a_breakdown_on_an_empty_edge_puts_a_vehicle_there(
    resco: Callable[[str], Scenario], make_twin: Callable[..., Twin]
) -> None:
    twin = make_twin(resco("grid4x4"), ingest=False, until_s=120.0, start_paused=True)
    twin.runtime.start()  # at 0 s nobody has departed yet
    incident = twin.runtime.add_incident(IncidentRequest(IncidentKind.STOPPED_VEHICLE, "B2C2", 600.0, lane_index=0))
    vehicle = f"{incident.id}-vehicle"
    assert vehicle in (incident.description or "")
    seen = on_ticks(twin, lambda libsumo, _now: (libsumo.vehicle.getRoadID(vehicle), libsumo.vehicle.getSpeed(vehicle)))
    twin.runtime.resume()
    assert twin.runtime.wait(30)
    assert seen[60.0] == ("B2C2", 0.0) and seen[120.0] == ("B2C2", 0.0)


def test_incidents_on_unknown_places_are_refused(
    resco: Callable[[str], Scenario], make_twin: Callable[..., Twin]
) -> None:
    twin = make_twin(resco("grid4x4"), ingest=False, start_paused=True)
    twin.runtime.start()
    with pytest.raises(TwinNotFoundError, match="'nowhere' is not an edge"):
        twin.runtime.add_incident(IncidentRequest(IncidentKind.LANE_CLOSURE, "nowhere", 60.0))
    with pytest.raises(TwinInputError, match="lane_index 3 is outside edge 'A1B1'"):
        twin.runtime.add_incident(IncidentRequest(IncidentKind.LANE_CLOSURE, "A1B1", 60.0, lane_index=3))
    with pytest.raises(TwinInputError, match="duration_s"):
        twin.runtime.add_incident(IncidentRequest(IncidentKind.LANE_CLOSURE, "A1B1", 0.0))
    assert twin.state.store.incidents() == []
