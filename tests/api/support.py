"""Helpers shared by the API tests: auth headers, problem checks, a small city as GeoJSON, readings."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx2
from fastapi import FastAPI

from tamna.core.timeutil import floor_time, utcnow

#: Accepted at start-up through the settings, as TAMNA_ADMIN_KEY would be.
ADMIN_KEY = "tmn_test-admin-key-0123456789abcdef"
PROBLEM = "application/problem+json"

#: ``make_app(**settings_overrides)``: an app on a DuckDB file in the test's ``tmp_path``.
AppFactory = Callable[..., FastAPI]

#: Three links of Jeju-si's centre: L1 (with a free-flow speed) and L2 one way, L3 back.
CITY_GEOJSON: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [126.5000, 33.5000]},
            "properties": {"id": "A", "name": "Gwandeokjeong"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.5000, 33.5000], [126.5100, 33.5000]]},
            "properties": {
                "id": "L1",
                "from_node": "A",
                "to_node": "B",
                "lanes": 2,
                "speed_limit_kmh": 50,
                "freeflow_speed_kmh": 60,
                "name": "Jungang-ro",
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.5100, 33.5000], [126.5100, 33.5100]]},
            "properties": {"id": "L2", "from_node": "B", "to_node": "C", "speed_limit_kmh": 40},
        },
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [[126.5100, 33.5100], [126.5050, 33.5060], [126.5000, 33.5000]],
            },
            "properties": {"id": "L3", "from_node": "C", "to_node": "A"},
        },
    ],
}

#: s1 and s2 on L1, s3 on L2, s4 on no link.
CITY_SENSORS: list[dict[str, Any]] = [
    {"id": "s1", "kind": "loop", "link_id": "L1", "lon": 126.502, "lat": 33.5001},
    {"id": "s2", "kind": "radar", "link_id": "L1"},
    {"id": "s3", "kind": "loop", "link_id": "L2"},
    {"id": "s4", "kind": "probe"},
]


def auth(key: str) -> dict[str, str]:
    """The bearer header for ``key``."""
    return {"Authorization": f"Bearer {key}"}


def assert_problem(response: httpx2.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    """Check an RFC 9457 problem response and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM, response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://tamna.dev/problems/")
    assert body["title"]
    assert body["detail"]
    if kind is not None:
        assert body["type"] == f"https://tamna.dev/problems/{kind}", body
    return body


def base_time() -> datetime:
    """A recent quarter hour (an hour ago): readings there are valid now and fall in known buckets."""
    return floor_time(utcnow() - timedelta(hours=1), timedelta(minutes=15))


def reading(sensor_id: str, at: datetime, **measures: object) -> dict[str, object]:
    """One JSON observation record."""
    return {"sensor_id": sensor_id, "time": at.isoformat(), **measures}


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition (0 when the sample is absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    selector = re.escape(name) + (re.escape("{" + wanted + "}") if labels else "")
    pattern = re.compile(rf"^{selector} (\S+)$", re.MULTILINE)
    found = pattern.search(text)
    return float(found.group(1)) if found else 0.0
