"""MQTT ingest: subscribes to ``tamna/<city>/sensors/<sensor_id>/observations`` (QoS 1) on a real broker.

Messages are acknowledged only after their batch is stored (:class:`~tamna.ingest.mqtt_client.BatchingSubscriber`:
MQTT 5, manual acks, a persistent session), so a crash or a store outage makes the broker deliver them again
instead of losing them. A malformed payload is dead-lettered and acknowledged, never retried forever.
"""

from __future__ import annotations

import os

import orjson

from tamna.ingest.mqtt_client import (
    PER_PROCESS_ENV,
    BatchingSubscriber,
    MqttMessage,
    Publisher,
    broker_reachable,
    parse_broker_url,
)
from tamna.ingest.pipeline import IngestPipeline
from tamna.ingest.records import MAX_RECORD_TEXT

__all__ = [
    "PER_PROCESS_ENV",
    "MqttIngest",
    "MqttPublisher",
    "broker_reachable",
    "parse_broker_url",
    "sensor_topic",
]

MAX_PAYLOAD_BYTES = 256 * 1024


def sensor_topic(city: str, sensor_id: str) -> str:
    """The topic a sensor publishes its observations to.

    >>> sensor_topic("jeju", "loop-7")
    'tamna/jeju/sensors/loop-7/observations'
    """
    return f"tamna/{city}/sensors/{sensor_id}/observations"


class MqttIngest(BatchingSubscriber):
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
        # A stable id keeps the broker-side session (and its queued QoS 1 messages) across restarts; processes
        # of one multi-worker server each need their own id and share the subscription instead.
        suffix = f"-{os.getpid()}" if os.environ.get(PER_PROCESS_ENV) else ""
        super().__init__(
            broker_url,
            # a shared subscription: with several subscribers of the group, each message goes to one of them
            f"$share/tamna-ingest/tamna/{city}/sensors/+/observations",
            client_id or f"tamna-ingest-{city}{suffix}",
            batch_max=batch_max,
            flush_interval_s=flush_interval_s,
            thread_name="mqtt-ingest",
        )
        self.pipeline = pipeline
        self.city = city

    def store_batch(self, batch: list[MqttMessage]) -> None:
        records: list[object] = []
        unparsed: list[tuple[int, str, str]] = []
        for position, message in enumerate(batch):
            records.extend(_decode(message, position, unparsed))
        self.pipeline.ingest_records(records, source="mqtt", unparsed=unparsed)


def _decode(message: MqttMessage, position: int, unparsed: list[tuple[int, str, str]]) -> list[object]:
    """The records of one message (the topic names the sensor); what cannot be read goes to ``unparsed``."""
    text = message.payload[:MAX_RECORD_TEXT].decode("utf-8", "replace")
    parts = message.topic.split("/")
    if len(parts) != 5 or parts[2] != "sensors" or parts[4] != "observations" or not parts[3]:
        unparsed.append((position, text, f"topic {message.topic!r} is not tamna/<city>/sensors/<id>/observations"))
        return []
    sensor_id = parts[3]
    if len(message.payload) > MAX_PAYLOAD_BYTES:
        unparsed.append((position, text, f"payload of {len(message.payload)} bytes exceeds {MAX_PAYLOAD_BYTES}"))
        return []
    try:
        value = orjson.loads(message.payload)
    except orjson.JSONDecodeError as err:
        unparsed.append((position, text, f"malformed JSON: {err}"))
        return []
    out: list[object] = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            out.append(item)  # the pipeline refuses it with its own reason
        elif "sensor_id" in item and item["sensor_id"] != sensor_id:
            unparsed.append((position, text, f"sensor_id {item['sensor_id']!r} differs from the topic's {sensor_id!r}"))
        else:
            out.append({**item, "sensor_id": sensor_id})
    return out


class MqttPublisher(Publisher):
    """Publishes observation records to their sensors' topics (QoS 1): how a field gateway, the replay or the
    twin sends data to Tamna."""

    def __init__(self, broker_url: str, city: str, *, client_id: str | None = None) -> None:
        super().__init__(broker_url, client_id=client_id)
        self.city = city

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
