"""Signals in the running twin (generated city): listed publicly, switched and held by an operator through the
safety timer, every command logged with who and when; the CLI refuses an unknown controller before SUMO."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tamna.api.app import build_state, create_app
from tamna.cli.main import app as cli
from tamna.core.settings import Settings
from tamna.signals.registry import RECOMMENDED, controllers
from tamna.signals.safety import ClearanceMonitor
from tamna.twin.scenario import load_scenario
from tests.twin.conftest import Served, Twin, serve_twin


class SignalsServed(Served):
    """The served twin, with helpers for its signals."""

    def signals(self) -> dict[str, dict[str, Any]]:
        answer = self.client.get("/api/v1/signals")
        assert answer.status_code == 200, answer.text
        return {s["id"]: s for s in answer.json()}

    def run_until(self, sim_s: float) -> None:
        """Run at full speed until the simulated time ``sim_s``, then pause."""
        runtime = self.twin.runtime
        runtime.control("resume", 0.0)
        deadline = time.monotonic() + 30
        while runtime.clock.seconds < sim_s and time.monotonic() < deadline:
            time.sleep(0.01)
        runtime.pause()
        assert runtime.clock.seconds >= sim_s


@pytest.fixture
def served(make_twin: Callable[..., Twin], generated_city: Path) -> Iterator[SignalsServed]:
    twin = make_twin(load_scenario(generated_city), start_paused=True, ingest=False)
    with serve_twin(twin, operator_name="duty-operator", viewer_name="auditor") as served:
        yield SignalsServed(served.client, served.twin, served.operator, served.viewer)


def test_signals_are_listed_publicly_with_place_controller_and_phase(served: SignalsServed) -> None:
    signals = served.signals()
    assert len(signals) == served.twin.setup.net.signals == 48
    first = next(iter(signals.values()))
    assert first["controller"] == "network-program" and first["held"] is None
    assert abs(first["lon"] - 126.53) < 0.1 and abs(first["lat"] - 33.5) < 0.1
    assert first["stage"] in ("green", "yellow", "all-red") and first["state"]
    assert any(s["controllable"] for s in signals.values())


def test_an_operator_switches_holds_and_releases_a_signal_and_it_is_logged(served: SignalsServed) -> None:
    client, operator = served.client, served.operator
    signal_id = next(s for s, v in served.signals().items() if v["controllable"] and v["phases"] >= 2)
    url = f"/api/v1/signals/{signal_id}/controller"
    assert client.put(url, json={"controller": "max-pressure"}).status_code == 401
    assert client.put(url, json={"controller": "max-pressure"}, headers=served.viewer).status_code == 403
    unknown = client.put(url, json={"controller": "telepathy"}, headers=operator)
    assert unknown.status_code == 422
    problem = unknown.json()
    assert problem["errors"][0]["field"] == "controller" and problem["errors"][0]["value"] == "telepathy"
    assert "max-pressure" in problem["detail"] and "network-program" in problem["detail"]
    # what GET /signals/controllers offers is what the command accepts
    offered = client.get("/api/v1/signals/controllers").json()
    assert all(c["name"] in problem["detail"] for c in offered["controllers"])
    assert client.put(url, json={}, headers=operator).status_code == 422
    assert client.put("/api/v1/signals/nowhere/controller", json={"hold": 0}, headers=operator).status_code == 404

    switched = client.put(url, json={"controller": "max-pressure"}, headers=operator)
    assert switched.status_code == 200 and switched.json()["controller"] == "max-pressure"
    served.run_until(served.twin.clock.seconds + 120)  # it changes hands at the program's next green
    now = served.signals()[signal_id]
    assert now["controller"] == "max-pressure" and now["phase_name"].startswith("green phase")

    held = client.put(url, json={"hold": 1}, headers=operator)
    assert held.status_code == 200 and held.json()["held"] == 1
    # the hold is reached through minimum green, yellow and all-red, then kept past the maximum green (60 s)
    monitor = _watch(served, signal_id)
    served.run_until(served.twin.clock.seconds + 150)
    now = served.signals()[signal_id]
    assert (now["phase"], now["stage"], now["held"]) == (1, "green", 1)
    assert now["in_phase_s"] > 60
    assert [v for v in monitor.violations if "maximum" not in v] == []

    released = client.put(url, json={"hold": None}, headers=operator)
    assert released.status_code == 200 and released.json()["held"] is None
    back = client.put(url, json={"controller": "network-program"}, headers=operator)
    assert back.status_code == 200 and back.json()["controller"] == "network-program"

    assert client.get("/api/v1/signals/log").status_code == 401
    log = client.get("/api/v1/signals/log", headers=served.viewer).json()
    assert [(e["action"], e["controller"], e["phase"]) for e in log] == [
        ("controller", "network-program", None),
        ("release", "max-pressure", 1),
        ("hold", "max-pressure", 1),
        ("controller", "max-pressure", None),
    ]
    assert {(e["key_name"], e["role"], e["signal_id"]) for e in log} == {("duty-operator", "operator", signal_id)}
    assert log[-1]["previous"] == "network-program" and log[0]["sim_time"] > log[-1]["sim_time"]
    assert served.twin.state.store.signal_changes(signal_id="elsewhere") == []


def test_the_controllers_are_listed_publicly_with_or_without_a_twin(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, db=":memory:", env="test")
    state = build_state(settings)
    try:
        with TestClient(create_app(settings, app_state=state, background=False)) as client:
            answer = client.get("/api/v1/signals/controllers")  # no key, and no twin in this server
            schema = client.get("/openapi.json").json()
    finally:
        state.store.close()
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert [c["name"] for c in listed["controllers"]] == controllers().names()
    assert {"max-pressure", "fixed-time", RECOMMENDED} <= {c["name"] for c in listed["controllers"]}
    assert all(c["summary"] for c in listed["controllers"])
    assert listed["best"] == RECOMMENDED and listed["network_program"] == "network-program"
    assert schema["paths"]["/api/v1/signals/controllers"]["get"]["x-public"] is True


def test_the_twin_runs_every_signal_under_a_controller(make_twin: Callable[..., Twin], generated_city: Path) -> None:
    twin = make_twin(load_scenario(generated_city), ingest=False, controller="best", until_s=25200 + 300)
    summary = twin.runtime.run()
    assert summary.error is None and summary.arrived > 0
    driver = twin.runtime.signals
    assert driver is not None and driver.controlled == len(driver.intersections) > 0
    assert set(driver.control.names.values()) == {RECOMMENDED}  # what "best" stands for
    assert driver.control.decisions > 0


def test_an_unknown_controller_is_refused_before_sumo_starts(generated_city: Path) -> None:
    for command in (["twin", "run"], ["demo"]):
        result = CliRunner().invoke(cli, [*command, "--scenario", str(generated_city), "--controller", "telepathy"])
        assert result.exit_code == 2, result.output
        assert "unknown controller 'telepathy'" in result.output and "max-pressure" in result.output


def _watch(served: SignalsServed, signal_id: str) -> ClearanceMonitor:
    """A safety monitor fed the signal's state on every step from now on (installed on the simulation thread,
    starting from the moment the current stage began, so that a green it joins halfway is not taken as short)."""
    runtime = served.twin.runtime
    driver = runtime.signals
    assert driver is not None
    monitor = ClearanceMonitor(driver.intersections[signal_id])

    def install(_sumo: object) -> None:
        timer = driver.control.timers[signal_id]
        monitor.observe(timer.stage_since_s, driver.adapter.state(signal_id))
        original = driver.step

        def step(now_s: float) -> None:
            original(now_s)
            monitor.observe(now_s, driver.adapter.state(signal_id))

        driver.step = step  # type: ignore[method-assign]

    runtime.call(install)
    return monitor
