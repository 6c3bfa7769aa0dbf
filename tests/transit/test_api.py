"""The transit API: arrivals at a stop (JSON, Korean names intact), GTFS-Realtime feeds, the stop board page,
pushing fixes and alerts, and the errors as problem documents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from google.transit import gtfs_realtime_pb2

from tamna.domain.access import Role
from tamna.transit.gtfs.importer import load_feed
from tamna.transit.rtcheck import check_feed
from tamna.transit.schedule import Schedule
from tests.transit.conftest import MORNING, Clock
from tests.transit.support import MONDAY, drive, feed_files, write_folder

Make = Callable[[], tuple[TestClient, dict[Role, str]]]


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _fixes(schedule: Schedule) -> list[dict[str, object]]:
    """Bus 7 on the 08:00 eastbound run of route 100, two minutes late, until 08:05:30."""
    pings = drive(schedule, "100-0-0480", MONDAY, late_s=120, vehicle_id="bus-7")[:8]
    return [
        {"vehicle_id": p.vehicle_id, "time": p.time.isoformat(), "lat": p.lat, "lon": p.lon, "route_id": "R100"}  # type: ignore[attr-defined]
        for p in pings
    ]


def test_arrivals_at_a_stop_from_the_timetable(make_client: Make) -> None:
    client, _ = make_client()
    answer = client.get("/api/v1/stops/S3/arrivals?limit=5")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["stop_name"], body["timezone"], body["feed_id"]) == ("중앙로", "Asia/Seoul", "jeju")
    first = body["arrivals"][0]
    assert all(not a["realtime"] for a in body["arrivals"])
    times = [datetime.fromisoformat(a["predicted"]) for a in body["arrivals"]]
    assert times == sorted(times)
    assert times[0] >= MORNING - timedelta(seconds=60)
    assert {a["route"] for a in body["arrivals"]} <= {"100", "200"}
    assert first["headsign"] in ("탑동", "제주시청")
    missing = client.get("/api/v1/stops/NOPE/arrivals")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "stop 'NOPE' is not in feed 'jeju'" in missing.json()["detail"]


def test_pushed_fixes_make_arrivals_realtime_and_fill_the_feeds(
    make_client: Make, clock: Clock, tmp_path: Path
) -> None:
    client, keys = make_client()
    loaded = load_feed(write_folder(tmp_path / "same", feed_files()), feed_id="jeju")
    schedule = Schedule(loaded.summary, loaded.tables)
    fixes = _fixes(schedule)
    clock.now = datetime.fromisoformat(str(fixes[-1]["time"])) + timedelta(seconds=5)
    refused = client.post("/api/v1/transit/positions", json=fixes)
    assert refused.status_code == 401
    pushed = client.post(
        "/api/v1/transit/positions",
        json=[*fixes, {"vehicle_id": "x", "lat": "north"}],
        headers=_auth(keys[Role.OPERATOR]),
    )
    assert pushed.status_code == 200, pushed.text
    answer = pushed.json()
    assert (answer["received"], answer["matched"], answer["rejected"]) == (9, 8, 1)
    assert answer["rejections"][0]["field"] == "time"
    board = client.get("/api/v1/stops/S5/arrivals").json()
    live = [a for a in board["arrivals"] if a["realtime"]]
    assert [(a["trip_id"], a["vehicle_id"], a["delay_s"]) for a in live] == [("100-0-0480", "bus-7", 120)]
    # S5 is due at 08:08:30 + 2 min = 08:10:30; the clock reads 08:05:35: 4 min 55 s, shown as 4
    assert live[0]["minutes"] == 4
    vehicles = client.get("/api/v1/transit/vehicles").json()
    assert [(v["vehicle_id"], v["trip_id"]) for v in vehicles] == [("bus-7", "100-0-0480")]
    for name in ("trip-updates", "vehicle-positions", "alerts"):
        feed = client.get(f"/gtfs-rt/{name}.pb")
        assert feed.status_code == 200
        assert feed.headers["content-type"] == "application/x-protobuf"
        message = gtfs_realtime_pb2.FeedMessage()
        message.ParseFromString(feed.content)
        assert check_feed(message, schedule, clock.now) == []
        if name != "alerts":
            assert len(message.entity) == 1
    readable = client.get("/gtfs-rt/trip-updates.pb?format=json").json()
    assert readable["entity"][0]["tripUpdate"]["trip"]["tripId"] == "100-0-0480"


def test_alerts_are_managed_by_operators_and_published(make_client: Make, clock: Clock) -> None:
    client, keys = make_client()
    alert = {
        "id": "works-s3",
        "header": "중앙로 정류장 공사",
        "language": "ko",
        "effect": "STOP_MOVED",
        "stop_ids": ["S3"],
        "active_from": (MORNING - timedelta(hours=1)).isoformat(),
    }
    assert client.put("/api/v1/transit/alerts/works-s3", json=alert).status_code == 401
    saved = client.put("/api/v1/transit/alerts/works-s3", json=alert, headers=_auth(keys[Role.OPERATOR]))
    assert saved.status_code == 200, saved.text
    message = gtfs_realtime_pb2.FeedMessage()
    message.ParseFromString(client.get("/gtfs-rt/alerts.pb").content)
    assert [e.alert.header_text.translation[0].text for e in message.entity] == ["중앙로 정류장 공사"]
    nameless = {**alert, "id": "x", "stop_ids": []}
    bad = client.put("/api/v1/transit/alerts/x", json=nameless, headers=_auth(keys[Role.OPERATOR]))
    assert bad.status_code == 422
    gone = client.delete("/api/v1/transit/alerts/works-s3", headers=_auth(keys[Role.OPERATOR]))
    assert gone.status_code == 204
    assert client.get("/api/v1/transit/alerts").json() == []


def test_the_stop_board_page(make_client: Make) -> None:
    client, _ = make_client()
    page = client.get("/board/S3?lang=en")
    assert page.status_code == 200
    assert "<title>중앙로</title>" in page.text
    assert 'data-stop-id="S3"' in page.text and 'data-lang="en"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/board-static/board.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/api/v1/stops/" in script.text
    assert client.get("/board-static/../../pyproject.toml").status_code == 404
    assert client.get("/board/NOPE").status_code == 404


def test_a_garbage_realtime_push_is_a_problem_and_a_dead_letter(make_client: Make) -> None:
    client, keys = make_client()
    answer = client.post("/api/v1/transit/realtime", content=b"\x00\x01garbage", headers=_auth(keys[Role.OPERATOR]))
    assert answer.status_code == 400
    assert "not a GTFS-Realtime FeedMessage" in answer.json()["detail"]
    letters = client.get("/api/v1/rejections", headers=_auth(keys[Role.OPERATOR]))
    assert letters.status_code == 200, letters.text
    assert letters.json()[0]["field"] == "message"
    unmatched = client.get("/api/v1/transit/unmatched", headers=_auth(keys[Role.VIEWER]))
    assert unmatched.status_code == 200
    assert client.get("/api/v1/transit/unmatched").status_code == 401
