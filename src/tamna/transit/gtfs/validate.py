"""Rules across a feed's files: keys, references, stop times in order, calendars, frequencies, how stops sit on
shapes. Codes and severities follow the GTFS reference validator (MobilityData ``gtfs-validator``)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tamna.transit.geo import haversine_m
from tamna.transit.gtfs.report import ValidationReport
from tamna.transit.gtfs.spec import REQUIRED_FILES, ROUTE_TYPES, parse_date
from tamna.transit.gtfs.typed import Typed

#: Fastest plausible speed between consecutive stops by route type (km/h), after the reference validator.
MAX_SPEED_KMH = {0: 100, 1: 150, 2: 500, 3: 150, 4: 80, 5: 30, 6: 50, 7: 50, 11: 150, 12: 150}


@dataclass
class Feed:
    """A feed's typed files by name; absent files are empty."""

    files: dict[str, Typed]
    present: set[str] = field(default_factory=set)

    def __getitem__(self, name: str) -> Typed:
        return self.files[name]


@dataclass
class TripStops:
    """The stop-time rows of each trip, in stop_sequence order (indexes into stop_times.txt)."""

    rows: dict[str, list[int]]


def check_files(feed: Feed, report: ValidationReport) -> None:
    """Required files, and the calendar rule (calendar.txt or calendar_dates.txt)."""
    for name in REQUIRED_FILES:
        if name not in feed.present:
            report.error("missing_required_file", f"{name} is required and missing", file=name)
    if "calendar.txt" not in feed.present and "calendar_dates.txt" not in feed.present:
        report.error(
            "missing_calendar_and_calendar_date_files", "the feed needs calendar.txt or calendar_dates.txt (or both)"
        )


def check_keys(feed: Feed, report: ValidationReport) -> None:
    """No two rows share a primary key."""
    keys = {
        "agency.txt": ("agency_id",),
        "stops.txt": ("stop_id",),
        "routes.txt": ("route_id",),
        "trips.txt": ("trip_id",),
        "stop_times.txt": ("trip_id", "stop_sequence"),
        "calendar.txt": ("service_id",),
        "calendar_dates.txt": ("service_id", "date"),
        "frequencies.txt": ("trip_id", "start_time"),
    }
    for name, columns in keys.items():
        table = feed[name]
        if not all(table.has(c) for c in columns):
            continue
        seen: set[tuple[object, ...]] = set()
        for line, key in zip(table.lines, zip(*(table.col(c) for c in columns), strict=True), strict=True):
            if any(part is None for part in key):
                continue
            if key in seen:
                shown = ", ".join(f"{c}={v!r}" for c, v in zip(columns, key, strict=True))
                report.error("duplicate_key", f"another row has {shown}", file=name, line=line, value=str(key))
            seen.add(key)


def check_references(feed: Feed, report: ValidationReport) -> None:
    """Every reference names a row that exists."""
    agencies = set(feed["agency.txt"].col("agency_id")) - {None}
    stops = set(feed["stops.txt"].col("stop_id")) - {None}
    routes = set(feed["routes.txt"].col("route_id")) - {None}
    trips = set(feed["trips.txt"].col("trip_id")) - {None}
    services = set(feed["calendar.txt"].col("service_id")) | set(feed["calendar_dates.txt"].col("service_id"))
    shapes = set(feed["shapes.txt"].col("shape_id")) - {None}
    checks: list[tuple[str, str, set[object], str]] = [
        ("routes.txt", "agency_id", agencies, "agency.txt"),
        ("stops.txt", "parent_station", stops, "stops.txt"),
        ("trips.txt", "route_id", routes, "routes.txt"),
        ("trips.txt", "service_id", services, "calendar.txt or calendar_dates.txt"),
        ("trips.txt", "shape_id", shapes, "shapes.txt"),
        ("stop_times.txt", "trip_id", trips, "trips.txt"),
        ("stop_times.txt", "stop_id", stops, "stops.txt"),
        ("frequencies.txt", "trip_id", trips, "trips.txt"),
    ]
    for name, column, known, target in checks:
        table = feed[name]
        if not table.has(column) or (column == "agency_id" and not agencies):
            continue
        for line, value in zip(table.lines, table.col(column), strict=True):
            if value is not None and value not in known:
                report.error(
                    "foreign_key_violation",
                    f"{column} {value!r} is not in {target}",
                    file=name,
                    line=line,
                    field=column,
                    value=value,
                )


def check_agencies(feed: Feed, report: ValidationReport) -> None:
    """One time zone for all agencies; agency_id wherever there are several agencies."""
    agency = feed["agency.txt"]
    zones = {z for z in agency.col("agency_timezone") if z}
    if len(zones) > 1:
        report.error(
            "inconsistent_agency_timezone", f"agencies use several time zones: {sorted(zones)}", file="agency.txt"
        )
    if len(agency) > 1:
        for line, value in zip(agency.lines, agency.col("agency_id"), strict=True):
            if value is None:
                report.error(
                    "missing_required_field",
                    "agency_id is required when there are several agencies",
                    file="agency.txt",
                    line=line,
                    field="agency_id",
                )
        routes = feed["routes.txt"]
        for line, value in zip(routes.lines, routes.col("agency_id"), strict=True):
            if value is None:
                report.error(
                    "missing_required_field",
                    "agency_id is required when there are several agencies",
                    file="routes.txt",
                    line=line,
                    field="agency_id",
                )


def check_stops(feed: Feed, report: ValidationReport) -> None:
    """Names and positions where required, parents of the right type, nothing at (0, 0)."""
    stops = feed["stops.txt"]
    kinds = {s: (t or 0) for s, t in zip(stops.col("stop_id"), stops.col("location_type"), strict=True)}
    rows = zip(
        stops.lines,
        stops.col("stop_id"),
        stops.col("location_type"),
        stops.col("parent_station"),
        stops.col("stop_name"),
        stops.col("stop_lat"),
        stops.col("stop_lon"),
        strict=True,
    )
    for line, stop_id, given_kind, parent, name, lat, lon in rows:
        kind = given_kind or 0
        where = {"file": "stops.txt", "line": line}
        if kind in (0, 1, 2):
            for column, value in (("stop_name", name), ("stop_lat", lat), ("stop_lon", lon)):
                if value is None:
                    report.error("missing_required_field", f"stop {stop_id!r} needs {column}", field=column, **where)
        if kind in (2, 3, 4) and parent is None:
            report.error(
                "location_without_parent_station",
                f"location {stop_id!r} of type {kind} needs a parent",
                field="parent_station",
                **where,
            )
        if kind == 1 and parent is not None:
            report.error(
                "station_with_parent_station",
                f"station {stop_id!r} has a parent_station",
                field="parent_station",
                **where,
            )
        if parent is not None and parent in kinds:
            wanted = {0: 1, 2: 1, 3: 1, 4: 0}.get(kind)
            if wanted is not None and kinds[parent] != wanted:
                report.error(
                    "wrong_parent_location_type",
                    f"the parent of {stop_id!r} has location_type {kinds[parent]}, not {wanted}",
                    field="parent_station",
                    **where,
                )
        if lat is not None and lon is not None and abs(lat) <= 1 and abs(lon) <= 1:
            report.error("point_near_origin", f"stop {stop_id!r} is at ({lat}, {lon}), near (0, 0)", **where)


def check_routes(feed: Feed, report: ValidationReport) -> None:
    """A name for every route, known route types, short names that fit a sign."""
    routes = feed["routes.txt"]
    rows = zip(
        routes.lines,
        routes.col("route_id"),
        routes.col("route_short_name"),
        routes.col("route_long_name"),
        routes.col("route_type"),
        strict=True,
    )
    for line, route_id, short, long, kind in rows:
        where = {"file": "routes.txt", "line": line}
        if short is None and long is None:
            report.error("route_both_short_and_long_name_missing", f"route {route_id!r} has no name", **where)
        if short is not None and len(short) > 12:
            report.warning(
                "route_short_name_too_long",
                f"route_short_name {short!r} is over 12 characters",
                field="route_short_name",
                **where,
            )
        if kind is not None and kind not in ROUTE_TYPES and not 100 <= kind <= 1702:
            report.warning(
                "unexpected_enum_value",
                f"route_type {kind} is not a GTFS route type",
                field="route_type",
                value=kind,
                **where,
            )


def check_calendars(feed: Feed, report: ValidationReport, today: date | None) -> None:
    """Date ranges in order; expired service is worth a warning (the feed still loads)."""
    calendar = feed["calendar.txt"]
    ends: list[date] = []
    for line, start, end in zip(calendar.lines, calendar.col("start_date"), calendar.col("end_date"), strict=True):
        first, last = parse_date(start or ""), parse_date(end or "")
        if first and last:
            ends.append(last)
            if last < first:
                report.error(
                    "start_and_end_range_out_of_order",
                    f"end_date {end} is before start_date {start}",
                    file="calendar.txt",
                    line=line,
                )
    ends.extend(d for d in map(parse_date, (v or "" for v in feed["calendar_dates.txt"].col("date"))) if d)
    if today is not None and ends and max(ends) < today:
        report.warning(
            "expired_calendar",
            f"the service ends on {max(ends):%Y-%m-%d}, before {today:%Y-%m-%d}",
            file="calendar.txt",
        )


def check_frequencies(feed: Feed, report: ValidationReport) -> None:
    """Start before end; one trip's periods do not overlap."""
    table = feed["frequencies.txt"]
    periods: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    rows = zip(table.lines, table.col("trip_id"), table.col("start_time"), table.col("end_time"), strict=True)
    for line, trip_id, start, end in rows:
        if trip_id is None or start is None or end is None:
            continue
        if end < start:
            report.error(
                "start_and_end_range_out_of_order",
                f"trip {trip_id!r}: end_time before start_time",
                file="frequencies.txt",
                line=line,
            )
        elif end == start:
            report.error(
                "start_and_end_range_equal",
                f"trip {trip_id!r}: start_time equals end_time",
                file="frequencies.txt",
                line=line,
            )
        periods[trip_id].append((start, end, line))
    for trip_id, spans in periods.items():
        spans.sort()
        for (_, end_a, _), (start_b, _, line_b) in itertools.pairwise(spans):
            if start_b < end_a:
                report.error(
                    "overlapping_frequency",
                    f"trip {trip_id!r} has overlapping frequency periods",
                    file="frequencies.txt",
                    line=line_b,
                )


def group_stop_times(feed: Feed) -> TripStops:
    """Stop-time rows per trip, ordered by stop_sequence (the order of the file does not matter)."""
    table = feed["stop_times.txt"]
    rows: dict[str, list[int]] = defaultdict(list)
    for index, (trip_id, seq) in enumerate(zip(table.col("trip_id"), table.col("stop_sequence"), strict=True)):
        if trip_id is not None and seq is not None:
            rows[trip_id].append(index)
    seqs = table.col("stop_sequence")
    for members in rows.values():
        members.sort(key=lambda i: seqs[i])
    return TripStops(dict(rows))


def check_stop_times(feed: Feed, trips: TripStops, report: ValidationReport) -> None:
    """Each trip: times at its ends, no time travel, increasing distances, no station as a stop."""
    table = feed["stop_times.txt"]
    arrive, depart = table.col("arrival_time"), table.col("departure_time")
    dist, timepoint, stop_ids = table.col("shape_dist_traveled"), table.col("timepoint"), table.col("stop_id")
    stop_kind = dict(zip(feed["stops.txt"].col("stop_id"), feed["stops.txt"].col("location_type"), strict=True))
    groups, locations = table.col("location_group_id"), table.col("location_id")
    lines = table.lines
    for trip_id, members in trips.rows.items():
        first, last = members[0], members[-1]
        for edge in {first, last}:
            if arrive[edge] is None or depart[edge] is None:
                report.error(
                    "missing_trip_edge",
                    f"trip {trip_id!r}: its first and last stops need both times",
                    file="stop_times.txt",
                    line=lines[edge],
                )
        previous_departure, previous_dist = None, None
        for i in members:
            where = {"file": "stop_times.txt", "line": lines[i]}
            a, d = arrive[i], depart[i]
            _check_times(report, trip_id, a, d, timepoint[i] == 1, where)
            if a is not None and previous_departure is not None and a < previous_departure:
                report.error(
                    "stop_time_with_arrival_before_previous_departure_time",
                    f"trip {trip_id!r}: arrives before it left the previous stop",
                    field="arrival_time",
                    value=a,
                    **where,
                )
            if d is not None or a is not None:
                previous_departure = d if d is not None else a
            if dist[i] is not None:
                if previous_dist is not None and dist[i] <= previous_dist:
                    report.error(
                        "decreasing_or_equal_stop_time_distance",
                        f"trip {trip_id!r}: shape_dist_traveled does not increase",
                        field="shape_dist_traveled",
                        value=dist[i],
                        **where,
                    )
                previous_dist = dist[i]
            if stop_ids[i] is None and groups[i] is None and locations[i] is None:
                report.error(
                    "missing_required_field",
                    f"trip {trip_id!r}: stop_id is required (there is no location_group_id or location_id)",
                    field="stop_id",
                    **where,
                )
            if stop_kind.get(stop_ids[i]) not in (None, 0, 4):
                report.error(
                    "location_with_unexpected_stop_time",
                    f"stop_id {stop_ids[i]!r} is a station or entrance, not a stop",
                    **where,
                )


def _check_times(
    report: ValidationReport, trip_id: str, a: int | None, d: int | None, timepoint: bool, where: dict[str, Any]
) -> None:
    """One stop time's own times: both or neither, a timepoint has them, departure not before arrival."""
    if (a is None) != (d is None):
        report.error(
            "stop_time_with_only_arrival_or_departure_time",
            f"trip {trip_id!r}: a stop time with only one of its times",
            **where,
        )
    if timepoint and (a is None or d is None):
        report.error("stop_time_timepoint_without_times", f"trip {trip_id!r}: a timepoint without times", **where)
    if a is not None and d is not None and d < a:
        report.error(
            "start_and_end_range_out_of_order", f"trip {trip_id!r}: departure_time before arrival_time", **where
        )


def check_usage(feed: Feed, trips: TripStops, report: ValidationReport) -> None:
    """Trips with fewer than two stops, trips, shapes and stops nothing uses."""
    trip_table = feed["trips.txt"]
    for line, trip_id, _shape in zip(
        trip_table.lines, trip_table.col("trip_id"), trip_table.col("shape_id"), strict=True
    ):
        members = trips.rows.get(trip_id or "")
        if not members:
            report.warning("unused_trip", f"trip {trip_id!r} has no stop times", file="trips.txt", line=line)
        elif len(members) < 2:
            report.warning("unusable_trip", f"trip {trip_id!r} has one stop", file="trips.txt", line=line)
    used_shapes = set(trip_table.col("shape_id"))
    first_line: dict[str, int] = {}
    for line, shape_id in zip(feed["shapes.txt"].lines, feed["shapes.txt"].col("shape_id"), strict=True):
        first_line.setdefault(shape_id, line)
    for shape_id, line in first_line.items():
        if shape_id is not None and shape_id not in used_shapes:
            report.warning("unused_shape", f"shape {shape_id!r} is used by no trip", file="shapes.txt", line=line)
    used_stops = set(feed["stop_times.txt"].col("stop_id"))
    stops = feed["stops.txt"]
    for line, stop_id, kind in zip(stops.lines, stops.col("stop_id"), stops.col("location_type"), strict=True):
        if (kind or 0) == 0 and stop_id not in used_stops:
            report.warning(
                "stop_without_stop_time", f"stop {stop_id!r} is served by no trip", file="stops.txt", line=line
            )


def check_speeds(feed: Feed, trips: TripStops, report: ValidationReport) -> None:
    """Consecutive timed stops reached faster than the mode can go (a wrong position or time)."""
    stops = feed["stops.txt"]
    where_is = {
        s: (lon, lat)
        for s, lat, lon in zip(stops.col("stop_id"), stops.col("stop_lat"), stops.col("stop_lon"), strict=True)
        if lat is not None and lon is not None
    }
    routes = feed["routes.txt"]
    route_type = dict(zip(routes.col("route_id"), routes.col("route_type"), strict=True))
    trip_table = feed["trips.txt"]
    trip_route = dict(zip(trip_table.col("trip_id"), trip_table.col("route_id"), strict=True))
    table = feed["stop_times.txt"]
    arrive, depart, stop_ids, lines = (
        table.col("arrival_time"),
        table.col("departure_time"),
        table.col("stop_id"),
        table.lines,
    )
    reported: set[tuple[str, str]] = set()
    metres_between: dict[tuple[str, str], float] = {}
    for trip_id, members in trips.rows.items():
        limit = MAX_SPEED_KMH.get(route_type.get(trip_route.get(trip_id)) or 3, 150)
        timed = [i for i in members if depart[i] is not None or arrive[i] is not None]
        for i, j in itertools.pairwise(timed):
            a, b = where_is.get(stop_ids[i]), where_is.get(stop_ids[j])
            left, came = (
                depart[i] if depart[i] is not None else arrive[i],
                arrive[j] if arrive[j] is not None else depart[j],
            )
            if a is None or b is None or left is None or came is None:
                continue
            pair = (stop_ids[i], stop_ids[j])
            metres = metres_between.get(pair)
            if metres is None:
                metres = metres_between[pair] = haversine_m(a[0], a[1], b[0], b[1])
            seconds = max(came - left, 60)  # times are to the minute: a zero-minute hop is up to a minute
            if metres / seconds * 3.6 > limit and pair not in reported:
                reported.add(pair)
                report.warning(
                    "fast_travel_between_consecutive_stops",
                    f"trip {trip_id!r}: {metres:.0f} m from {pair[0]!r} to {pair[1]!r} in {came - left} s",
                    file="stop_times.txt",
                    line=lines[j],
                )
