"""Pushing observations over HTTP: body shapes, partial refusals, problems, limits, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tamna.api.keys import create_api_key
from tamna.domain.access import Role
from tests.api.support import AppFactory, assert_problem, auth, base_time, metric, reading

PUSH = "/api/v1/observations"


def test_a_json_array_is_stored(city: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    t0 = base_time()
    body = [
        reading("s1", t0, speed_kmh=42.5, flow_vph=900, occupancy_pct=12.5),
        reading("s1", t0 + timedelta(minutes=1), speed_kmh=38.0),
        reading("s3", t0, flow_vph=300, quality="suspect"),
    ]
    answer = city.post(PUSH, json=body, headers=auth(keys[Role.OPERATOR]))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 3, "stored": 3, "rejected": 0, "rejections": []}
    assert app.state.tamna.store.count_observations() == 3
    latest = {s["sensor_id"]: s for s in city.get("/api/v1/state/sensors").json()}
    assert set(latest) == {"s1", "s3"}
    assert latest["s1"]["speed_kmh"] == 38.0
    assert latest["s3"]["quality"] == 1  # suspect


def test_a_single_object_is_stored(city: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    one = reading("s2", base_time(), speed_kmh=55.0)
    answer = city.post(PUSH, content=orjson.dumps(one), headers=auth(keys[Role.OPERATOR]))
    assert answer.json() == {"received": 1, "stored": 1, "rejected": 0, "rejections": []}
    assert app.state.tamna.store.count_observations() == 1


def test_ndjson_is_stored_line_by_line(city: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    t0 = base_time()
    lines = [orjson.dumps(reading("s1", t0 + timedelta(seconds=30 * i), speed_kmh=30.0 + i)) for i in range(5)]
    body = b"\n".join([*lines[:2], b"", *lines[2:], b"{not json"]) + b"\n"
    headers = {**auth(keys[Role.OPERATOR]), "Content-Type": "application/x-ndjson"}
    answer = city.post(PUSH, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["received"], result["stored"], result["rejected"]) == (6, 5, 1)
    (refused,) = result["rejections"]
    assert refused["field"] == "record"
    assert refused["position"] == 7  # the line number, counting the blank line
    assert refused["record"] == "{not json"
    assert "malformed JSON on line 7" in refused["reason"]
    assert app.state.tamna.store.count_observations() == 5


def test_a_mixed_batch_stores_the_valid_and_names_each_refusal(
    city: TestClient, app: FastAPI, keys: dict[Role, str]
) -> None:
    t0 = base_time()
    body = [
        reading("s1", t0, speed_kmh=40.0),
        reading("ghost", t0, speed_kmh=40.0),
        reading("s1", t0 + timedelta(minutes=1), speed_kmh=999.0),
        {"sensor_id": "s2", "time": "2026-03-02T12:00:00", "speed_kmh": 40.0},
        reading("s2", t0, speed_kmh="fast"),
        reading("s2", t0, flow_vph=-5),
        reading("s3", t0 + timedelta(days=1), speed_kmh=40.0),
        reading("s3", t0),
        "not an object",
        reading("s2", t0 + timedelta(minutes=2), occupancy_pct=7.5),
    ]
    answer = city.post(PUSH, json=body, headers=auth(keys[Role.OPERATOR]))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["received"], result["stored"], result["rejected"]) == (10, 2, 8)
    refused = {r["position"]: (r["field"], r["value"]) for r in result["rejections"]}
    assert refused == {
        1: ("sensor_id", "ghost"),
        2: ("speed_kmh", "999"),
        3: ("time", "2026-03-02T12:00:00"),
        4: ("speed_kmh", "fast"),
        5: ("flow_vph", "-5"),
        6: ("time", refused[6][1]),
        7: ("speed_kmh", ""),
        8: ("record", '"not an object"'),  # as JSON, so that a string and a number stay apart
    }
    reasons = {r["position"]: r["reason"] for r in result["rejections"]}
    assert reasons[1] == "sensor_id 'ghost' is not a registered sensor"
    assert reasons[2] == "speed_kmh 999 is outside 0–250"
    assert "no UTC offset" in reasons[3]
    assert "in the future" in reasons[6]
    assert "all missing" in reasons[7]
    assert reasons[8] == "record is a JSON string, not an object"
    assert app.state.tamna.store.count_observations() == 2
    # the same refusals are kept as dead letters, under the pushing key's id
    letters = city.get("/api/v1/rejections", headers=auth(keys[Role.OPERATOR]))
    assert letters.status_code == 200
    assert len(letters.json()) == 8
    assert {r["source"] for r in letters.json()} == {result["rejections"][0]["source"]}
    assert result["rejections"][0]["source"].startswith("http:")
    assert_problem(city.get("/api/v1/rejections", headers=auth(keys[Role.VIEWER])), 403)


def test_an_all_invalid_batch_is_a_422_problem(city: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    body = [reading("ghost", base_time(), speed_kmh=40.0), reading("s1", base_time(), occupancy_pct=140)]
    problem = assert_problem(city.post(PUSH, json=body, headers=auth(keys[Role.OPERATOR])), 422, "invalid-input")
    assert problem["instance"] == PUSH
    assert "all 2 records were refused" in problem["detail"]
    assert [(e["field"], e["value"], e["position"]) for e in problem["errors"]] == [
        ("sensor_id", "ghost", 0),
        ("occupancy_pct", "140", 1),
    ]
    assert all(e["reason"] for e in problem["errors"])
    assert app.state.tamna.store.count_observations() == 0
    assert app.state.tamna.store.count_rejections() == 2


def test_a_malformed_body_is_a_422_problem(city: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    operator = auth(keys[Role.OPERATOR])
    truncated = assert_problem(city.post(PUSH, content=b'[{"sensor_id": "s1", "time": ', headers=operator), 422)
    assert truncated["errors"][0]["field"] == "record"
    assert "malformed JSON" in truncated["errors"][0]["reason"]
    empty = assert_problem(city.post(PUSH, content=b"", headers=operator), 422, "invalid-input")
    assert "empty" in empty["detail"]
    binary = assert_problem(city.post(PUSH, content=b"\xff\xfe\x00\x01", headers=operator), 422, "invalid-input")
    assert "malformed JSON" in binary["detail"]
    assert app.state.tamna.store.count_observations() == 0
    # a body FastAPI parses itself reports the body as the field, not the character where parsing stopped
    sensors = assert_problem(
        city.post("/api/v1/sensors", content=b'[{"id": ', headers={**operator, "Content-Type": "application/json"}),
        422,
        "invalid-input",
    )
    assert sensors["errors"][0]["field"] == "body"


def test_a_body_over_the_size_limit_is_a_413_problem(make_app: AppFactory) -> None:
    app = make_app(max_body_bytes=1024)
    operator = auth(_operator_key(app))
    big = orjson.dumps([reading("s1", base_time(), speed_kmh=40.0)] * 40)
    assert len(big) > 1024
    with TestClient(app) as client:
        declared = assert_problem(client.post(PUSH, content=big, headers=operator), 413, "body-too-large")
        assert "1024 bytes" in declared["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming too
            for start in range(0, len(big), 256):
                yield big[start : start + 256]

        assert_problem(client.post(PUSH, content=chunks(), headers=operator), 413, "body-too-large")
        network = client.post("/api/v1/network", content=b" " * 2000, headers=operator)
        assert_problem(network, 413, "body-too-large")
        assert client.get("/healthz").status_code == 200
        small = client.post(PUSH, content=big[:900], headers=operator)
        assert small.status_code == 422  # within the limit, so read (and refused as cut-off JSON)
    assert app.state.tamna.store.count_observations() == 0


def test_a_batch_over_the_record_limit_is_a_413_problem(make_app: AppFactory) -> None:
    app = make_app(max_batch_records=2)
    operator = auth(_operator_key(app))
    body = [reading("s1", base_time() + timedelta(minutes=i), speed_kmh=40.0) for i in range(3)]
    with TestClient(app) as client:
        problem = assert_problem(client.post(PUSH, json=body, headers=operator), 413, "batch-too-large")
        assert "3 records exceed the limit of 2" in problem["detail"]
    assert app.state.tamna.store.count_observations() == 0


def test_metrics_count_what_was_ingested(city: TestClient, keys: dict[Role, str]) -> None:
    before = city.get("/metrics").text
    t0 = base_time()
    body = [reading("s1", t0, speed_kmh=40.0), reading("s2", t0, speed_kmh=41.0), reading("s1", t0, speed_kmh=-1)]
    assert city.post(PUSH, json=body, headers=auth(keys[Role.OPERATOR])).json()["stored"] == 2
    assert_problem(city.post(PUSH, json=[reading("ghost", t0, flow_vph=1)], headers=auth(keys[Role.OPERATOR])), 422)
    after = city.get("/metrics").text
    counted = [
        ("tamna_ingest_received_total", {"path": "http"}, 4),
        ("tamna_ingest_stored_total", {"path": "http"}, 2),
        ("tamna_ingest_rejected_total", {"path": "http", "field": "speed_kmh"}, 1),
        ("tamna_ingest_rejected_total", {"path": "http", "field": "sensor_id"}, 1),
        ("tamna_http_requests_total", {"method": "POST", "route": PUSH, "status": "200"}, 1),
        ("tamna_http_requests_total", {"method": "POST", "route": PUSH, "status": "422"}, 1),
    ]
    for name, labels, increase in counted:
        assert metric(after, name, **labels) - metric(before, name, **labels) == increase, (name, labels)
    assert metric(after, "tamna_http_requests_total", method="GET", route="/metrics", status="200") >= 1
    assert metric(after, "tamna_mqtt_connected") == 0


def test_the_app_keeps_serving_after_bad_input(city: TestClient, app: FastAPI, keys: dict[Role, str]) -> None:
    operator = auth(keys[Role.OPERATOR])
    garbage = [
        b"\x00\x01\x02garbage\xff",
        b"[" * 10_000,
        b'{"sensor_id": {"nested": [1, 2, {"deep": null}]}, "time": 12}',
        b"[1, 2, 3]",
        b"null",
        b'[{"sensor_id": "s1", "time": "2026-03-02T12:00:00Z", "speed_kmh": 1e999}]',
        "🚗 ünïcode, not JSON".encode(),
    ]
    for body in garbage:
        response = city.post(PUSH, content=body, headers=operator)
        assert response.status_code in (200, 422), (body[:40], response.text)
        assert city.get("/healthz").status_code == 200
    assert_problem(city.post("/api/v1/network", content=b"\xff\xfe", headers=auth(keys[Role.ADMIN])), 400)
    assert_problem(city.get("/api/v1/state/links?max_age_s=-3"), 422)
    assert_problem(city.get("/no/such/page"), 404)
    assert_problem(city.put("/healthz"), 405)
    stored = city.post(PUSH, json=[reading("s4", base_time(), speed_kmh=33.0)], headers=operator)
    assert stored.json()["stored"] == 1
    assert city.get("/healthz").json()["status"] == "ok"
    assert app.state.tamna.store.count_observations() == 1


def _operator_key(app: FastAPI) -> str:
    return create_api_key(app.state.tamna.store, Role.OPERATOR, "limits")[0]
