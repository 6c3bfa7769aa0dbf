"""MQTT ingest against a real broker: everything published is stored, bad payloads are dead-lettered, and the
subscriber comes back by itself after the broker restarts.

The shared broker is Mosquitto at 127.0.0.1:1883 (``TAMNA_TEST_MQTT`` points elsewhere); each test uses its own
city so that topics never collide. The restart test runs a private Mosquitto on a free port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from tamna.api.app import create_app
from tamna.core.settings import Settings
from tamna.core.timeutil import floor_time, utcnow
from tamna.domain.sensors import Sensor, SensorKind
from tamna.ingest.mqtt import MqttIngest, MqttPublisher, parse_broker_url, sensor_topic
from tamna.ingest.pipeline import IngestPipeline
from tamna.store import Bucket, Store, open_store

pytestmark = pytest.mark.mqtt

BROKER = os.environ.get("TAMNA_TEST_MQTT", "mqtt://127.0.0.1:1883")
SENSOR_IDS = ("s1", "s2", "s3", "s4")


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], what: Callable[[], str], timeout_s: float = 20.0) -> None:
    """Poll ``condition`` until it holds; fail with ``what()`` (the state seen) when it does not in time."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s:g} s in vain: {what()}", pytrace=False)
        time.sleep(0.02)


@pytest.fixture
def broker() -> str:
    """The shared broker's URL; a broker that is down fails the test (a skip would hide the MQTT path)."""
    host, port = parse_broker_url(BROKER)
    if not _accepts(host, port):
        pytest.fail(
            f"the MQTT broker is not reachable at {host}:{port}. The mqtt-marked tests need a real broker: start "
            "Mosquitto (scripts/services.sh does), or set TAMNA_TEST_MQTT, or deselect them with -m 'not mqtt'.",
            pytrace=False,
        )
    return BROKER


@pytest.fixture
def city() -> str:
    """A city of this test alone, so that its topics are its own."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def mqtt_store(tmp_path: Path) -> Iterator[Store]:
    """A DuckDB store with four registered sensors."""
    store = open_store(str(tmp_path / "mqtt.duckdb"))
    try:
        store.migrate()
        store.upsert_sensors([Sensor(id=sensor_id, kind=SensorKind.LOOP) for sensor_id in SENSOR_IDS])
        yield store
    finally:
        store.close()


@pytest.fixture
def mqtt_pipeline(mqtt_store: Store) -> IngestPipeline:
    return IngestPipeline(mqtt_store)


@pytest.fixture
def subscribe(mqtt_pipeline: IngestPipeline, city: str) -> Iterator[Callable[[str], MqttIngest]]:
    """Start an ``MqttIngest`` on a broker and wait until it is subscribed; all are stopped afterwards."""
    started: list[MqttIngest] = []

    def start(broker_url: str) -> MqttIngest:
        ingest = MqttIngest(mqtt_pipeline, broker_url, city, flush_interval_s=0.05)
        started.append(ingest)
        ingest.start()
        wait_for(ingest.connected.is_set, lambda: f"MqttIngest never subscribed on {broker_url}", timeout_s=10)
        return ingest

    yield start
    for ingest in started:
        ingest.stop()


@pytest.fixture
def raw_publish(city: str) -> Iterator[Callable[[str, list[tuple[str, bytes]]], None]]:
    """Publish raw payloads to ``tamna/<city>/sensors/<id>/observations`` (QoS 1), as a misbehaving device would."""
    clients: list[mqtt.Client] = []

    def publish(broker_url: str, messages: list[tuple[str, bytes]]) -> None:
        host, port = parse_broker_url(broker_url)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex[:8]}")
        clients.append(client)
        client.connect(host, port)
        client.loop_start()
        infos = [client.publish(sensor_topic(city, sensor_id), payload, qos=1) for sensor_id, payload in messages]
        for info in infos:
            info.wait_for_publish(timeout=10)
            assert info.is_published()

    yield publish
    for client in clients:
        client.disconnect()
        client.loop_stop()


def _readings(start: datetime, count: int) -> list[dict[str, object]]:
    """``count`` readings spread over the four sensors, one second apart, each (sensor, time) unique."""
    return [
        {
            "sensor_id": SENSOR_IDS[i % 4],
            "time": (start + timedelta(seconds=i)).isoformat(),
            "speed_kmh": float(i % 120),
            "flow_vph": 10.0 * (i % 50),
        }
        for i in range(count)
    ]


def _start_time() -> datetime:
    return floor_time(utcnow() - timedelta(hours=2), timedelta(hours=1))


def test_every_published_reading_is_stored(
    broker: str, city: str, subscribe: Callable[[str], MqttIngest], mqtt_store: Store, mqtt_pipeline: IngestPipeline
) -> None:
    ingest = subscribe(broker)
    records = _readings(_start_time(), 2_000)
    publisher = MqttPublisher(broker, city)
    publisher.connect()
    try:
        assert publisher.publish(records) == 2_000
    finally:
        publisher.close()
    wait_for(  # the counters move after the store has the readings
        lambda: mqtt_pipeline.stats.snapshot()[1].get("mqtt") == 2_000,
        lambda: f"{mqtt_store.count_observations()} of 2000 stored, {ingest.messages} messages received",
    )
    time.sleep(0.2)  # a duplicate or a stray message would show up in the counts by now
    received, stored, rejected = mqtt_pipeline.stats.snapshot()
    assert (received, stored, rejected) == ({"mqtt": 2_000}, {"mqtt": 2_000}, {})
    assert ingest.messages == 2_000
    assert mqtt_store.count_observations() == 2_000
    assert mqtt_store.count_rejections() == 0
    latest = {state.sensor_id: state for state in mqtt_store.latest_sensor_states()}
    assert latest["s4"].time.isoformat() == records[-1]["time"]
    assert latest["s4"].speed_kmh == pytest.approx(records[-1]["speed_kmh"])
    assert latest["s1"].flow_vph == pytest.approx(records[-4]["flow_vph"])


def test_bad_payloads_are_dead_lettered_and_good_ones_stored(
    broker: str,
    subscribe: Callable[[str], MqttIngest],
    raw_publish: Callable[[str, list[tuple[str, bytes]]], None],
    mqtt_store: Store,
) -> None:
    ingest = subscribe(broker)
    at = _start_time().isoformat()
    messages = [
        ("s1", f'{{"time": "{at}", "speed_kmh": 40}}'.encode()),  # the topic names the sensor
        ("s2", f'{{"sensor_id": "s2", "time": "{at}", "speed_kmh": 41}}'.encode()),  # agrees with the topic
        ("s2", f'{{"sensor_id": "s3", "time": "{at}", "speed_kmh": 42}}'.encode()),  # disagrees
        ("s1", b'{"time": "2026-03-0'),  # cut off
        ("s3", b"\xff\xfe not json"),
        ("ghost", f'{{"time": "{at}", "speed_kmh": 40}}'.encode()),  # not a registered sensor
        ("s3", f'{{"time": "{at}", "speed_kmh": 400}}'.encode()),  # absurd speed
        ("s4", b'{"time": "' + at.encode() + b'", "speed_kmh": 1}' + b" " * (256 * 1024)),  # too large
        ("s4", f'{{"time": "{at}", "flow_vph": 120}}'.encode()),
    ]
    raw_publish(broker, messages)
    wait_for(  # dead letters are written before the valid readings of the same batch: wait for both
        lambda: mqtt_store.count_rejections() == 6 and mqtt_store.count_observations() == 3,
        lambda: (
            f"{ingest.messages} messages, {mqtt_store.count_rejections()} dead letters, "
            f"{mqtt_store.count_observations()} stored"
        ),
    )
    assert ingest.messages == len(messages)
    assert {s.sensor_id: s.speed_kmh for s in mqtt_store.latest_sensor_states()} == {
        "s1": pytest.approx(40.0),
        "s2": pytest.approx(41.0),
        "s4": None,
    }
    letters = mqtt_store.rejections(source="mqtt")
    reasons = sorted(letter.reason for letter in letters)
    assert len(reasons) == 6
    assert "sensor_id 's3' differs from the topic's 's2'" in reasons
    assert "sensor_id 'ghost' is not a registered sensor" in reasons
    assert "speed_kmh 400 is outside 0–250" in reasons
    assert sum(reason.startswith("malformed JSON") for reason in reasons) == 2
    assert any(reason.startswith("payload of ") and "exceeds 262144" in reason for reason in reasons)
    by_reason = {letter.reason: letter for letter in letters}
    mismatch = by_reason["sensor_id 's3' differs from the topic's 's2'"]
    assert mismatch.record is not None
    assert '"sensor_id": "s3"' in mismatch.record  # the payload is kept as it came
    cut = next(
        letter
        for letter in letters
        if letter.reason.startswith("malformed JSON") and "2026-03-0" in (letter.record or "")
    )
    assert cut.field == "record"


def test_a_json_array_payload_is_one_batch_of_readings(
    broker: str,
    subscribe: Callable[[str], MqttIngest],
    raw_publish: Callable[[str, list[tuple[str, bytes]]], None],
    mqtt_store: Store,
) -> None:
    ingest = subscribe(broker)
    start = _start_time()
    array = [{"time": (start + timedelta(minutes=i)).isoformat(), "speed_kmh": 30.0 + i} for i in range(50)]
    mixed = [
        {"time": start.isoformat(), "flow_vph": 500},
        {"sensor_id": "s1", "time": start.isoformat(), "flow_vph": 600},  # another sensor's topic
        {"time": start.isoformat(), "occupancy_pct": 101},
    ]
    raw_publish(broker, [("s1", orjson.dumps(array)), ("s2", orjson.dumps(mixed))])
    wait_for(
        lambda: ingest.messages == 2 and mqtt_store.count_observations() == 51 and mqtt_store.count_rejections() == 2,
        lambda: (
            f"{ingest.messages} messages, {mqtt_store.count_observations()} stored, "
            f"{mqtt_store.count_rejections()} dead letters"
        ),
    )
    window = {"start": start, "end": start + timedelta(hours=1)}
    history = mqtt_store.history(sensor_id="s1", bucket=Bucket.RAW, **window)
    assert [p.speed_kmh for p in history] == pytest.approx([30.0 + i for i in range(50)])
    (kept,) = mqtt_store.history(sensor_id="s2", bucket=Bucket.RAW, **window)
    assert kept.flow_vph == pytest.approx(500.0)
    reasons = sorted(letter.reason for letter in mqtt_store.rejections())
    assert reasons == ["occupancy_pct 101 is outside 0–100", "sensor_id 's1' differs from the topic's 's2'"]


class PrivateBroker:
    """A Mosquitto of the test's own on a free port, which the test may kill and start again."""

    def __init__(self, log: Path) -> None:
        binary = shutil.which("mosquitto")
        if binary is None:
            pytest.fail("the mosquitto binary is not on PATH; the restart test runs a broker of its own", pytrace=False)
        self.binary = binary
        self.log = log
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([self.binary, "-p", str(self.port)], stdout=log, stderr=log)
        wait_for(
            lambda: _accepts("127.0.0.1", self.port) or self.process is None or self.process.poll() is not None,
            lambda: f"mosquitto did not listen on {self.port}",
            timeout_s=10,
        )
        if self.process.poll() is not None:
            pytest.fail(f"mosquitto exited at start: {self.log.read_text(errors='replace')}", pytrace=False)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    broker = PrivateBroker(tmp_path / "mosquitto.log")
    try:
        broker.start()
        yield broker
    finally:
        broker.kill()


def test_the_subscriber_reconnects_after_the_broker_restarts(
    private_broker: PrivateBroker, city: str, subscribe: Callable[[str], MqttIngest], mqtt_store: Store
) -> None:
    ingest = subscribe(private_broker.url)
    records = _readings(_start_time(), 200)

    def send(batch: list[dict[str, object]]) -> None:
        publisher = MqttPublisher(private_broker.url, city)
        publisher.connect()
        try:
            publisher.publish(batch)
        finally:
            publisher.close()

    send(records[:100])
    wait_for(lambda: mqtt_store.count_observations() == 100, lambda: f"{mqtt_store.count_observations()} stored")

    private_broker.kill()
    wait_for(lambda: not ingest.connected.is_set(), lambda: "the subscriber did not notice the broker going away")
    private_broker.start()  # same port, fresh broker: no sessions, no subscriptions
    wait_for(ingest.connected.is_set, lambda: "the subscriber did not come back to the restarted broker", timeout_s=30)

    send(records[100:])
    wait_for(
        lambda: mqtt_store.count_observations() == 200,
        lambda: f"{mqtt_store.count_observations()} of 200 stored after the restart ({ingest.messages} messages)",
    )
    assert ingest.messages == 200
    assert mqtt_store.count_rejections() == 0


def test_the_app_subscribes_when_a_broker_is_configured(broker: str, city: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="test", mqtt=broker, city=city, rollup_interval_s=0.2)
    app = create_app(settings)
    state = app.state.tamna
    state.store.upsert_sensors([Sensor(id="s1", kind=SensorKind.RADAR)])
    try:
        with TestClient(app) as client:
            wait_for(
                lambda: client.get("/healthz").json()["mqtt"] == "connected",
                lambda: f"health says {client.get('/healthz').json()}",
            )
            assert "tamna_mqtt_connected 1" in client.get("/metrics").text
            publisher = MqttPublisher(broker, city)
            publisher.connect()
            try:
                publisher.publish([{"sensor_id": "s1", "time": utcnow().isoformat(), "speed_kmh": 47.0}])
            finally:
                publisher.close()
            wait_for(
                lambda: 'tamna_ingest_stored_total{path="mqtt"} 1' in client.get("/metrics").text,
                lambda: f"metrics: {client.get('/metrics').text}",
            )
            (reading,) = client.get("/api/v1/state/sensors").json()
            assert (reading["sensor_id"], reading["speed_kmh"]) == ("s1", pytest.approx(47.0))
        assert state.mqtt is not None
        assert not state.mqtt.connected.is_set()  # stopped with the app
    finally:
        state.store.close()
