"""Vehicle fixes over MQTT: ``tamna/<city>/vehicles/<vehicle_id>/position`` with a JSON body
``{time, lat, lon, speed_kmh?, bearing_deg?, trip_id?, route_id?}`` at QoS 1.

The same subscriber as for sensors (:class:`~tamna.ingest.mqtt_client.BatchingSubscriber`): a persistent MQTT 5
session, manual acks sent only after a batch is stored (a store outage means redelivery, not loss), and malformed
messages dead-lettered and acknowledged. Unlike sensors, the subscription is not shared between the workers of a
server: matching needs every fix of a vehicle in one place, so each worker matches all vehicles and the store's
upserts make their identical writes harmless (or run one ``tamna transit listen`` process instead).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import orjson

from tamna.core.errors import ValidationError
from tamna.domain.rejections import Rejection
from tamna.ingest.mqtt_client import PER_PROCESS_ENV, BatchingSubscriber, MqttMessage, Publisher
from tamna.transit.live import TransitIngest
from tamna.transit.matching import Ping
from tamna.transit.positions import ping_from_json

MAX_PAYLOAD_BYTES = 64 * 1024
SOURCE = "mqtt:vehicles"


def vehicle_topic(city: str, vehicle_id: str) -> str:
    """The topic a vehicle publishes its fixes to."""
    return f"tamna/{city}/vehicles/{vehicle_id}/position"


class VehicleMqttIngest(BatchingSubscriber):
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
        suffix = f"-{os.getpid()}" if os.environ.get(PER_PROCESS_ENV) else ""
        super().__init__(
            broker_url,
            f"tamna/{city}/vehicles/+/position",  # not shared: see the module's docstring
            client_id or f"tamna-transit-{city}{suffix}",
            batch_max=batch_max,
            flush_interval_s=flush_interval_s,
            thread_name="mqtt-transit",
        )
        self.ingest = ingest
        self.city = city

    def store_batch(self, batch: list[MqttMessage]) -> None:
        pings: list[Ping] = []
        refused: list[Rejection] = []
        now = self.ingest.clock()
        for position, message in enumerate(batch):
            decoded = _decode(message, now, position)
            if isinstance(decoded, Rejection):
                refused.append(decoded)
            else:
                pings.append(decoded)
        self.ingest.ingest_pings(pings, source=SOURCE, refused=refused)


def _decode(message: MqttMessage, now: datetime, position: int) -> Ping | Rejection:
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


class VehiclePublisher(Publisher):
    """Publishes fixes to their vehicles' topics (QoS 1): how an AVL gateway or a test sends positions."""

    def __init__(self, broker_url: str, city: str) -> None:
        super().__init__(broker_url, prefix="tamna-avl")
        self.city = city

    def publish(self, vehicle_id: str, payload: dict[str, Any] | bytes, *, wait: bool = True) -> None:
        """Publish one fix (a dict is sent as JSON; bytes as they are)."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        info = self._client.publish(vehicle_topic(self.city, vehicle_id), body, qos=1)
        if wait:
            info.wait_for_publish(timeout=30)
