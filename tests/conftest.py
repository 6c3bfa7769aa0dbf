"""Shared fixtures: a migrated store on each backend, a small network with sensors, and the shared data folder.

PostgreSQL tests talk to the real server at 127.0.0.1:5432 (trust auth, database ``test``); each test gets its
own schema, dropped afterwards. An unreachable server fails those tests: a skipped backend would hide a bug.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tamna.domain.network import Link, Node, RoadNetwork
from tamna.domain.sensors import Sensor, SensorKind
from tamna.store import Store, open_store

#: The server the ``postgres`` tests use; ``TAMNA_TEST_POSTGRES`` points them elsewhere.
POSTGRES_URL = os.environ.get("TAMNA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        problem = str(err).strip()
    pytest.fail(
        f"PostgreSQL is not reachable at {POSTGRES_URL}: {problem}\nThe postgres-marked tests need the real "
        "server: start it, point TAMNA_TEST_POSTGRES at one, or deselect them with -m 'not postgres'.",
        pytrace=False,
    )


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The address of an empty store: a DuckDB file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "duckdb":
        yield str(tmp_path / "tamna.duckdb")
        return
    schema = f"tamna_test_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with _postgres_admin() as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store on the backend of this parameter."""
    opened = open_store(store_url)
    try:
        opened.migrate()
        yield opened
    finally:
        opened.close()


@pytest.fixture
def network() -> RoadNetwork:
    """Three nodes and three links: L1 curved with free flow and limit, L2 with a limit only, L3 with neither."""
    return RoadNetwork(
        nodes=[
            Node(id="A", lon=126.5000, lat=33.5000, name="Gwandeokjeong", kind="traffic_light"),
            Node(id="B", lon=126.5100, lat=33.5000),
            Node(id="C", lon=126.5100, lat=33.5100),
        ],
        links=[
            Link(
                id="L1",
                from_node="A",
                to_node="B",
                geometry=[(126.5000, 33.5000), (126.5051, 33.50037), (126.5100, 33.5000)],
                lanes=2,
                length_m=930.5,
                speed_limit_kmh=50.0,
                freeflow_speed_kmh=60.0,
                name="Jungang-ro",
                road_class="arterial",
            ),
            Link(
                id="L2",
                from_node="B",
                to_node="C",
                geometry=[(126.5100, 33.5000), (126.5100, 33.5100)],
                lanes=1,
                length_m=1112.0,
                speed_limit_kmh=50.0,
            ),
            Link(
                id="L3",
                from_node="C",
                to_node="A",
                geometry=[(126.5100, 33.5100), (126.5000, 33.5000)],
                lanes=1,
                length_m=1450.0,
            ),
        ],
    )


@pytest.fixture
def sensors() -> list[Sensor]:
    """s1 and s2 on L1, s3 on L2, s4 on L3, s5 on no link."""
    return [
        Sensor(id="s1", kind=SensorKind.LOOP, link_id="L1", lon=126.502, lat=33.5002, name="loop 1"),
        Sensor(id="s2", kind=SensorKind.RADAR, link_id="L1", lon=126.507, lat=33.5002),
        Sensor(id="s3", kind=SensorKind.LOOP, link_id="L2"),
        Sensor(id="s4", kind=SensorKind.CAMERA, link_id="L3"),
        Sensor(id="s5", kind=SensorKind.PROBE),
    ]


@pytest.fixture
def city_store(store: Store, network: RoadNetwork, sensors: list[Sensor]) -> Store:
    """A store holding the small network and its sensors."""
    store.upsert_network(network)
    store.upsert_sensors(sensors)
    return store


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the repository (``TAMNA_DATA`` overrides). Missing data fails, never skips."""
    override = os.environ.get("TAMNA_DATA")
    folder = Path(override) if override else Path(__file__).parents[1] / ".." / "shared" / "data"
    folder = folder.resolve()
    if not folder.is_dir():
        pytest.fail(
            f"the shared data folder {folder} is missing; the data-marked tests read real data from it "
            "(set TAMNA_DATA to its location, or deselect them with -m 'not data')",
            pytrace=False,
        )
    return folder
