"""An app per test on a DuckDB file in ``tmp_path``, keys for each role, and the small city loaded through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tamna.api.app import build_state, create_app
from tamna.api.keys import create_api_key
from tamna.core.settings import Settings
from tamna.domain.access import Role
from tests.api.support import ADMIN_KEY, CITY_GEOJSON, CITY_SENSORS, AppFactory, auth


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[AppFactory]:
    """Build apps from settings overrides; their stores are closed after the test."""
    built: list[FastAPI] = []

    def make(**overrides: object) -> FastAPI:
        options: dict[str, object] = {"data_dir": tmp_path, "env": "test", "admin_key": ADMIN_KEY}
        options.update(overrides)
        settings = Settings(**options)
        # the test owns the state, so the store outlives the app's shutdown for assertions
        app = create_app(settings, app_state=build_state(settings), background=False)
        built.append(app)
        return app

    yield make
    for app in built:
        app.state.tamna.store.close()


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    """The API on a fresh DuckDB file under ``tmp_path``."""
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client that runs the app's lifespan."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def keys(app: FastAPI) -> dict[Role, str]:
    """A working key per role: admin from the settings, the others made as ``tamna keys create`` makes them."""
    store = app.state.tamna.store
    made = {role: create_api_key(store, role, f"test {role.value}")[0] for role in (Role.VIEWER, Role.OPERATOR)}
    return {**made, Role.ADMIN: ADMIN_KEY}


@pytest.fixture
def city(client: TestClient, keys: dict[Role, str]) -> TestClient:
    """The client, with the three-link network and four sensors loaded through the API."""
    loaded = client.post("/api/v1/network", json=CITY_GEOJSON, headers=auth(keys[Role.ADMIN]))
    assert loaded.status_code == 200, loaded.text
    registered = client.post("/api/v1/sensors", json=CITY_SENSORS, headers=auth(keys[Role.OPERATOR]))
    assert registered.status_code == 200, registered.text
    assert registered.json() == {"registered": 4}
    return client
