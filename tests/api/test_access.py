"""Who may call what: public reads, roles viewer < operator < admin, and keys kept only as hashes."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tamna.domain.access import Role
from tests.api.support import ADMIN_KEY, assert_problem, auth, base_time, reading

PUBLIC_READS = [
    "/healthz",
    "/metrics",
    "/api/v1/network",
    "/api/v1/state/links",
    "/api/v1/state/sensors",
    "/api/v1/sensors",
    "/api/v1/sensors/s1",
]


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_need_no_key(city: TestClient, path: str) -> None:
    response = city.get(path)
    assert response.status_code == 200, response.text
    assert "www-authenticate" not in response.headers


def test_public_reads_answer_what_they_promise(city: TestClient, app: FastAPI) -> None:
    health = city.get("/healthz").json()
    assert (health["status"], health["store"], health["mqtt"]) == ("ok", "duckdb", "off")
    assert health["schema_version"] == app.state.tamna.store.schema_version() >= 1
    metrics = city.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE tamna_ingest_received_total counter" in metrics.text
    network = city.get("/api/v1/network")
    assert network.headers["content-type"] == "application/geo+json"
    assert network.json()["type"] == "FeatureCollection"
    assert [s["id"] for s in city.get("/api/v1/sensors").json()] == ["s1", "s2", "s3", "s4"]
    assert city.get("/api/v1/sensors/s1").json()["link_id"] == "L1"
    assert city.get("/api/v1/state/sensors").json() == []  # nothing measured yet
    assert city.get("/api/v1/state/links").json() == []


def test_history_needs_a_viewer_key(city: TestClient, keys: dict[Role, str]) -> None:
    path = "/api/v1/sensors/s1/history"
    refused = city.get(path)
    body = assert_problem(refused, 401, "unauthorized")
    assert "API key" in body["detail"]
    assert refused.headers["www-authenticate"] == 'Bearer realm="tamna"'
    assert_problem(city.get(path, headers=auth("tmn_000000000000_not-a-key")), 401)
    assert_problem(city.get(path, headers={"Authorization": f"Basic {keys[Role.VIEWER]}"}), 401)
    for role in Role:  # every role includes viewer
        assert city.get(path, headers=auth(keys[role])).status_code == 200, role
    assert city.get(path, headers={"X-API-Key": keys[Role.VIEWER]}).status_code == 200


def test_pushing_observations_needs_an_operator(city: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    body = [reading("s1", base_time(), speed_kmh=40.0)]
    path = "/api/v1/observations"
    assert_problem(city.post(path, json=body), 401, "unauthorized")
    assert_problem(city.post(path, json=body, headers=auth("tmn_000000000000_unknown")), 401, "unauthorized")
    forbidden = assert_problem(city.post(path, json=body, headers=auth(keys[Role.VIEWER])), 403, "forbidden")
    assert "'viewer'" in forbidden["detail"]
    assert "'operator'" in forbidden["detail"]
    assert app.state.tamna.store.count_observations() == 0
    assert city.post(path, json=body, headers=auth(keys[Role.OPERATOR])).json()["stored"] == 1
    assert city.post(path, json=body, headers=auth(keys[Role.ADMIN])).json()["stored"] == 1  # admin ⊇ operator


def test_a_revoked_key_is_refused_at_once(city: TestClient, keys: dict[Role, str]) -> None:
    admin = auth(keys[Role.ADMIN])
    made = city.post("/api/v1/keys", json={"role": "operator", "name": "gateway 7"}, headers=admin)
    assert made.status_code == 201, made.text
    key, key_id = made.json()["key"], made.json()["id"]
    body = [reading("s1", base_time(), speed_kmh=40.0)]
    assert city.post("/api/v1/observations", json=body, headers=auth(key)).status_code == 200
    assert city.delete(f"/api/v1/keys/{key_id}", headers=admin).status_code == 204
    refused = assert_problem(city.post("/api/v1/observations", json=body, headers=auth(key)), 401, "unauthorized")
    assert "revoked" in refused["detail"]
    listed = {k["id"]: k for k in city.get("/api/v1/keys", headers=admin).json()}
    assert listed[key_id]["revoked_at"] is not None
    assert_problem(city.delete("/api/v1/keys/no-such-key", headers=admin), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", "/api/v1/keys", None),
        ("POST", "/api/v1/keys", {"role": "viewer", "name": "x"}),
        ("DELETE", "/api/v1/keys/whatever", None),
    ],
)
def test_key_management_needs_admin(
    client: TestClient, keys: dict[Role, str], method: str, path: str, payload: dict[str, str] | None
) -> None:
    assert_problem(client.request(method, path, json=payload), 401)
    for role in (Role.VIEWER, Role.OPERATOR):
        assert_problem(client.request(method, path, json=payload, headers=auth(keys[role])), 403, "forbidden")


def test_admin_manages_keys(city: TestClient, keys: dict[Role, str]) -> None:
    client = city
    admin = auth(keys[Role.ADMIN])
    made = client.post("/api/v1/keys", json={"role": "viewer", "name": "dashboard"}, headers=admin)
    assert made.status_code == 201
    created = made.json()
    assert created["key"].startswith(f"tmn_{created['id']}_")
    assert (created["role"], created["name"], created["revoked_at"]) == ("viewer", "dashboard", None)
    listed = client.get("/api/v1/keys", headers=admin).json()
    assert {k["id"] for k in listed} >= {created["id"]}
    for entry in listed:  # never the secret, never its hash
        assert set(entry) == {"id", "name", "role", "created_at", "revoked_at"}
    assert client.get("/api/v1/sensors/s1/history", headers=auth(created["key"])).status_code == 200
    bad_role = assert_problem(client.post("/api/v1/keys", json={"role": "root", "name": "x"}, headers=admin), 422)
    assert bad_role["errors"][0]["field"] == "role"
    assert bad_role["errors"][0]["value"] == "root"
    too_long = assert_problem(
        client.post("/api/v1/keys", json={"role": "viewer", "name": "n" * 101}, headers=admin), 422
    )
    assert too_long["errors"][0]["field"] == "name"


def test_keys_are_stored_only_as_hashes(client: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    made = client.post("/api/v1/keys", json={"role": "operator", "name": "hashed"}, headers=auth(keys[Role.ADMIN]))
    key = made.json()["key"]
    # tmn_<id>_<secret>: the secret is urlsafe and may itself hold "_", so it is all that follows the id (its last
    # "_"-piece alone was sometimes a letter or two, found inside "TAMNA_ADMIN_KEY")
    prefix, key_id, secret = key.split("_", 2)
    assert (prefix, key_id) == ("tmn", made.json()["id"]) and len(secret) >= 40
    store = app.state.tamna.store
    record = next(r for r in store.api_keys() if r.id == made.json()["id"])
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    settings_admin = next(r for r in store.api_keys() if r.name == "TAMNA_ADMIN_KEY")
    assert settings_admin.key_hash == hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    path = store.path
    store.close()
    # every cell of every table, read back with DuckDB itself: the hash is there, the key and its secret are not
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        cells = [
            str(cell) for table in tables for row in con.execute(f'SELECT * FROM "{table}"').fetchall() for cell in row
        ]
    assert "api_keys" in tables
    assert record.key_hash in cells
    assert not [cell for cell in cells if secret in cell or ADMIN_KEY in cell]
    raw = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
    assert secret.encode() not in raw
    assert ADMIN_KEY.encode() not in raw
