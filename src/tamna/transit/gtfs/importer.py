"""GTFS import: read → validate → measure shapes and place stops on them → store, or refuse with the report."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tamna.core.timeutil import utcnow
from tamna.domain.transit import FeedSummary
from tamna.store.base import Store
from tamna.store.gtfs_schema import GTFS_SCHEMAS
from tamna.transit.errors import FeedRefusedError
from tamna.transit.geo import Plane
from tamna.transit.gtfs.reader import parse_csv, read_feed_files
from tamna.transit.gtfs.report import ValidationReport
from tamna.transit.gtfs.shapes import STOP_TOO_FAR_M, ShapeGeometry, build_shapes, locate_stops
from tamna.transit.gtfs.spec import FILES
from tamna.transit.gtfs.typed import Typed, convert, empty
from tamna.transit.gtfs.validate import (
    Feed,
    TripStops,
    check_agencies,
    check_calendars,
    check_files,
    check_frequencies,
    check_keys,
    check_references,
    check_routes,
    check_speeds,
    check_stop_times,
    check_stops,
    check_usage,
    group_stop_times,
)

FEED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class LoadedFeed:
    """A read and validated feed: its report, and (when it has no errors) its tables and summary."""

    summary: FeedSummary
    report: ValidationReport
    tables: dict[str, pa.Table]


def feed_id_for(path: Path) -> str:
    """A feed id from a file name: ``cairns_gtfs.zip`` → ``cairns_gtfs``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem if path.is_file() else path.name).strip("-.") or "feed"
    return stem[:64]


def load_feed(
    path: Path,
    *,
    feed_id: str | None = None,
    today: date | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> LoadedFeed:
    """Read and validate the feed at ``path`` (zip or folder). Raises FeedUnreadableError when it is no feed at
    all; otherwise returns the report, and the tables only when the feed has no errors."""
    feed_id = feed_id or feed_id_for(path)
    if not FEED_ID.match(feed_id):
        raise ValueError(f"feed id {feed_id!r} must be letters, digits, '_', '.' or '-' (at most 64)")
    report = ValidationReport(path.name)
    files = read_feed_files(path, report)
    typed: dict[str, Typed] = {}
    present = set()
    for name in FILES:
        table = parse_csv(name, files[name], report) if name in files else None
        if table is not None:
            present.add(name)
        typed[name] = convert(table, report) if table is not None else empty(name)
    feed = Feed(typed, present)
    now = clock()
    for check in (check_files, check_keys, check_references, check_agencies, check_stops, check_routes):
        check(feed, report)
    check_calendars(feed, report, today or now.date())
    check_frequencies(feed, report)
    trips = group_stop_times(feed)
    check_stop_times(feed, trips, report)
    check_usage(feed, trips, report)
    check_speeds(feed, trips, report)
    plane = _plane(feed)
    shapes = build_shapes(feed["shapes.txt"], plane, report)
    stop_dist, filled = _place_stops(feed, trips, shapes, plane, report)
    tables = _tables(feed, shapes, stop_dist, filled) if report.ok else {}
    summary = _summary(feed_id, path, feed, report, now, len(shapes))
    return LoadedFeed(summary, report, tables)


def import_feed(
    store: Store,
    path: Path,
    *,
    feed_id: str | None = None,
    today: date | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> LoadedFeed:
    """Load a feed into the store (replacing one of the same id). A feed with errors is refused with
    :class:`FeedRefusedError` carrying the report; warnings do not stop it."""
    loaded = load_feed(path, feed_id=feed_id, today=today, clock=clock)
    if not loaded.report.ok:
        raise FeedRefusedError(
            f"{path.name} was refused: {loaded.report.errors} errors (and {loaded.report.warnings} warnings)",
            loaded.report,
        )
    store.replace_gtfs(loaded.summary, loaded.tables)
    return loaded


def _plane(feed: Feed) -> Plane:
    stops = feed["stops.txt"]
    lats = [v for v in stops.col("stop_lat") if v is not None]
    lons = [v for v in stops.col("stop_lon") if v is not None]
    if not lats:
        lats = [v for v in feed["shapes.txt"].col("shape_pt_lat") if v is not None] or [0.0]
        lons = [v for v in feed["shapes.txt"].col("shape_pt_lon") if v is not None] or [0.0]
    return Plane(float(np.median(lons)), float(np.median(lats)))


def _place_stops(
    feed: Feed, trips: TripStops, shapes: dict[str, ShapeGeometry], plane: Plane, report: ValidationReport
) -> tuple[dict[int, float], set[str]]:
    """Metres along its trip's shape of every stop-time row; also the shapes whose distances Tamna computed
    (their trips' stop times get computed shape_dist_traveled too)."""
    stops = feed["stops.txt"]
    position = {
        s: plane.xy(lon, lat)
        for s, lat, lon in zip(stops.col("stop_id"), stops.col("stop_lat"), stops.col("stop_lon"), strict=True)
        if lat is not None and lon is not None
    }
    table = feed["stop_times.txt"]
    stop_ids, user = table.col("stop_id"), table.col("shape_dist_traveled")
    trip_shape = dict(zip(feed["trips.txt"].col("trip_id"), feed["trips.txt"].col("shape_id"), strict=True))
    out: dict[int, float] = {}
    patterns: dict[tuple[str, tuple[str, ...], tuple[float | None, ...]], list[float]] = {}
    reported: set[tuple[str, str, str]] = set()
    for trip_id, members in trips.rows.items():
        ids = tuple(stop_ids[i] for i in members)
        if any(s not in position for s in ids):
            continue
        shape = shapes.get(trip_shape.get(trip_id) or "")
        if shape is None or shape.line is None:
            # no shape: distances along the straight legs between stops
            xy = np.array([position[s] for s in ids])
            legs = np.hypot(*np.diff(xy, axis=0).T) if len(ids) > 1 else np.zeros(0)
            dists = np.concatenate([[0.0], np.cumsum(legs)]).tolist()
        else:
            given = tuple(user[i] for i in members)
            key = (shape.shape_id, ids, given)
            if key not in patterns:
                patterns[key] = _locate(trip_id, shape, ids, given, position, report, reported)
            dists = patterns[key]
        out.update(zip(members, dists, strict=True))
    filled = {s.shape_id for s in shapes.values() if s.feed_dist is None}
    return out, filled


def _locate(
    trip_id: str,
    shape: ShapeGeometry,
    ids: tuple[str, ...],
    given: tuple[float | None, ...],
    position: dict[str, tuple[float, float]],
    report: ValidationReport,
    reported: set[tuple[str, str, str]],
) -> list[float]:
    line = shape.line
    if line is None:
        raise ValueError("locate needs a shape line")
    if shape.feed_dist is not None and all(g is not None for g in given):
        dists = [shape.to_metres(float(g)) for g in given if g is not None]
        for stop_id, d in zip(ids, dists, strict=True):
            x, y = line.point_at(d)
            far = float(np.hypot(x - position[stop_id][0], y - position[stop_id][1]))
            if far > STOP_TOO_FAR_M and ("user", shape.shape_id, stop_id) not in reported:
                reported.add(("user", shape.shape_id, stop_id))
                report.warning(
                    "stop_too_far_from_shape_using_user_distance",
                    f"trip {trip_id!r}: stop {stop_id!r} is {far:.0f} m from the point of shape {shape.shape_id!r} "
                    "at its shape_dist_traveled",
                    file="stop_times.txt",
                    value=stop_id,
                )
        return dists
    matches, in_order = locate_stops(line, [position[s] for s in ids])
    if not in_order:
        report.warning(
            "stops_match_shape_out_of_order",
            f"trip {trip_id!r}: its stops do not follow shape {shape.shape_id!r} in stop_sequence order",
            file="stop_times.txt",
            value=trip_id,
        )
    for stop_id, match in zip(ids, matches, strict=True):
        if match.offset_m > STOP_TOO_FAR_M and ("far", shape.shape_id, stop_id) not in reported:
            reported.add(("far", shape.shape_id, stop_id))
            report.warning(
                "stop_too_far_from_shape",
                f"trip {trip_id!r}: stop {stop_id!r} is {match.offset_m:.0f} m from shape {shape.shape_id!r}",
                file="stop_times.txt",
                value=stop_id,
            )
    return [m.dist_m for m in matches]


def _tables(
    feed: Feed, shapes: dict[str, ShapeGeometry], stop_dist: dict[int, float], filled: set[str]
) -> dict[str, pa.Table]:
    def table(name: str, columns: dict[str, list[Any]]) -> pa.Table:
        return pa.table(columns, schema=GTFS_SCHEMAS[name])

    agency, routes, stops, trips = feed["agency.txt"], feed["routes.txt"], feed["stops.txt"], feed["trips.txt"]
    stop_times, calendar, dates, freq = (
        feed["stop_times.txt"],
        feed["calendar.txt"],
        feed["calendar_dates.txt"],
        feed["frequencies.txt"],
    )
    trip_shape = dict(zip(trips.col("trip_id"), trips.col("shape_id"), strict=True))
    n = len(stop_times)
    dist_m = [stop_dist.get(i) for i in range(n)]
    given = stop_times.col("shape_dist_traveled")
    shape_dist = [
        g if g is not None else (d if trip_shape.get(t) in filled else None)
        for g, d, t in zip(given, dist_m, stop_times.col("trip_id"), strict=True)
    ]
    shape_rows: dict[str, list[Any]] = {c: [] for c in GTFS_SCHEMAS["shapes"].names}
    for shape in shapes.values():
        count = len(shape.sequence)
        shape_rows["shape_id"].extend([shape.shape_id] * count)
        shape_rows["shape_pt_sequence"].extend(shape.sequence.tolist())
        shape_rows["shape_pt_lat"].extend(shape.lat.tolist())
        shape_rows["shape_pt_lon"].extend(shape.lon.tolist())
        feed_dist = shape.feed_dist if shape.feed_dist is not None else shape.dist_m
        shape_rows["shape_dist_traveled"].extend(feed_dist.tolist())
        shape_rows["dist_m"].extend(shape.dist_m.tolist())
    return {
        "agencies": table(
            "agencies",
            {
                "agency_id": [a or "" for a in agency.col("agency_id")],
                **{c: agency.col(c) for c in ("agency_name", "agency_url", "agency_timezone")},
                **{c: agency.col(c) for c in ("agency_lang", "agency_phone")},
            },
        ),
        "routes": table(
            "routes",
            {c: routes.col(c) for c in GTFS_SCHEMAS["routes"].names},
        ),
        "stops": table(
            "stops",
            {
                **{c: stops.col(c) for c in GTFS_SCHEMAS["stops"].names if c != "location_type"},
                "location_type": [k or 0 for k in stops.col("location_type")],
            },
        ),
        "trips": table("trips", {c: trips.col(c) for c in GTFS_SCHEMAS["trips"].names}),
        "stop_times": table(
            "stop_times",
            {
                **{c: stop_times.col(c) for c in ("trip_id", "stop_sequence", "stop_id", "stop_headsign")},
                "arrival_s": stop_times.col("arrival_time"),
                "departure_s": stop_times.col("departure_time"),
                **{c: stop_times.col(c) for c in ("pickup_type", "drop_off_type", "timepoint")},
                "shape_dist_traveled": shape_dist,
                "dist_m": dist_m,
            },
        ),
        "calendars": table("calendars", {c: calendar.col(c) for c in GTFS_SCHEMAS["calendars"].names}),
        "calendar_dates": table("calendar_dates", {c: dates.col(c) for c in GTFS_SCHEMAS["calendar_dates"].names}),
        "shapes": table("shapes", shape_rows),
        "frequencies": table(
            "frequencies",
            {
                "trip_id": freq.col("trip_id"),
                "start_s": freq.col("start_time"),
                "end_s": freq.col("end_time"),
                "headway_secs": freq.col("headway_secs"),
                "exact_times": [e or 0 for e in freq.col("exact_times")],
            },
        ),
    }


def _summary(
    feed_id: str, path: Path, feed: Feed, report: ValidationReport, now: datetime, shape_count: int
) -> FeedSummary:
    stops, shapes = feed["stops.txt"], feed["shapes.txt"]
    lons = [v for v in [*stops.col("stop_lon"), *shapes.col("shape_pt_lon")] if v is not None]
    lats = [v for v in [*stops.col("stop_lat"), *shapes.col("shape_pt_lat")] if v is not None]
    bbox = (min(lons), min(lats), max(lons), max(lats)) if lons and lats else (0.0, 0.0, 0.0, 0.0)
    calendar, dates = feed["calendar.txt"], feed["calendar_dates.txt"]
    added = [d for d, kind in zip(dates.col("date"), dates.col("exception_type"), strict=True) if kind == 1 and d]
    starts = [d for d in calendar.col("start_date") if d] + added
    ends = [d for d in calendar.col("end_date") if d] + added
    zones = [z for z in feed["agency.txt"].col("agency_timezone") if z]
    counts = {
        "agencies": len(feed["agency.txt"]),
        "routes": len(feed["routes.txt"]),
        "stops": len(stops),
        "trips": len(feed["trips.txt"]),
        "stop_times": len(feed["stop_times.txt"]),
        "calendars": len(calendar),
        "calendar_dates": len(dates),
        "shapes": shape_count,
        "shape_points": len(shapes),
        "frequencies": len(feed["frequencies.txt"]),
    }
    return FeedSummary(
        feed_id=feed_id,
        source=path.name,
        imported_at=now,
        timezone=zones[0] if zones else "UTC",
        bbox=bbox,
        start_date=min(starts) if starts else None,
        end_date=max(ends) if ends else None,
        counts=counts,
        errors=report.errors,
        warnings=report.warnings,
        report=report.to_dict(),
    )
