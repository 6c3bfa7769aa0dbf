"""Serving the dashboard: the page, its sources and MapLibre from web/ only, the set-up message, and the public
endpoints the page reads (KPIs, recent history, signal nodes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tamna.api.app import build_state, create_app
from tamna.api.web import WEB_ROOT, build_router
from tamna.core.settings import Settings
from tamna.core.timeutil import utcnow
from tamna.domain.network import RoadNetwork
from tamna.domain.sensors import Sensor

PROBLEM = "application/problem+json"


@pytest.fixture
def client(tmp_path: Path, network: RoadNetwork, sensors: list[Sensor]) -> Iterator[TestClient]:
    """The API on a DuckDB file with the three-link city, its sensors and an hour of readings on L1."""
    state = build_state(Settings(data_dir=tmp_path, env="test"))
    state.store.upsert_network(network)
    state.store.upsert_sensors(sensors)
    state.pipeline.reload_sensors()
    now = utcnow()
    state.pipeline.ingest_records(
        [
            {"sensor_id": "s1", "time": (now - timedelta(minutes=m)).isoformat(), "speed_kmh": 30.0 + m % 7}
            for m in range(0, 600, 2)  # 10 h, every 2 minutes
        ],
        source="test",
    )
    with TestClient(create_app(state.settings, app_state=state, background=False)) as test_client:
        yield test_client
    state.store.close()


def test_the_dashboard_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert '<meta name="tamna-timezone" content="Asia/Seoul">' in page.text
    assert '<meta name="tamna-live-window-s" content="900">' in page.text
    assert "{{" not in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from elsewhere


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/web/main.js", "text/javascript"),
        ("/web/style.css", "text/css"),
        ("/vendor/maplibre-gl/maplibre-gl.mjs", "text/javascript"),  # v6 ships ES modules only
        ("/vendor/maplibre-gl/maplibre-gl-worker.mjs", "text/javascript"),
        ("/vendor/maplibre-gl/maplibre-gl.css", "text/css"),
    ],
)
def test_sources_and_the_map_library_are_served_and_revalidated(client: TestClient, path: str, media_type: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-cache"
    again = client.get(path, headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/web/../pyproject.toml",
        "/web/%2e%2e/%2e%2e/pyproject.toml",
        "/web/..%2F..%2Fpyproject.toml",
        "/web/%2Fetc%2Fpasswd.js",
        "/web/.hidden.js",
        "/web/index.html",  # the page is served at / only, with its policy
        "/web/nothing.js",
        "/vendor/maplibre-gl/package.json",
        "/vendor/maplibre-gl/maplibre-gl.mjs.map",
        "/vendor/maplibre-gl/..%2F..%2F..%2Fpackage.json",
        "/vendor/earcut/earcut.js",
    ],
)
def test_nothing_else_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_link_out_of_the_sources_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "web"
    (root / "src").mkdir(parents=True)
    secret = tmp_path / "secret.js"
    secret.write_text("const key = 'tmn_secret';")
    (root / "src" / "leak.js").symlink_to(secret)
    (root / "src" / "app.js").write_text("export {};")
    app = FastAPI()
    app.include_router(build_router(root))
    with TestClient(app) as plain:
        assert plain.get("/web/app.js").status_code == 200
        assert plain.get("/web/leak.js").status_code == 404


def test_without_node_modules_the_page_says_to_run_make_setup(tmp_path: Path) -> None:
    root = tmp_path / "web"
    (root / "src").mkdir(parents=True)
    (root / "src" / "index.html").write_text((WEB_ROOT / "src" / "index.html").read_text(encoding="utf-8"))
    app = FastAPI()
    app.state.tamna = build_state(Settings(data_dir=tmp_path, env="test"))
    app.include_router(build_router(root))
    with TestClient(app) as plain:
        page = plain.get("/")
        assert page.status_code == 503
        assert "make setup" in page.text
        assert "MapLibre GL JS is missing" in page.text
        assert plain.get("/vendor/maplibre-gl/maplibre-gl.mjs").status_code == 404
    app.state.tamna.store.close()


def test_recent_history_is_public_and_bounded(client: TestClient) -> None:
    link = client.get("/api/v1/links/L1/recent")
    assert link.status_code == 200, link.text
    body = link.json()
    assert body["link_id"] == "L1"
    assert body["bucket"] == "1m"
    assert 170 <= len(body["points"]) <= 181  # 6 h of 2-minute readings in 1-minute buckets
    day = client.get("/api/v1/sensors/s1/recent", params={"hours": 24}).json()
    assert day["bucket"] == "5m"
    assert len(day["points"]) <= 288
    assert client.get("/api/v1/sensors/s1/recent", params={"hours": 25}).status_code == 422
    assert client.get("/api/v1/sensors/s1/recent", params={"hours": 0}).status_code == 422
    assert client.get("/api/v1/links/nowhere/recent").status_code == 404
    # the full history stays with viewer keys
    assert client.get("/api/v1/links/L1/history").status_code == 401


def test_kpis_and_signal_nodes_are_public(client: TestClient) -> None:
    kpis = client.get("/api/v1/kpis")
    assert kpis.status_code == 200
    body = kpis.json()
    assert body["links_total"] == 3
    assert body["links_reporting"] == 1
    assert body["vehicles_in_network"] is None
    assert body["alerts_open"] == 0
    nodes = client.get("/api/v1/network/nodes", params={"kind": "traffic_light"})
    assert nodes.headers["content-type"] == "application/geo+json"
    features = nodes.json()["features"]
    assert [f["id"] for f in features] == ["A"]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [126.5, 33.5]}
    assert len(client.get("/api/v1/network/nodes").json()["features"]) == 3


def test_the_new_reads_are_marked_public_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/kpis", "/api/v1/stream", "/api/v1/links/{link_id}/recent", "/api/v1/network/nodes"):
        assert paths[path]["get"].get("x-public") is True, path
