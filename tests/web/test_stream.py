"""The live stream: bounded queues that drop a client who falls behind, heartbeats, prompt clean-up when a
browser leaves, and events from worker threads reaching a real server's clients."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Message

from tamna.api.app import build_state, create_app
from tamna.api.live import LiveFeed, end_streams
from tamna.api.sse import EventStreamResponse, SseHub
from tamna.api.state import AppState
from tamna.core.settings import Settings
from tamna.core.timeutil import utcnow
from tamna.domain.network import RoadNetwork
from tamna.domain.sensors import Sensor
from tamna.domain.vehicles import VehiclePosition
from tests.web.support import serve


def test_a_client_that_falls_behind_is_dropped_not_buffered() -> None:
    hub = SseHub(queue_size=3)
    slow, quick = hub.connect(), hub.connect()
    for number in range(5):
        hub.publish("kpis", b'{"n":%d}' % number)
        while not quick.queue.empty():
            quick.queue.get_nowait()
    assert slow.dropped and not quick.dropped
    assert hub.clients == 1
    assert hub.dropped_total == 1
    assert slow.queue.qsize() == 1  # only the end-of-stream marker is left of what it held


def run_async(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``scenario`` on a fresh event loop in its own thread (the main thread may hold Playwright's loop)."""
    failures: list[BaseException] = []

    def work() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as err:  # noqa: BLE001 - an assertion or any error is handed to the test thread
            failures.append(err)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the scenario did not finish within 10 s"
    if failures:
        raise failures[0]


class FakePeer:
    """The ASGI server side of one request: collects what the response sends, disconnects on demand."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.leave = asyncio.Event()
        self.blocked = asyncio.Event()
        self.blocked.set()

    async def receive(self) -> Message:
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        await self.blocked.wait()
        self.sent.append(message)

    @property
    def body(self) -> str:
        return b"".join(m.get("body", b"") for m in self.sent).decode()


def test_the_stream_sends_events_and_heartbeats_and_forgets_a_browser_that_left() -> None:
    async def scenario() -> None:
        hub = SseHub(heartbeat_s=0.05)
        peer = FakePeer()
        task = asyncio.create_task(EventStreamResponse(hub)({"type": "http"}, peer.receive, peer.send))
        await asyncio.sleep(0.01)
        assert hub.clients == 1
        hub.publish("kpis", b'{"mean_speed_kmh":41.5}')
        await asyncio.sleep(0.12)
        peer.leave.set()
        await asyncio.wait_for(task, timeout=1)
        assert hub.clients == 0
        start = peer.sent[0]
        assert start["status"] == 200
        assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
        assert not any(name == b"content-length" for name, _ in start["headers"])
        assert peer.body.startswith("retry: 2000\n")
        assert 'event: kpis\ndata: {"mean_speed_kmh":41.5}\n\n' in peer.body
        assert ": keep-alive\n\n" in peer.body

    run_async(scenario)


def test_a_dropped_client_sees_its_stream_end_so_that_it_reconnects() -> None:
    async def scenario() -> None:
        hub = SseHub(queue_size=2, heartbeat_s=10)
        peer = FakePeer()
        task = asyncio.create_task(EventStreamResponse(hub)({"type": "http"}, peer.receive, peer.send))
        await asyncio.sleep(0.01)
        peer.blocked.clear()  # the network to this browser stalls
        for number in range(6):
            hub.publish("links", b'{"n":%d}' % number)
            await asyncio.sleep(0)
        assert hub.clients == 0
        peer.blocked.set()
        await asyncio.wait_for(task, timeout=1)
        assert peer.sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}

    run_async(scenario)


@pytest.fixture
def server(tmp_path: Path, network: RoadNetwork, sensors: list[Sensor]) -> Iterator[tuple[str, AppState, Any]]:
    state = build_state(Settings(data_dir=tmp_path, env="test"))
    state.store.upsert_network(network)
    state.store.upsert_sensors(sensors)
    state.pipeline.reload_sensors()
    app = create_app(state.settings, app_state=state, background=False)
    with serve(app) as url:
        yield url, state, app
    state.store.close()


class StreamReader:
    """A raw HTTP/1.1 client of the event stream."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=5)
        self.connection.request("GET", "/api/v1/stream")
        self.response = self.connection.getresponse()

    def next_event(self, name: str, timeout_s: float = 3.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        event = None
        while time.monotonic() < deadline:
            line = self.response.fp.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == name:
                data: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return data
        raise AssertionError(f"no {name!r} event within {timeout_s} s")

    def close(self) -> None:
        self.connection.close()


def wait_for(predicate: Any, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_readings_stored_on_a_worker_thread_reach_the_stream(server: tuple[str, AppState, Any]) -> None:
    url, state, app = server
    reader = StreamReader(url)
    assert reader.response.status == 200
    assert reader.response.headers["content-type"] == "text/event-stream; charset=utf-8"
    feed: LiveFeed = app.state.live
    wait_for(lambda: feed.hub.clients == 1)

    now = utcnow().isoformat()
    records: list[object] = [
        {"sensor_id": "s1", "time": now, "speed_kmh": 18.0, "flow_vph": 900.0},
        {"sensor_id": "s3", "time": now, "speed_kmh": 45.0},
    ]
    started = time.monotonic()
    worker = threading.Thread(target=state.pipeline.ingest_records, args=(records,), kwargs={"source": "test"})
    worker.start()
    links = reader.next_event("links")
    elapsed = time.monotonic() - started
    worker.join()
    assert elapsed < 1.0
    by_link = {row["link_id"]: row for row in links["links"]}
    assert set(by_link) == {"L1", "L2"}
    assert by_link["L1"]["speed_kmh"] == 18.0
    assert by_link["L1"]["speed_ratio"] == 0.3  # 18 of L1's 60 km/h free flow
    kpis = reader.next_event("kpis")
    assert kpis["links_reporting"] == 2
    assert kpis["congested_links"] == 1

    positions = [VehiclePosition(vehicle_id="bus-7", time=utcnow(), lon=126.505, lat=33.5, route_id="365")]
    state.bus.publish("vehicles.positions", {"time": utcnow(), "positions": positions})
    vehicles = reader.next_event("vehicles")
    assert vehicles["vehicles"] == [
        {
            "vehicle_id": "bus-7",
            "kind": "bus",
            "lon": 126.505,
            "lat": 33.5,
            "bearing_deg": None,
            "speed_kmh": None,
            "route_id": "365",
        }
    ]
    state.bus.publish(
        "twin.tick", {"sim_time": "2026-11-25T00:00:01Z", "vehicles_running": 4, "speed": 1.0, "paused": False}
    )
    assert reader.next_event("twin")["vehicles_running"] == 4

    reader.close()  # the browser leaves: the server forgets it without waiting for a heartbeat
    wait_for(lambda: feed.hub.clients == 0, timeout_s=2)


def test_the_stream_refuses_clients_beyond_its_limit(server: tuple[str, AppState, Any]) -> None:
    url, _, app = server
    feed: LiveFeed = app.state.live
    feed.hub.max_clients = 1
    first = StreamReader(url)
    wait_for(lambda: feed.hub.clients == 1)
    second = StreamReader(url)
    assert second.response.status == 503
    assert second.response.headers["content-type"] == "application/problem+json"
    assert json.loads(second.response.read())["type"].endswith("/stream-full")
    second.close()
    first.close()
    wait_for(lambda: feed.hub.clients == 0, timeout_s=2)


def test_a_burst_of_readings_gives_few_messages(server: tuple[str, AppState, Any]) -> None:
    url, state, app = server
    reader = StreamReader(url)
    feed: LiveFeed = app.state.live
    wait_for(lambda: feed.hub.clients == 1)
    start = utcnow()
    for second in range(20):  # twenty single-reading pushes, as an MQTT gateway sends them
        at = start.replace(microsecond=0).isoformat()
        state.pipeline.ingest_records([{"sensor_id": "s1", "time": at, "speed_kmh": 30.0 + second}], source="mqtt")
    first = reader.next_event("links")
    assert first["links"][0]["speed_kmh"] >= 30.0
    last = first
    deadline = time.monotonic() + 1.0
    messages = 1
    while last["links"][0]["speed_kmh"] != 49.0 and time.monotonic() < deadline:
        last = reader.next_event("links")
        messages += 1
    assert last["links"][0]["speed_kmh"] == 49.0
    assert messages <= 5
    reader.close()


def test_a_stopping_server_ends_its_streams_at_once(server: tuple[str, AppState, Any]) -> None:
    url, _, app = server
    reader = StreamReader(url)
    feed: LiveFeed = app.state.live
    wait_for(lambda: feed.hub.clients == 1)
    started = time.monotonic()
    end_streams(app)  # what Ctrl+C or SIGTERM does under `tamna serve`, before uvicorn waits for open requests
    rest = reader.response.read()  # returns only because the stream ended, cleanly, instead of holding the server
    assert rest == b"retry: 2000\n: connected\n\n"
    assert time.monotonic() - started < 1.0
    wait_for(lambda: feed.hub.clients == 0)
    refused = StreamReader(url)
    assert refused.response.status == 503
    assert json.loads(refused.response.read())["type"].endswith("/stopping")
    refused.close()
    reader.close()


def test_a_feed_woken_without_pause_still_stops(tmp_path: Path) -> None:
    """A twin at full speed wakes the feed without pause; stopping it must end the sending loop every time
    (on Python 3.11 a cancellation arriving with a wake-up was once swallowed and the server's shutdown hung)."""
    state = build_state(Settings(data_dir=tmp_path, env="test"))
    stop_ticking = threading.Event()

    def tick() -> None:
        while not stop_ticking.is_set():
            state.bus.publish("twin.tick", {"time": 1.0})
            time.sleep(0.0005)

    async def scenario() -> None:
        for _ in range(20):
            feed = LiveFeed(state, SseHub(), coalesce_s=0.001, min_interval_s=0.0)
            await feed.start()
            feed.hub.connect()  # a client, so that each round does its work
            await asyncio.sleep(0.01)
            started = time.monotonic()
            await feed.stop()
            assert feed._task is not None and feed._task.done()
            assert time.monotonic() - started < 1.0

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        run_async(scenario)
    finally:
        stop_ticking.set()
        ticker.join()
        state.store.close()
