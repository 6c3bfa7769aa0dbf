"""Twin fixtures: RESCO scenarios from the shared data (read-only), the generated city built once per session, a
platform state on the simulation clock, and a check after every test that no SUMO simulation is left loaded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tamna.api.app import build_state, create_app
from tamna.api.keys import create_api_key
from tamna.api.routes.twin import attach
from tamna.api.state import AppState
from tamna.core.settings import Settings
from tamna.domain.access import Role
from tamna.twin.build.generated import build_generated_city
from tamna.twin.clock import SimClock
from tamna.twin.outbox import Sink, pipeline_sink
from tamna.twin.runtime import TwinRuntime
from tamna.twin.scenario import Scenario
from tamna.twin.setup import TwinSetup, prepare_twin, register_twin
from tamna.twin.status import TwinOptions
from tests.sumo_fixtures import no_simulation_left, resco  # noqa: F401 (fixtures for this folder)

#: A fixed simulated day, so that expected times can be written down.
DAY = date(2026, 11, 25)


@pytest.fixture(scope="session")
def generated_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated city (seed 1), built once for the session; returns its .sumocfg."""
    return build_generated_city(tmp_path_factory.mktemp("city") / "generated-1", seed=1)


@dataclass
class Twin:
    """A prepared twin wired to a platform state on its own clock."""

    setup: TwinSetup
    clock: SimClock
    state: AppState
    runtime: TwinRuntime


@pytest.fixture
def make_twin(tmp_path: Path) -> Iterator[Callable[..., Twin]]:
    """Wire a scenario to an in-memory platform (store, bus, pipeline on the simulation clock); runtimes are
    stopped and stores closed afterwards."""
    made: list[Twin] = []

    def make(
        scenario: Scenario,
        *,
        ingest: bool = True,
        detector_output: Path | None = None,
        sink: Sink | None = None,
        **options: object,
    ) -> Twin:
        setup = prepare_twin(scenario, tmp_path / "cache" / scenario.name, detector_output=detector_output)
        clock = SimClock(scenario.begin_s, base_date=DAY)
        state = build_state(Settings(data_dir=tmp_path, db=":memory:", env="test"), clock=clock.now)
        register_twin(state.store, setup, bus=state.bus)
        state.pipeline.reload_sensors()
        runtime = TwinRuntime(
            setup,
            clock,
            bus=state.bus,
            sink=sink or (pipeline_sink(state.pipeline) if ingest else None),
            store=state.store,
            options=TwinOptions(**{"speed": 0.0, **options}),
        )
        twin = Twin(setup, clock, state, runtime)
        made.append(twin)
        return twin

    yield make
    for twin in made:
        twin.runtime.stop()
        twin.state.store.close()


@dataclass
class Served:
    """A twin behind the real API, with an operator's and a viewer's authorization headers."""

    client: TestClient
    twin: Twin
    operator: dict[str, str]
    viewer: dict[str, str]


@contextmanager
def serve_twin(twin: Twin, *, operator_name: str = "test", viewer_name: str = "test") -> Iterator[Served]:
    """Start ``twin`` behind the API (the twin routes attached) and hand out a client with two keys."""
    app = create_app(twin.state.settings, app_state=twin.state, background=False)
    attach(app, twin.runtime)
    store = twin.state.store
    operator = {"Authorization": f"Bearer {create_api_key(store, Role.OPERATOR, operator_name)[0]}"}
    viewer = {"Authorization": f"Bearer {create_api_key(store, Role.VIEWER, viewer_name)[0]}"}
    twin.runtime.start()
    with TestClient(app) as client:
        yield Served(client, twin, operator, viewer)
