"""MQTT ingest: subscribes to ``tamna/<city>/sensors/<sensor_id>/observations`` (QoS 1) on a real broker.

Messages are acknowledged only after their batch is stored (MQTT 5, manual acks, a persistent session), so a
crash or a store outage makes the broker deliver them again instead of losing them. The client reconnects by
itself with back-off; a malformed payload is dead-lettered and acknowledged, never retried forever.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from tamna.core.errors import ConfigError
from tamna.ingest.pipeline import IngestPipeline
from tamna.ingest.records import MAX_RECORD_TEXT

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 256 * 1024
PER_PROCESS_ENV = "TAMNA_MQTT_CLIENT_PER_PROCESS"


def sensor_topic(city: str, sensor_id: str) -> str:
    """The topic a sensor publishes its observations to."""
    return f"tamna/{city}/sensors/{sensor_id}/observations"


def parse_broker_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` → (host, port)."""
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ConfigError(f"broker URL {url!r} is not mqtt://host:port")
    return parts.hostname, parts.port or 1883


@dataclass
class _Message:
    sensor_id: str | None
    payload: bytes
    mid: int
    topic: str


class MqttIngest:
    """Subscribes to the city's sensor topics and feeds the pipeline in small batches."""

    def __init__(
        self,
        pipeline: IngestPipeline,
        broker_url: str,
        city: str,
        *,
        client_id: str | None = None,
        batch_max: int = 5_000,
        flush_interval_s: float = 0.1,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.pipeline = pipeline
        self.host, self.port = parse_broker_url(broker_url)
        self.city = city
        # a shared subscription: with several subscribers of the group, each message goes to one of them
        self.topic = f"$share/tamna-ingest/tamna/{city}/sensors/+/observations"
        self.batch_max = batch_max
        self.flush_interval_s = flush_interval_s
        # A stable id keeps the broker-side session (and its queued QoS 1 messages) across restarts; processes
        # of one multi-worker server each need their own id and share the subscription instead.
        suffix = f"-{os.getpid()}" if os.environ.get(PER_PROCESS_ENV) else ""
        self.client_id = client_id or f"tamna-ingest-{city}{suffix}"
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
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._client.reconnect_delay_set(min_delay=1, max_delay=15)

    # paho callbacks run on its network thread: keep them short
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT connect to %s:%s refused: %s", self.host, self.port, reason)
            return
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reason_codes: Any, properties: Any) -> None:
        if any(getattr(code, "is_failure", False) for code in reason_codes):
            log.warning("MQTT subscription to %s on %s:%s refused: %s", self.topic, self.host, self.port, reason_codes)
            return
        # ready only once the broker holds the subscription: a reading published before that would be lost
        self.connected.set()
        log.info("MQTT subscribed to %s on %s:%s", self.topic, self.host, self.port)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        parts = message.topic.split("/")
        sensor_id = parts[3] if len(parts) == 5 else None
        with self._lock:
            self._buffer.append(_Message(sensor_id, message.payload, message.mid, message.topic))
            self.messages += 1
            full = len(self._buffer) >= self.batch_max
        if full:
            self._wake.set()

    def start(self, *, wait_s: float = 0.0) -> None:
        """Connect (in the background; retried until it works) and start the flusher."""
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 3600  # keep our QoS 1 backlog while we are away
        properties.ReceiveMaximum = 20_000  # acks wait for the store; allow a full batch in flight
        self._client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=properties)
        self._client.loop_start()
        self._flusher = threading.Thread(target=self._flush_loop, name="mqtt-ingest", daemon=True)
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
            except Exception:  # store down: keep the messages unacknowledged; the broker redelivers them
                log.exception("MQTT batch could not be stored; it will be redelivered")
                time.sleep(1.0)
            if stopping:
                return

    def flush(self) -> int:
        """Ingest the buffered messages as one batch and acknowledge them; returns how many."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        records: list[object] = []
        unparsed: list[tuple[int, str, str]] = []
        for position, message in enumerate(batch):
            records.extend(self._decode(message, position, unparsed))
        try:
            self.pipeline.ingest_records(records, source="mqtt", unparsed=unparsed)
        except Exception:
            with self._lock:  # put them back in front, unacknowledged, for the next try
                self._buffer[:0] = batch
            raise
        for message in batch:
            self._client.ack(message.mid, 1)
        return len(batch)

    @staticmethod
    def _decode(message: _Message, position: int, unparsed: list[tuple[int, str, str]]) -> list[object]:
        text = message.payload[:MAX_RECORD_TEXT].decode("utf-8", "replace")
        if message.sensor_id is None:
            unparsed.append((position, text, f"topic {message.topic!r} is not tamna/<city>/sensors/<id>/observations"))
            return []
        if len(message.payload) > MAX_PAYLOAD_BYTES:
            unparsed.append((position, text, f"payload of {len(message.payload)} bytes exceeds {MAX_PAYLOAD_BYTES}"))
            return []
        try:
            value = orjson.loads(message.payload)
        except orjson.JSONDecodeError as err:
            unparsed.append((position, text, f"malformed JSON: {err}"))
            return []
        values = value if isinstance(value, list) else [value]
        out: list[object] = []
        for item in values:
            if isinstance(item, dict):
                if "sensor_id" in item and item["sensor_id"] != message.sensor_id:
                    unparsed.append(
                        (
                            position,
                            text,
                            f"sensor_id {item['sensor_id']!r} differs from the topic's {message.sensor_id!r}",
                        )
                    )
                else:
                    out.append({**item, "sensor_id": message.sensor_id})
            else:
                out.append(item)
        return out


class MqttPublisher:
    """Publishes observation records to their sensors' topics (QoS 1): how a field gateway, the replay or the
    twin sends data to Tamna."""

    def __init__(self, broker_url: str, city: str, *, client_id: str | None = None) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.host, self.port = parse_broker_url(broker_url)
        self.city = city
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"tamna-pub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self._client.max_inflight_messages_set(1000)
        self._client.reconnect_delay_set(min_delay=1, max_delay=15)

    def connect(self, timeout_s: float = 5.0) -> None:
        """Connect and start the network loop; raises ConfigError when the broker does not answer."""
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

    def publish(self, records: list[dict[str, object]], *, wait: bool = True) -> int:
        """Publish each record to ``tamna/<city>/sensors/<sensor_id>/observations``; returns how many."""
        infos = []
        for record in records:
            sensor_id = str(record["sensor_id"])
            payload = orjson.dumps({k: v for k, v in record.items() if k != "sensor_id"})
            infos.append(self._client.publish(sensor_topic(self.city, sensor_id), payload, qos=1))
        if wait:
            for info in infos:
                info.wait_for_publish(timeout=30)
        return len(infos)

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


def broker_reachable(broker_url: str, timeout_s: float = 1.0) -> bool:
    """Whether something accepts TCP connections at the broker's address."""
    import socket

    host, port = parse_broker_url(broker_url)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False
