"""Reading GTFS-Realtime: parse a FeedMessage (protobuf, with the official bindings), turn VehiclePosition
entities into fixes and TripUpdate entities into trip delays, and fetch a feed from a URL."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tamna.transit.errors import RealtimeUnreadableError
from tamna.transit.matching import Ping

if TYPE_CHECKING:
    from google.transit import gtfs_realtime_pb2

#: Feeds larger than this are refused (a real city's VehiclePositions is well under a megabyte).
MAX_FEED_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class EntityRefusal:
    """An entity of a feed that cannot be used, and why."""

    entity_id: str
    reason: str
    field: str
    record: str


@dataclass(frozen=True, slots=True)
class StopTimeUpdate:
    """A predicted arrival/departure (Unix seconds) or delay at one stop."""

    stop_sequence: int | None
    stop_id: str | None
    arrival: int | None
    departure: int | None
    arrival_delay: int | None
    departure_delay: int | None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class TripDelay:
    """What a TripUpdate says of a trip."""

    trip_id: str
    route_id: str | None
    start_date: str | None
    start_time: str | None
    vehicle_id: str | None
    timestamp: int
    delay: int | None
    updates: tuple[StopTimeUpdate, ...]


def parse_feed(data: bytes) -> gtfs_realtime_pb2.FeedMessage:
    """Parse a FeedMessage; bytes that are not one raise RealtimeUnreadableError."""
    from google.protobuf.message import DecodeError
    from google.transit import gtfs_realtime_pb2

    message = gtfs_realtime_pb2.FeedMessage()
    if not data:
        raise RealtimeUnreadableError("the GTFS-Realtime message is empty")
    try:
        message.ParseFromString(data)
    except (DecodeError, ValueError) as err:
        raise RealtimeUnreadableError(f"not a GTFS-Realtime FeedMessage ({len(data)} bytes): {err}") from err
    if not message.header.gtfs_realtime_version:
        raise RealtimeUnreadableError("not a GTFS-Realtime FeedMessage: the header has no gtfs_realtime_version")
    return message


def vehicle_pings(message: gtfs_realtime_pb2.FeedMessage, *, source: str) -> tuple[list[Ping], list[EntityRefusal]]:
    """The fixes of the VehiclePosition entities; entities without a position or a time are refused."""
    pings, refused = [], []
    header_time = message.header.timestamp
    for entity in message.entity:
        if not entity.HasField("vehicle") or entity.is_deleted:
            continue
        vehicle = entity.vehicle
        vehicle_id = vehicle.vehicle.id or vehicle.vehicle.label or entity.id
        if not vehicle.HasField("position"):
            refused.append(EntityRefusal(entity.id, "the VehiclePosition has no position", "position", str(vehicle)))
            continue
        stamp = vehicle.timestamp or header_time
        if not stamp:
            refused.append(EntityRefusal(entity.id, "neither the entity nor the header has a timestamp", "time", ""))
            continue
        trip = vehicle.trip if vehicle.HasField("trip") else None
        position = vehicle.position
        pings.append(
            Ping(
                vehicle_id=vehicle_id,
                time=datetime.fromtimestamp(stamp, UTC),
                lat=position.latitude,
                lon=position.longitude,
                source=source,
                speed_kmh=position.speed * 3.6 if position.HasField("speed") else None,
                bearing_deg=position.bearing if position.HasField("bearing") else None,
                trip_id=(trip.trip_id or None) if trip else None,
                route_id=(trip.route_id or None) if trip else None,
                direction_id=trip.direction_id if trip is not None and trip.HasField("direction_id") else None,
                start_date=(trip.start_date or None) if trip else None,
                start_time=(trip.start_time or None) if trip else None,
            )
        )
    return pings, refused


def trip_delays(message: gtfs_realtime_pb2.FeedMessage) -> tuple[list[TripDelay], list[EntityRefusal]]:
    """The TripUpdate entities; one without a trip_id cannot be placed and is refused."""
    from google.transit import gtfs_realtime_pb2 as rt

    skipped = rt.TripUpdate.StopTimeUpdate.SKIPPED
    out, refused = [], []
    for entity in message.entity:
        if not entity.HasField("trip_update") or entity.is_deleted:
            continue
        update = entity.trip_update
        if not update.trip.trip_id:
            refused.append(EntityRefusal(entity.id, "the TripUpdate has no trip_id", "trip_id", str(update.trip)))
            continue
        stops = tuple(
            StopTimeUpdate(
                stop_sequence=stu.stop_sequence if stu.HasField("stop_sequence") else None,
                stop_id=stu.stop_id or None,
                arrival=stu.arrival.time if stu.HasField("arrival") and stu.arrival.HasField("time") else None,
                departure=stu.departure.time if stu.HasField("departure") and stu.departure.HasField("time") else None,
                arrival_delay=stu.arrival.delay if stu.HasField("arrival") and stu.arrival.HasField("delay") else None,
                departure_delay=(
                    stu.departure.delay if stu.HasField("departure") and stu.departure.HasField("delay") else None
                ),
                skipped=stu.schedule_relationship == skipped,
            )
            for stu in update.stop_time_update
        )
        out.append(
            TripDelay(
                trip_id=update.trip.trip_id,
                route_id=update.trip.route_id or None,
                start_date=update.trip.start_date or None,
                start_time=update.trip.start_time or None,
                vehicle_id=update.vehicle.id or None,
                timestamp=update.timestamp or message.header.timestamp,
                delay=update.delay if update.HasField("delay") else None,
                updates=stops,
            )
        )
    return out, refused


def fetch(url: str, *, timeout_s: float = 10.0, api_key_header: tuple[str, str] | None = None) -> bytes:
    """GET a feed over HTTP(S); a failure, or more than :data:`MAX_FEED_BYTES`, raises RealtimeUnreadableError."""
    if not url.lower().startswith(("http://", "https://")):
        raise RealtimeUnreadableError(f"{url!r} is not an http(s) URL")
    request = urllib.request.Request(url, headers={"Accept": "application/x-protobuf"})  # noqa: S310 (checked above)
    if api_key_header is not None:
        request.add_header(*api_key_header)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            data: bytes = response.read(MAX_FEED_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise RealtimeUnreadableError(f"cannot fetch {url}: {err}") from err
    if len(data) > MAX_FEED_BYTES:
        raise RealtimeUnreadableError(f"{url} sent more than {MAX_FEED_BYTES} bytes")
    return data
