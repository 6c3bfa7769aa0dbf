"""With a broker configured, the twin's readings take the field's road: published to the sensors' MQTT topics,
ingested by the platform's subscriber, and stored, every one of them."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tamna.ingest.mqtt import MqttIngest, parse_broker_url
from tamna.twin.outbox import mqtt_sink
from tamna.twin.scenario import load_scenario
from tests.twin.conftest import Twin

pytestmark = pytest.mark.mqtt

BROKER = os.environ.get("TAMNA_TEST_MQTT", "mqtt://127.0.0.1:1883")


def test_readings_travel_through_the_broker_into_the_store(
    generated_city: Path, make_twin: Callable[..., Twin]
) -> None:
    host, port = parse_broker_url(BROKER)
    try:
        socket.create_connection((host, port), timeout=1.0).close()
    except OSError:
        pytest.fail(f"the MQTT broker is not reachable at {host}:{port} (set TAMNA_TEST_MQTT)", pytrace=False)
    city = f"t{uuid.uuid4().hex[:12]}"  # topics of this test alone
    sink, close = mqtt_sink(BROKER, city)
    twin = make_twin(load_scenario(generated_city), sink=sink, until_s=25200.0 + 180)
    subscriber = MqttIngest(twin.state.pipeline, BROKER, city, flush_interval_s=0.05)
    subscriber.start(wait_s=10)
    try:
        assert subscriber.connected.is_set()
        summary = twin.runtime.run()
        expected = 3 * len(twin.setup.detectors)
        assert summary.readings == expected
        deadline = time.monotonic() + 30
        while twin.state.store.count_observations() < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert twin.state.store.count_observations() == expected
        assert twin.state.pipeline.stats.snapshot()[1] == {"mqtt": expected}  # stored, by ingest path
        assert twin.state.store.count_rejections() == 0
    finally:
        subscriber.stop()
        close()
