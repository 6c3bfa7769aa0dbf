"""The road network over the API (GeoJSON in and out) and the OpenAPI document."""

from __future__ import annotations

import copy

from fastapi.testclient import TestClient

from tamna.domain.access import Role
from tests.api.support import CITY_GEOJSON, assert_problem, auth


def test_an_imported_network_comes_back_as_linestrings(client: TestClient, keys: dict[Role, str]) -> None:
    assert client.get("/api/v1/network").json() == {"type": "FeatureCollection", "features": []}
    document = copy.deepcopy(CITY_GEOJSON)
    document["features"].append(
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.5, 33.5], [126.6, 33.6]]},
            "properties": {"id": "L9", "lanes": 40},
        }
    )
    imported = client.post("/api/v1/network", json=document, headers=auth(keys[Role.ADMIN]))
    assert imported.status_code == 200, imported.text
    outcome = imported.json()
    assert (outcome["source"], outcome["nodes"], outcome["links"], outcome["rejected"]) == ("geojson", 3, 3, 1)
    (refused,) = outcome["rejections"]
    assert (refused["field"], refused["value"], refused["position"]) == ("lanes", "40", 4)

    network = client.get("/api/v1/network")
    assert network.headers["content-type"] == "application/geo+json"
    features = {f["id"]: f for f in network.json()["features"]}
    assert set(features) == {"L1", "L2", "L3"}
    assert {f["geometry"]["type"] for f in features.values()} == {"LineString"}
    assert features["L3"]["geometry"]["coordinates"] == [[126.51, 33.51], [126.505, 33.506], [126.5, 33.5]]
    l1 = features["L1"]["properties"]
    assert (l1["from_node"], l1["to_node"], l1["lanes"], l1["name"]) == ("A", "B", 2, "Jungang-ro")
    assert (l1["speed_limit_kmh"], l1["freeflow_speed_kmh"]) == (50.0, 60.0)
    assert 900 < l1["length_m"] < 940  # measured along the line: 0.01° of longitude at 33.5° N

    # a second import replaces what is served at once (the cached GeoJSON is dropped)
    renamed = copy.deepcopy(CITY_GEOJSON)
    renamed["features"][1]["properties"]["name"] = "Jungang-ro (new)"
    assert client.post("/api/v1/network", json=renamed, headers=auth(keys[Role.ADMIN])).status_code == 200
    again = {f["id"]: f for f in client.get("/api/v1/network").json()["features"]}
    assert again["L1"]["properties"]["name"] == "Jungang-ro (new)"


def test_replacing_the_network_needs_admin(client: TestClient, keys: dict[Role, str]) -> None:
    assert_problem(client.post("/api/v1/network", json=CITY_GEOJSON), 401)
    assert_problem(client.post("/api/v1/network", json=CITY_GEOJSON, headers=auth(keys[Role.OPERATOR])), 403)
    assert client.get("/api/v1/network").json()["features"] == []


def test_an_unreadable_network_is_a_400_problem(client: TestClient, keys: dict[Role, str]) -> None:
    admin = auth(keys[Role.ADMIN])
    not_json = assert_problem(client.post("/api/v1/network", content=b"{oops", headers=admin), 400, "unreadable-input")
    assert "not valid JSON" in not_json["detail"]
    not_geojson = assert_problem(client.post("/api/v1/network", json={"type": "Point"}, headers=admin), 400)
    assert "FeatureCollection" in not_geojson["detail"]


PUBLIC_OPERATIONS = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/network"),
    ("GET", "/api/v1/sensors"),
    ("GET", "/api/v1/sensors/{sensor_id}"),
    ("GET", "/api/v1/state/links"),
    ("GET", "/api/v1/state/sensors"),
}
KEYED_OPERATIONS = {
    ("GET", "/api/v1/sensors/{sensor_id}/history"),
    ("GET", "/api/v1/links/{link_id}/history"),
    ("POST", "/api/v1/observations"),
    ("GET", "/api/v1/rejections"),
    ("POST", "/api/v1/sensors"),
    ("POST", "/api/v1/network"),
    ("GET", "/api/v1/keys"),
    ("POST", "/api/v1/keys"),
    ("DELETE", "/api/v1/keys/{key_id}"),
}


def test_openapi_lists_the_routes_and_marks_the_public_ones(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    operations = {(method.upper(), path): op for path, item in spec["paths"].items() for method, op in item.items()}
    public = {key for key, op in operations.items() if op.get("x-public") is True}
    assert public >= PUBLIC_OPERATIONS
    assert not public & KEYED_OPERATIONS
    assert set(operations) >= PUBLIC_OPERATIONS | KEYED_OPERATIONS
    for key, operation in operations.items():  # marked public exactly when no key is asked for
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        if key in public:
            assert not schemes, key
        else:
            assert schemes == {"HTTPBearer", "APIKeyHeader"}, key  # a bearer token or X-API-Key
    push = operations[("POST", "/api/v1/observations")]
    assert set(push["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
    assert {"413", "422"} <= set(push["responses"])
    assert set(spec["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}
    assert "/" not in spec["paths"]  # the landing page is not part of the API
