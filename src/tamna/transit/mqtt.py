"""Vehicle fixes over MQTT: ``tamna/<city>/vehicles/<vehicle_id>/position`` with a JSON body
``{time, lat, lon, speed_kmh?, bearing_deg?, trip_id?, route_id?}`` at QoS 1.

The same pattern as the sensor subscriber (:mod:`tamna.ingest.mqtt`): a persistent MQTT 5 session, manual acks
sent only after a batch is stored (a store outage means redelivery, not loss), and malformed messages
dead-lettered and acknowledged. Unlike sensors, the subscription is not shared between the workers of a server:
matching needs every fix of a vehicle in one place, so each worker matches all vehicles and the store's upserts
make their identical writes harmless (or run one ``tamna transit listen`` process instead).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from tamna.core.errors import ConfigError, ValidationError
from tamna.domain.rejections import Rejection
from tamna.ingest.mqtt import PER_PROCESS_ENV, parse_broker_url
from tamna.transit.live import TransitIngest
from tamna.transit.matching import Ping
from tamna.transit.positions import ping_from_json

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 64 * 1024
SOURCE = "mqtt:vehicles"


def vehicle_topic(city: str, vehicle_id: str) -> str:
    """The topic a vehicle publishes its fixes to."""
    return f"tamna/{city}/vehicles/{vehicle_id}/position"


@dataclass
class _Message:
    topic: str
    payload: bytes
    mid: int


class VehicleMqttIngest:
    """Subscribes to the city's vehicle topics and feeds :class:`TransitIngest` in small batches."""

    def __init__(
        self,
        ingest: TransitIngest,
        broker_url: str,
        city: str,
        *,
        client_id: str | None = None,
        batch_max: int = 5_000,
        flush_interval_s: float = 0.2,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.ingest = ingest
        self.host, self.port = parse_broker_url(broker_url)
        self.city = city
        self.topic = f"tamna/{city}/vehicles/+/position"
        self.batch_max = batch_max
        self.flush_interval_s = flush_interval_s
        suffix = f"-{os.getpid()}" if os.environ.get(PER_PROCESS_ENV) else ""
        self.client_id = client_id or f"tamna-transit-{city}{suffix}"
        self.connected = threading.Event()
        self.messages = 0
        self._buffer: list[_Message] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(min_delay=1, max_delay=15)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT connect to %s:%s refused: %s", self.host, self.port, reason)
            return
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reason_codes: Any, properties: Any) -> None:
        if any(getattr(code, "is_failure", False) for code in reason_codes):
            log.warning("MQTT subscription to %s refused: %s", self.topic, reason_codes)
            return
        self.connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self._buffer.append(_Message(message.topic, message.payload, message.mid))
            self.messages += 1
            full = len(self._buffer) >= self.batch_max
        if full:
            self._wake.set()

    def start(self, *, wait_s: float = 0.0) -> None:
        """Connect in the background (retried until it works) and start the flusher."""
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 3600
        properties.ReceiveMaximum = 20_000
        self._client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=properties)
        self._client.loop_start()
        self._flusher = threading.Thread(target=self._flush_loop, name="mqtt-transit", daemon=True)
        self._flusher.start()
        if wait_s and not self.connected.wait(wait_s):
            log.warning("MQTT broker %s:%s not reachable yet; still trying", self.host, self.port)

    def stop(self) -> None:
        """Store what is buffered, acknowledge it and disconnect."""
        self._stop.set()
        self._wake.set()
        if self._flusher is not None:
            self._flusher.join(timeout=10)
        self._client.disconnect()
        self._client.loop_stop()

    def _flush_loop(self) -> None:
        while True:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            stopping = self._stop.is_set()
            try:
                self.flush()
            except Exception:  # store down or no feed yet: unacknowledged messages come again
                log.exception("MQTT vehicle batch could not be stored; it will be redelivered")
                time.sleep(1.0)
            if stopping:
                return

    def flush(self) -> int:
        """Ingest the buffered messages as one batch, then acknowledge them; returns how many."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        pings: list[Ping] = []
        refused: list[Rejection] = []
        now = self.ingest.clock()
        for position, message in enumerate(batch):
            decoded = _decode(message, now, position)
            if isinstance(decoded, Rejection):
                refused.append(decoded)
            else:
                pings.append(decoded)
        try:
            self.ingest.ingest_pings(pings, source=SOURCE, refused=refused)
        except Exception:
            with self._lock:
                self._buffer[:0] = batch
            raise
        for message in batch:
            self._client.ack(message.mid, 1)
        return len(batch)


def _decode(message: _Message, now: datetime, position: int) -> Ping | Rejection:
    text = message.payload[:4000].decode("utf-8", "replace")
    parts = message.topic.split("/")

    def refuse(reason: str, field: str = "record") -> Rejection:
        return Rejection(
            source=SOURCE,
            received_at=now,
            reason=reason,
            field=field,
            value=message.topic,
            record=text,
            position=position,
        )

    if len(parts) != 5 or parts[2] != "vehicles" or parts[4] != "position" or not parts[3]:
        return refuse(f"topic {message.topic!r} is not tamna/<city>/vehicles/<vehicle_id>/position", "topic")
    if len(message.payload) > MAX_PAYLOAD_BYTES:
        return refuse(f"payload of {len(message.payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        value = orjson.loads(message.payload)
    except orjson.JSONDecodeError as err:
        return refuse(f"malformed JSON: {err}")
    if not isinstance(value, dict):
        return refuse("the payload is not a JSON object")
    try:
        return ping_from_json(parts[3], value, source=SOURCE)
    except ValidationError as err:
        return refuse(str(err), err.field or "record")


class VehiclePublisher:
    """Publishes fixes to their vehicles' topics (QoS 1): how an AVL gateway or a test sends positions."""

    def __init__(self, broker_url: str, city: str) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.host, self.port = parse_broker_url(broker_url)
        self.city = city
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"tamna-avl-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
        )
        self._client.max_inflight_messages_set(1000)

    def connect(self, timeout_s: float = 5.0) -> None:
        """Connect and start the network loop; ConfigError when the broker does not answer."""
        try:
            self._client.connect(self.host, self.port, keepalive=30)
        except OSError as err:
            raise ConfigError(f"MQTT broker {self.host}:{self.port} is not reachable: {err}") from err
        self._client.loop_start()
        deadline = time.monotonic() + timeout_s
        while not self._client.is_connected():
            if time.monotonic() > deadline:
                raise ConfigError(f"MQTT broker {self.host}:{self.port} did not accept the connection")
            time.sleep(0.01)

    def publish(self, vehicle_id: str, payload: dict[str, Any] | bytes, *, wait: bool = True) -> None:
        """Publish one fix (a dict is sent as JSON; bytes as they are)."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        info = self._client.publish(vehicle_topic(self.city, vehicle_id), body, qos=1)
        if wait:
            info.wait_for_publish(timeout=30)

    def publish_raw(self, topic: str, body: bytes) -> None:
        """Publish anything to any topic (to test what the subscriber does with it)."""
        self._client.publish(topic, body, qos=1).wait_for_publish(timeout=30)

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
