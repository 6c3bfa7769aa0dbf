"""Vehicle fixes from JSON (MQTT, HTTP) and from the twin, and the checks that send absurd ones to the dead letters:
a position off the map or in the sea, a clock from last year or from the future, impossible speeds and bearings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tamna.core.errors import ValidationError
from tamna.core.timeutil import parse_instant
from tamna.transit.matching import Ping
from tamna.transit.schedule import CELL_M, Schedule

#: Positions beyond the feed's bounding box by more than this are off its map.
BBOX_MARGIN_M = 2_000.0
#: Positions farther than about this from every stop and line are not on the network (in the sea, say).
NETWORK_REACH_CELLS = 2
#: Fixes older than this (relative to "now") are refused as stale: a clock from last year, a replayed log.
MAX_AGE_S = 3_600.0
#: Fixes ahead of "now" by more than this are refused: a clock in the future.
FUTURE_TOLERANCE_S = 300.0


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a fix was refused, naming the field and its value."""

    reason: str
    field: str
    value: str


def check_ping(
    ping: Ping,
    schedule: Schedule,
    now: datetime,
    *,
    max_age_s: float = MAX_AGE_S,
    future_tolerance_s: float = FUTURE_TOLERANCE_S,
) -> Refusal | None:
    """None when the fix is plausible, else why not."""
    return _check_values(ping) or _check_time(ping, now, max_age_s, future_tolerance_s) or _check_place(ping, schedule)


def _check_values(ping: Ping) -> Refusal | None:
    problem = None
    if not ping.vehicle_id or len(ping.vehicle_id) > 128:
        problem = Refusal("vehicle_id must be 1 to 128 characters", "vehicle_id", ping.vehicle_id)
    elif not (math.isfinite(ping.lat) and math.isfinite(ping.lon) and abs(ping.lat) <= 90 and abs(ping.lon) <= 180):
        problem = Refusal(f"position ({ping.lat}, {ping.lon}) is not a latitude and longitude", "position", _pos(ping))
    elif abs(ping.lat) < 1 and abs(ping.lon) < 1:
        problem = Refusal("position near (0, 0): a GPS without a fix", "position", _pos(ping))
    elif ping.speed_kmh is not None and not (0 <= ping.speed_kmh <= 250):
        problem = Refusal(f"speed_kmh {ping.speed_kmh} is outside 0–250", "speed_kmh", str(ping.speed_kmh))
    elif ping.bearing_deg is not None and not (0 <= ping.bearing_deg < 360):
        problem = Refusal(f"bearing_deg {ping.bearing_deg} is outside [0, 360)", "bearing_deg", str(ping.bearing_deg))
    return problem


def _check_time(ping: Ping, now: datetime, max_age_s: float, future_tolerance_s: float) -> Refusal | None:
    age = (now - ping.time).total_seconds()
    if age > max_age_s:
        return Refusal(
            f"time {ping.time.isoformat()} is {_span(age)} older than now ({now.isoformat()})", "time", str(ping.time)
        )
    if -age > future_tolerance_s:
        return Refusal(f"time {ping.time.isoformat()} is {_span(-age)} in the future", "time", str(ping.time))
    return None


def _check_place(ping: Ping, schedule: Schedule) -> Refusal | None:
    min_lon, min_lat, max_lon, max_lat = schedule.summary.bbox
    x, y = schedule.plane.xy(ping.lon, ping.lat)
    x0, y0 = schedule.plane.xy(min_lon, min_lat)
    x1, y1 = schedule.plane.xy(max_lon, max_lat)
    if not (x0 - BBOX_MARGIN_M <= x <= x1 + BBOX_MARGIN_M and y0 - BBOX_MARGIN_M <= y <= y1 + BBOX_MARGIN_M):
        return Refusal(
            f"position ({ping.lat:.5f}, {ping.lon:.5f}) lies outside the area of feed {schedule.feed_id!r}",
            "position",
            _pos(ping),
        )
    if not schedule.lines_near(x, y, NETWORK_REACH_CELLS):
        reach = (NETWORK_REACH_CELLS + 0.5) * CELL_M / 1000
        return Refusal(
            f"position ({ping.lat:.5f}, {ping.lon:.5f}) is about {reach:g} km or more from every stop and route "
            "of the feed (in the sea or off the network)",
            "position",
            _pos(ping),
        )
    return None


def ping_from_json(vehicle_id: str, value: Mapping[str, Any], *, source: str) -> Ping:
    """A fix from ``{time, lat, lon, speed_kmh?, bearing_deg?, trip_id?, route_id?}``; raises ValidationError
    naming the field that is wrong."""
    if "vehicle_id" in value and value["vehicle_id"] != vehicle_id:
        raise ValidationError(
            f"vehicle_id {value['vehicle_id']!r} differs from the topic's {vehicle_id!r}", field="vehicle_id"
        )
    raw_time = value.get("time")
    if isinstance(raw_time, int | float) and not isinstance(raw_time, bool):
        when = datetime.fromtimestamp(float(raw_time), UTC)
    elif isinstance(raw_time, str):
        when = parse_instant(raw_time)
    else:
        raise ValidationError("time is required (ISO 8601 with an offset, or Unix seconds)", field="time")
    return Ping(
        vehicle_id=vehicle_id,
        time=when,
        lat=_number(value, "lat", required=True),
        lon=_number(value, "lon", required=True),
        source=source,
        speed_kmh=_number(value, "speed_kmh"),
        bearing_deg=_number(value, "bearing_deg"),
        trip_id=_text(value, "trip_id"),
        route_id=_text(value, "route_id"),
        direction_id=_direction(value),
        start_date=_text(value, "start_date"),
        start_time=_text(value, "start_time"),
    )


def ping_from_position(position: Mapping[str, Any], *, source: str) -> Ping:
    """A fix from a :class:`~tamna.domain.vehicles.VehiclePosition` as the twin publishes it (a dict)."""
    when = position["time"]
    if isinstance(when, str):
        when = parse_instant(when)
    if not isinstance(when, datetime):
        raise ValidationError("time is not an instant", field="time", value=when)
    return Ping(
        vehicle_id=str(position["vehicle_id"]),
        time=when,
        lat=float(position["lat"]),
        lon=float(position["lon"]),
        source=source,
        speed_kmh=position.get("speed_kmh"),
        bearing_deg=position.get("bearing_deg"),
        trip_id=position.get("trip_id"),
        route_id=position.get("route_id"),
    )


def _number(value: Mapping[str, Any], name: str, *, required: bool = False) -> Any:
    item = value.get(name)
    if item is None:
        if required:
            raise ValidationError(f"{name} is required", field=name)
        return None
    if isinstance(item, bool) or not isinstance(item, int | float):
        raise ValidationError(f"{name} {item!r} is not a number", field=name, value=item)
    return float(item)


def _text(value: Mapping[str, Any], name: str) -> str | None:
    item = value.get(name)
    if item is None or item == "":
        return None
    if not isinstance(item, str | int) or isinstance(item, bool):
        raise ValidationError(f"{name} {item!r} is not a string", field=name, value=item)
    return str(item)


def _direction(value: Mapping[str, Any]) -> int | None:
    item = value.get("direction_id")
    if item is None:
        return None
    if item not in (0, 1):
        raise ValidationError(f"direction_id {item!r} is not 0 or 1", field="direction_id", value=item)
    return int(item)


def _pos(ping: Ping) -> str:
    return f"{ping.lat},{ping.lon}"


def _span(seconds: float) -> str:
    span = timedelta(seconds=round(seconds))
    if span.days >= 2:
        return f"{span.days} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds:.0f} s"
