"""Vehicle fixes over MQTT on the real broker: stored and matched, malformed messages dead-lettered and
acknowledged (never redelivered forever), each test on a city of its own."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tamna.ingest.mqtt import parse_broker_url
from tamna.store import open_store
from tamna.transit.gtfs.importer import import_feed
from tamna.transit.live import TransitIngest
from tamna.transit.mqtt import VehicleMqttIngest, VehiclePublisher
from tests.transit.conftest import Clock
from tests.transit.support import MONDAY, drive

pytestmark = pytest.mark.mqtt
BROKER = os.environ.get("TAMNA_TEST_MQTT", "mqtt://127.0.0.1:1883")


def _wait(condition: Callable[[], bool], what: Callable[[], str], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s:g} s in vain: {what()}", pytrace=False)
        time.sleep(0.05)


def test_fixes_over_mqtt_are_matched_and_bad_ones_dead_lettered(feed_dir: Path, tmp_path: Path, clock: Clock) -> None:
    host, port = parse_broker_url(BROKER)
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        pytest.fail(
            f"the MQTT broker is not reachable at {host}:{port} (start Mosquitto or set TAMNA_TEST_MQTT)", pytrace=False
        )
    city = f"t{uuid.uuid4().hex[:12]}"
    store = open_store(str(tmp_path / "mqtt.duckdb"))
    store.migrate()
    import_feed(store, feed_dir, feed_id="jeju")
    ingest = TransitIngest(store, clock=clock)
    pings = drive(ingest.schedules.get(), "100-0-0480", MONDAY, late_s=60, vehicle_id="bus-9")[:6]
    clock.now = pings[-1].time + timedelta(seconds=2)  # type: ignore[attr-defined]
    subscriber = VehicleMqttIngest(ingest, BROKER, city, client_id=f"test-{city}", flush_interval_s=0.05)
    publisher = VehiclePublisher(BROKER, city)
    try:
        subscriber.start()
        _wait(subscriber.connected.is_set, lambda: "the subscriber never subscribed")
        publisher.connect()
        for ping in pings:
            publisher.publish(
                "bus-9",
                {
                    "time": ping.time.isoformat(),
                    "lat": ping.lat,
                    "lon": ping.lon,  # type: ignore[attr-defined]
                    "route_id": "R100",
                    "speed_kmh": 21.0,
                },
            )  # type: ignore[attr-defined]
        publisher.publish("bus-9", b"{not json")
        publisher.publish("bus-8", {"time": "2025-01-01T00:00:00Z", "lat": pings[0].lat, "lon": pings[0].lon})  # type: ignore[attr-defined]
        publisher.publish_raw(f"tamna/{city}/vehicles//position", b'{"time": 0, "lat": 1, "lon": 2}')
        _wait(
            lambda: sum(store.count_vehicle_states("jeju").values()) == 6 and store.count_rejections() == 3,
            lambda: f"{store.count_vehicle_states('jeju')} stored, {store.count_rejections()} refused",
        )
    finally:
        publisher.close()
        subscriber.stop()
    assert store.count_vehicle_states("jeju") == {"schedule": 6}
    reasons = sorted(r.reason for r in store.rejections(source="mqtt:vehicles"))
    assert reasons[0].startswith("malformed JSON")
    assert "older than now" in reasons[2] or "older than now" in reasons[1]
    assert any("is not tamna/<city>/vehicles/<vehicle_id>/position" in r for r in reasons)
    [state] = store.latest_vehicle_states("jeju")
    assert (state.vehicle_id, state.trip_id, state.speed_kmh) == ("bus-9", "100-0-0480", 21.0)
    store.close()
