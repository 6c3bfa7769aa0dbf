"""Fixtures of the transit tests: the small Jeju feed (folder and schedule), a store holding it, a clock set to a
Monday morning of its service, and an API app on a DuckDB file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tamna.api.app import build_state, create_app
from tamna.api.keys import create_api_key
from tamna.core.settings import Settings
from tamna.domain.access import Role
from tamna.store import Store
from tamna.transit.gtfs.importer import import_feed, load_feed
from tamna.transit.schedule import Schedule
from tests.transit.support import MONDAY, at, feed_files, write_folder

#: 08:00 on a Monday in Seoul: routes 100 and 200 run.
MORNING = at(MONDAY, 8 * 3600)


class Clock:
    """A settable "now" for the platform."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    """The small feed as a folder."""
    return write_folder(tmp_path / "jeju-feed", feed_files())


@pytest.fixture
def schedule(feed_dir: Path) -> Schedule:
    """The small feed's schedule, without a store."""
    loaded = load_feed(feed_dir, feed_id="jeju")
    assert loaded.report.ok, loaded.report.render()
    return Schedule(loaded.summary, loaded.tables)


@pytest.fixture
def clock() -> Clock:
    """Monday 08:00 in Seoul."""
    return Clock(MORNING)


@pytest.fixture
def feed_store(store: Store, feed_dir: Path) -> Store:
    """The shared ``store`` fixture (DuckDB and PostgreSQL) holding the small feed."""
    import_feed(store, feed_dir, feed_id="jeju")
    return store


@pytest.fixture
def make_client(tmp_path: Path, clock: Clock) -> Iterator[Callable[[], tuple[TestClient, dict[Role, str]]]]:
    """An API client (lifespan running) on a DuckDB file holding the small feed, and a key per role."""
    clients: list[TestClient] = []
    apps: list[FastAPI] = []

    def make() -> tuple[TestClient, dict[Role, str]]:
        settings = Settings(data_dir=tmp_path, env="test")
        state = build_state(settings, clock=clock)
        import_feed(state.store, write_folder(tmp_path / "api-feed", feed_files()), feed_id="jeju")
        app = create_app(settings, app_state=state, background=False)
        apps.append(app)
        keys = {role: create_api_key(state.store, role, f"test {role.value}")[0] for role in Role}
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client, keys

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    for app in apps:
        app.state.tamna.store.close()
