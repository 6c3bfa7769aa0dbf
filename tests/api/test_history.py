"""Live state and history through the API, on DuckDB and on PostgreSQL, and the problems of bad queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tamna.api.keys import create_api_key
from tamna.domain.access import Role
from tests.api.support import (
    ADMIN_KEY,
    CITY_GEOJSON,
    CITY_SENSORS,
    AppFactory,
    assert_problem,
    auth,
    base_time,
    reading,
)


def test_ingest_then_state_and_history(make_app: AppFactory, store_url: str) -> None:
    """The whole read path on each backend (``store_url`` is a DuckDB file, then a fresh PostgreSQL schema)."""
    app = make_app(db=store_url)
    state = app.state.tamna
    assert state.store.backend == ("postgresql" if store_url.startswith("postgresql") else "duckdb")
    operator = auth(create_api_key(state.store, Role.OPERATOR, "flow")[0])
    viewer = auth(create_api_key(state.store, Role.VIEWER, "flow")[0])
    t0 = base_time()
    m = timedelta(minutes=1)
    with TestClient(app) as client:
        assert client.get("/healthz").json()["store"] == state.store.backend
        assert client.post("/api/v1/network", json=CITY_GEOJSON, headers=auth(ADMIN_KEY)).json()["links"] == 3
        assert client.post("/api/v1/sensors", json=CITY_SENSORS, headers=operator).json() == {"registered": 4}
        body = [
            reading("s1", t0, speed_kmh=40.0, flow_vph=600),
            reading("s1", t0 + m, speed_kmh=50.0, flow_vph=800),
            reading("s1", t0 + 6 * m, speed_kmh=60.0, flow_vph=1000),
            reading("s2", t0 + 2 * m, speed_kmh=30.0),
            reading("s3", t0 + 3 * m, speed_kmh=20.0, occupancy_pct=35.0),
            reading("s4", t0 + 4 * m, speed_kmh=10.0),
        ]
        pushed = client.post("/api/v1/observations", json=body, headers=operator)
        assert pushed.json() == {"received": 6, "stored": 6, "rejected": 0, "rejections": []}
        # the same batch again changes nothing: readings are keyed by (sensor, time)
        assert client.post("/api/v1/observations", json=body, headers=operator).json()["stored"] == 6
        assert state.store.count_observations() == 6

        sensors = {s["sensor_id"]: s for s in client.get("/api/v1/state/sensors").json()}
        assert {k: (v["speed_kmh"], v["link_id"]) for k, v in sensors.items()} == {
            "s1": (pytest.approx(60.0), "L1"),
            "s2": (pytest.approx(30.0), "L1"),
            "s3": (pytest.approx(20.0), "L2"),
            "s4": (pytest.approx(10.0), None),
        }
        assert sensors["s1"]["time"] == _iso(t0 + 6 * m)
        links = {s["link_id"]: s for s in client.get("/api/v1/state/links").json()}
        assert set(links) == {"L1", "L2"}
        assert links["L1"]["sensors"] == 2
        assert links["L1"]["speed_kmh"] == pytest.approx(45.0)
        assert links["L1"]["reference_speed_kmh"] == pytest.approx(60.0)  # free flow beats the limit
        assert links["L1"]["speed_ratio"] == pytest.approx(0.75)
        assert links["L2"]["speed_ratio"] == pytest.approx(0.5)  # 20 of a 40 km/h limit
        assert links["L2"]["occupancy_pct"] == pytest.approx(35.0)
        assert client.get("/api/v1/state/links", params={"max_age_s": 60}).json() == []  # all an hour old
        assert len(client.get("/api/v1/state/sensors", params={"max_age_s": 7200}).json()) == 4

        window = {"start": t0.isoformat(), "end": (t0 + 15 * m).isoformat()}
        raw = client.get("/api/v1/sensors/s1/history", params={**window, "bucket": "raw"}, headers=viewer)
        assert raw.status_code == 200, raw.text
        assert raw.json()["bucket"] == "raw"
        assert _points(raw.json()) == [(_iso(t0), 40.0, 1), (_iso(t0 + m), 50.0, 1), (_iso(t0 + 6 * m), 60.0, 1)]
        five = client.get("/api/v1/sensors/s1/history", params={**window, "bucket": "5m"}, headers=viewer).json()
        assert _points(five) == [(_iso(t0), 45.0, 2), (_iso(t0 + 5 * m), 60.0, 1)]
        assert five["points"][0]["flow_vph"] == pytest.approx(700.0)
        link = client.get("/api/v1/links/L1/history", params={**window, "bucket": "5m"}, headers=viewer).json()
        assert link["link_id"] == "L1"
        assert _points(link) == [(_iso(t0), 40.0, 3), (_iso(t0 + 5 * m), 60.0, 1)]
        state.pipeline.flush_rollups()  # what the background worker does every few seconds
        quarter = client.get("/api/v1/links/L1/history", params={**window, "bucket": "15m"}, headers=viewer).json()
        assert _points(quarter) == [(_iso(t0), 45.0, 4)]
        assert client.get("/api/v1/links/L3/history", params=window, headers=viewer).json()["points"] == []
        default = client.get("/api/v1/sensors/s1/history", headers=viewer).json()
        assert default["bucket"] == "5m"  # the default window is the last 24 h
        assert sum(p["samples"] for p in default["points"]) == 3


def test_unknown_sensor_or_link_history_is_a_404_problem(city: TestClient, keys: dict[Role, str]) -> None:
    viewer = auth(keys[Role.VIEWER])
    sensor = assert_problem(city.get("/api/v1/sensors/nope/history", headers=viewer), 404, "not-found")
    assert "'nope'" in sensor["detail"]
    assert sensor["instance"] == "/api/v1/sensors/nope/history"
    link = assert_problem(city.get("/api/v1/links/L404/history", headers=viewer), 404, "not-found")
    assert "'L404'" in link["detail"]
    assert_problem(city.get("/api/v1/sensors/nope"), 404, "not-found")


@pytest.mark.parametrize(
    ("params", "field", "value", "says"),
    [
        ({"bucket": "7m"}, "bucket", "7m", "'1m'"),
        (
            {"start": "2026-03-02T12:00:00+00:00", "end": "2026-03-02T11:00:00+00:00"},
            "start",
            "2026-03-02T12:00:00+00:00",
            "is not before end",
        ),
        ({"start": "2026-03-02T12:00:00", "end": "2026-03-02T13:00:00+00:00"}, "start", None, "no UTC offset"),
        ({"start": "yesterday"}, "start", "yesterday", "datetime"),
        ({"start": "2024-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start", None, "exceeds 400"),
    ],
)
def test_bad_history_queries_are_422_problems_naming_the_field(
    city: TestClient, keys: dict[Role, str], params: dict[str, str], field: str, value: str | None, says: str
) -> None:
    for path in ("/api/v1/sensors/s1/history", "/api/v1/links/L1/history"):
        problem = assert_problem(city.get(path, params=params, headers=auth(keys[Role.VIEWER])), 422, "invalid-input")
        (error,) = problem["errors"]
        assert error["field"] == field
        if value is not None:
            assert error["value"] == value
        assert says in error["reason"]
        assert says in problem["detail"]


def _iso(at: datetime) -> str:
    """A time as the API writes it (UTC with a ``Z``)."""
    return at.isoformat().replace("+00:00", "Z")


def _points(history: dict[str, object]) -> list[tuple[str, object, int]]:
    points = history["points"]
    assert isinstance(points, list)
    return [(p["time"], pytest.approx(p["speed_kmh"], rel=1e-6), p["samples"]) for p in points]
