"""What every MQTT client of Tamna shares: a batching subscriber that acknowledges only what was stored, and a
publisher that connects or says clearly why not.

The subscriber holds a persistent MQTT 5 session (``clean_start=False``, an hour of session expiry) with manual
acknowledgements: a batch is acknowledged only after its subclass stored it, so a crash or a store outage makes the
broker deliver it again instead of losing it. paho's network thread only appends to a buffer; a flusher thread
hands the buffer over every ``flush_interval_s`` (or as soon as it holds ``batch_max`` messages). The client
reconnects by itself with back-off.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tamna.core.errors import ConfigError

log = logging.getLogger(__name__)

#: Set in the processes of a multi-worker server: each needs a client id of its own.
PER_PROCESS_ENV = "TAMNA_MQTT_CLIENT_PER_PROCESS"


def parse_broker_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` → (host, port).

    >>> parse_broker_url("mqtt://127.0.0.1:1884")
    ('127.0.0.1', 1884)
    >>> parse_broker_url("broker.local")
    ('broker.local', 1883)
    """
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ConfigError(f"broker URL {url!r} is not mqtt://host:port")
    return parts.hostname, parts.port or 1883


@dataclass(frozen=True)
class MqttMessage:
    """One received message, waiting for its batch to be stored before it is acknowledged."""

    topic: str
    payload: bytes
    mid: int


class BatchingSubscriber(ABC):
    """Subscribes to one topic filter at QoS 1 and hands the messages to :meth:`store_batch` in batches."""

    def __init__(
        self,
        broker_url: str,
        topic: str,
        client_id: str,
        *,
        batch_max: int,
        flush_interval_s: float,
        thread_name: str,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.host, self.port = parse_broker_url(broker_url)
        self.topic = topic
        self.client_id = client_id
        self.batch_max = batch_max
        self.flush_interval_s = flush_interval_s
        self.connected = threading.Event()
        self.messages = 0
        self._thread_name = thread_name
        self._buffer: list[MqttMessage] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(min_delay=1, max_delay=15)

    @abstractmethod
    def store_batch(self, batch: list[MqttMessage]) -> None:
        """Decode and store one batch (dead-lettering what is malformed); raise when the store is unavailable,
        so that the batch stays unacknowledged and is tried again."""

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
        # ready only once the broker holds the subscription: a message published before that would be lost
        self.connected.set()
        log.info("MQTT subscribed to %s on %s:%s", self.topic, self.host, self.port)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self._buffer.append(MqttMessage(message.topic, message.payload, message.mid))
            self.messages += 1
            full = len(self._buffer) >= self.batch_max
        if full:
            self._wake.set()

    def start(self, *, wait_s: float = 0.0) -> None:
        """Connect in the background (retried until it works) and start the flusher."""
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 3600  # keep our QoS 1 backlog while we are away
        properties.ReceiveMaximum = 20_000  # acks wait for the store; allow a full batch in flight
        self._client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=properties)
        self._client.loop_start()
        self._flusher = threading.Thread(target=self._flush_loop, name=self._thread_name, daemon=True)
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
            except Exception:  # store down: the messages stay unacknowledged and the broker redelivers them
                log.exception("MQTT batch from %s could not be stored; it will be redelivered", self.topic)
                time.sleep(1.0)
            if stopping:
                return

    def flush(self) -> int:
        """Store the buffered messages as one batch, then acknowledge them; returns how many."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        try:
            self.store_batch(batch)
        except Exception:
            with self._lock:  # put them back in front, unacknowledged, for the next try
                self._buffer[:0] = batch
            raise
        for message in batch:
            self._client.ack(message.mid, 1)
        return len(batch)


class Publisher:
    """A QoS 1 publishing client: connects, or raises :class:`ConfigError` saying which broker did not answer."""

    def __init__(self, broker_url: str, *, client_id: str | None = None, prefix: str = "tamna-pub") -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.host, self.port = parse_broker_url(broker_url)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"{prefix}-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self._client.max_inflight_messages_set(1000)
        self._client.reconnect_delay_set(min_delay=1, max_delay=15)

    def connect(self, timeout_s: float = 5.0) -> None:
        """Connect and start the network loop."""
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

    def publish_raw(self, topic: str, body: bytes) -> None:
        """Publish anything to any topic and wait for the broker's acknowledgement."""
        self._client.publish(topic, body, qos=1).wait_for_publish(timeout=30)

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
