"""What the GTFS reference says about the files Tamna loads: which are required, their columns, types and ranges,
and the parsers of GTFS times, dates and colours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

#: Files without which nothing is a feed (one of them must be present for an input to count as GTFS).
CORE_FILES = frozenset({"agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt"})
REQUIRED_FILES = ("agency.txt", "routes.txt", "trips.txt", "stop_times.txt", "stops.txt")
#: Files of the GTFS reference. Those Tamna does not load (fares, transfers, pathways…) are accepted unread.
KNOWN_FILES = CORE_FILES | {
    "calendar.txt",
    "calendar_dates.txt",
    "fare_attributes.txt",
    "fare_rules.txt",
    "timeframes.txt",
    "rider_categories.txt",
    "fare_media.txt",
    "fare_products.txt",
    "fare_leg_rules.txt",
    "fare_leg_join_rules.txt",
    "fare_transfer_rules.txt",
    "areas.txt",
    "stop_areas.txt",
    "networks.txt",
    "route_networks.txt",
    "shapes.txt",
    "frequencies.txt",
    "transfers.txt",
    "pathways.txt",
    "levels.txt",
    "location_groups.txt",
    "location_group_stops.txt",
    "booking_rules.txt",
    "translations.txt",
    "feed_info.txt",
    "attributions.txt",
}

TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")
ROUTE_TYPES = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 11, 12})


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its kind (how it is parsed), whether it is required, and its allowed values or range."""

    kind: str  # id | text | url | timezone | color | time | date | float | int | enum
    required: bool = False
    values: frozenset[int] | None = None
    low: float | None = None
    high: float | None = None


def _enum(*values: int, required: bool = False) -> Column:
    return Column("enum", required, frozenset(values))


ID, TEXT = Column("id"), Column("text")
RID = Column("id", required=True)
DAY = _enum(0, 1, required=True)

#: The columns Tamna reads and checks, per file. Unknown columns are reported as INFO and ignored.
FILES: dict[str, dict[str, Column]] = {
    "agency.txt": {
        "agency_id": ID,
        "agency_name": Column("text", required=True),
        "agency_url": Column("url", required=True),
        "agency_timezone": Column("timezone", required=True),
        "agency_lang": TEXT,
        "agency_phone": TEXT,
        "agency_fare_url": Column("url"),
        "agency_email": TEXT,
        "cemv_support": _enum(0, 1, 2),
    },
    "stops.txt": {
        "stop_id": RID,
        "stop_code": TEXT,
        "stop_name": TEXT,
        "tts_stop_name": TEXT,
        "stop_desc": TEXT,
        "stop_lat": Column("float", low=-90, high=90),
        "stop_lon": Column("float", low=-180, high=180),
        "zone_id": ID,
        "stop_url": Column("url"),
        "location_type": _enum(0, 1, 2, 3, 4),
        "parent_station": ID,
        "stop_timezone": Column("timezone"),
        "wheelchair_boarding": _enum(0, 1, 2),
        "level_id": ID,
        "platform_code": TEXT,
        "stop_access": _enum(0, 1),
    },
    "routes.txt": {
        "route_id": RID,
        "agency_id": ID,
        "route_short_name": TEXT,
        "route_long_name": TEXT,
        "route_desc": TEXT,
        "route_type": Column("int", required=True, low=0, high=1702),
        "route_url": Column("url"),
        "route_color": Column("color"),
        "route_text_color": Column("color"),
        "route_sort_order": Column("int", low=0),
        "continuous_pickup": _enum(0, 1, 2, 3),
        "continuous_drop_off": _enum(0, 1, 2, 3),
        "network_id": ID,
        "cemv_support": _enum(0, 1, 2),
    },
    "trips.txt": {
        "route_id": RID,
        "service_id": RID,
        "trip_id": RID,
        "trip_headsign": TEXT,
        "trip_short_name": TEXT,
        "direction_id": _enum(0, 1),
        "block_id": ID,
        "shape_id": ID,
        "wheelchair_accessible": _enum(0, 1, 2),
        "bikes_allowed": _enum(0, 1, 2),
        "cars_allowed": _enum(0, 1, 2),
    },
    "stop_times.txt": {
        "trip_id": RID,
        "arrival_time": Column("time"),
        "departure_time": Column("time"),
        "stop_id": ID,
        "location_group_id": ID,
        "location_id": ID,
        "stop_sequence": Column("int", required=True, low=0),
        "stop_headsign": TEXT,
        "start_pickup_drop_off_window": Column("time"),
        "end_pickup_drop_off_window": Column("time"),
        "pickup_type": _enum(0, 1, 2, 3),
        "drop_off_type": _enum(0, 1, 2, 3),
        "continuous_pickup": _enum(0, 1, 2, 3),
        "continuous_drop_off": _enum(0, 1, 2, 3),
        "shape_dist_traveled": Column("float", low=0),
        "timepoint": _enum(0, 1),
        "pickup_booking_rule_id": ID,
        "drop_off_booking_rule_id": ID,
    },
    "calendar.txt": {
        "service_id": RID,
        **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), DAY),
        "start_date": Column("date", required=True),
        "end_date": Column("date", required=True),
    },
    "calendar_dates.txt": {
        "service_id": RID,
        "date": Column("date", required=True),
        "exception_type": _enum(1, 2, required=True),
    },
    "shapes.txt": {
        "shape_id": RID,
        "shape_pt_lat": Column("float", required=True, low=-90, high=90),
        "shape_pt_lon": Column("float", required=True, low=-180, high=180),
        "shape_pt_sequence": Column("int", required=True, low=0),
        "shape_dist_traveled": Column("float", low=0),
    },
    "frequencies.txt": {
        "trip_id": RID,
        "start_time": Column("time", required=True),
        "end_time": Column("time", required=True),
        "headway_secs": Column("int", required=True, low=1),
        "exact_times": _enum(0, 1),
    },
    "feed_info.txt": {
        "feed_publisher_name": Column("text", required=True),
        "feed_publisher_url": Column("url", required=True),
        "feed_lang": Column("text", required=True),
        "default_lang": TEXT,
        "feed_start_date": Column("date"),
        "feed_end_date": Column("date"),
        "feed_version": TEXT,
        "feed_contact_email": TEXT,
        "feed_contact_url": Column("url"),
    },
}


@lru_cache(maxsize=65_536)  # feeds repeat the same few thousand times of day
def parse_time(text: str) -> int | None:
    """GTFS time (``H:MM:SS``, may pass 24:00:00) → seconds from the service day's origin; None if malformed.

    >>> parse_time("25:10:00"), parse_time("7:00:05"), parse_time("7:60:00")
    (90600, 25205, None)
    """
    match = TIME.match(text)
    if match is None:
        return None
    hours, minutes, seconds = (int(part) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_time(seconds: int) -> str:
    """Seconds from the service day's origin → GTFS ``HH:MM:SS``.

    >>> format_time(90600)
    '25:10:00'
    """
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@lru_cache(maxsize=4_096)
def parse_date(text: str) -> date | None:
    """GTFS date ``YYYYMMDD`` → date; None if malformed."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
