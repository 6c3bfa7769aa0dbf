"""The twin's endpoints on the generated city: its state (public), control and incidents (operator), and bus
positions (public)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tamna.api.app import create_app
from tamna.api.keys import create_api_key
from tamna.domain.access import Role
from tamna.ingest.geo import haversine_m
from tamna.twin.geo import DEFAULT_ORIGIN
from tamna.twin.scenario import load_scenario
from tests.twin.conftest import Served, Twin, serve_twin


@pytest.fixture
def served(make_twin: Callable[..., Twin], generated_city: Path) -> Iterator[Served]:
    with serve_twin(make_twin(load_scenario(generated_city), start_paused=True)) as served:
        yield served


def test_a_server_without_a_twin_answers_404(make_twin: Callable[..., Twin], generated_city: Path) -> None:
    twin = make_twin(load_scenario(generated_city))
    with TestClient(create_app(twin.state.settings, app_state=twin.state, background=False)) as client:
        assert client.get("/api/v1/twin").status_code == 404
        assert client.get("/api/v1/vehicles").json() == []
        key = create_api_key(twin.state.store, Role.OPERATOR, "test")[0]
        answer = client.post("/api/v1/twin/control", json={"action": "pause"}, headers={"X-API-Key": key})
        assert answer.status_code == 409 and "no digital twin" in answer.json()["detail"]


def test_the_state_is_public(served: Served) -> None:
    body = served.client.get("/api/v1/twin").json()
    assert body["scenario"] == "generated-1"
    assert (body["status"], body["paused"], body["error"]) == ("paused", True, None)
    assert datetime.fromisoformat(body["time"]) == served.twin.clock.at(7 * 3600)
    assert (body["begin_s"], body["end_s"], body["detectors"]) == (25200.0, 32400.0, len(served.twin.setup.detectors))


def test_control_needs_an_operator(served: Served) -> None:
    client = served.client
    assert client.post("/api/v1/twin/control", json={"action": "step"}).status_code == 401
    assert client.post("/api/v1/twin/control", json={"action": "step"}, headers=served.viewer).status_code == 403
    stepped = client.post("/api/v1/twin/control", json={"action": "step"}, headers=served.operator)
    assert stepped.status_code == 200 and stepped.json()["sim_seconds"] == 25201.0
    assert client.post("/api/v1/twin/control", json={}, headers=served.operator).status_code == 422
    assert client.post("/api/v1/twin/control", json={"action": "rewind"}, headers=served.operator).status_code == 422
    assert client.post("/api/v1/twin/control", json={"speed": -3}, headers=served.operator).status_code == 422
    running = client.post("/api/v1/twin/control", json={"action": "resume", "speed": "max"}, headers=served.operator)
    assert running.json()["status"] == "running" and running.json()["speed"] == 0.0


def test_buses_are_served_with_their_line_and_link(served: Served) -> None:
    client = served.client
    client.post("/api/v1/twin/control", json={"action": "resume", "speed": 0}, headers=served.operator)
    deadline = time.monotonic() + 30
    while not (buses := client.get("/api/v1/vehicles").json()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert buses, "bus positions within 30 s"
    links = {link.id for link in served.twin.state.store.network().links}
    for bus in buses:
        assert bus["kind"] == "bus" and bus["route_id"] in {"1", "2", "3", "4"}
        assert haversine_m(DEFAULT_ORIGIN, (bus["lon"], bus["lat"])) < 1_500
        assert bus["link_id"] is None or bus["link_id"] in links
    assert client.get("/api/v1/vehicles", params={"kind": "car"}).json() == []  # only buses are tracked


def test_incidents_are_created_by_operators(served: Served) -> None:
    client, operator = served.client, served.operator
    body = {"kind": "lane_closure", "link_id": "A1B1", "lane_index": 1, "duration_s": 300}
    assert client.post("/api/v1/twin/incidents", json=body).status_code == 401
    created = client.post("/api/v1/twin/incidents", json=body, headers=operator)
    assert created.status_code == 201
    incident = created.json()
    assert (incident["kind"], incident["link_id"], incident["status"]) == ("lane_closure", "A1B1", "reported")
    assert [i.id for i in served.twin.state.store.incidents()] == [incident["id"]]
    assert client.get("/api/v1/twin").json()["active_incidents"] == 1
    unknown = client.post("/api/v1/twin/incidents", json={**body, "link_id": "nowhere"}, headers=operator)
    assert unknown.status_code == 404 and "nowhere" in unknown.json()["detail"]
    beyond = client.post("/api/v1/twin/incidents", json={**body, "lane_index": 5}, headers=operator)
    assert beyond.status_code == 422 and beyond.json()["errors"][0]["field"] == "lane_index"


def test_a_stopped_twin_says_so_and_refuses_commands(served: Served) -> None:
    served.twin.runtime.stop()
    assert served.client.get("/api/v1/twin").json()["status"] == "stopped"
    answer = served.client.post("/api/v1/twin/control", json={"action": "resume"}, headers=served.operator)
    assert answer.status_code == 409 and "stopped, not running" in answer.json()["detail"]
