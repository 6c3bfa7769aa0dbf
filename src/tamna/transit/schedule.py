"""The timetable in memory, indexed for matching and prediction: trips with their stop times, distances and line,
service calendars, frequencies, and which trips call at each stop.

Times of a trip are seconds from its service day's origin (local noon minus 12 h, so that days with a clock
change come out right); an instant is ``origin(service_date) + seconds``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from tamna.domain.transit import FeedSummary
from tamna.transit.geo import Plane, Polyline
from tamna.transit.gtfs.spec import parse_date

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Size of the cells of the spatial index of lines and stops.
CELL_M = 1_000.0


@dataclass(frozen=True, slots=True)
class Stop:
    """A stop (or station) of the feed."""

    stop_id: str
    name: str
    lat: float
    lon: float
    code: str | None = None
    parent: str | None = None  # the station a platform belongs to


@dataclass(frozen=True, slots=True)
class Route:
    """A route's names and colours."""

    route_id: str
    short_name: str | None
    long_name: str | None
    route_type: int
    color: str | None
    text_color: str | None

    @property
    def label(self) -> str:
        """What a sign shows: the short name, else the long one."""
        return self.short_name or self.long_name or self.route_id


@dataclass(frozen=True, slots=True)
class Frequency:
    """A period in which a trip's template runs every ``headway_s`` from ``start_s`` (before ``end_s``)."""

    start_s: int
    end_s: int
    headway_s: int
    exact: bool


@dataclass(eq=False, slots=True)
class Trip:
    """A trip with its stop times (missing times interpolated by distance) and its line."""

    trip_id: str
    route_id: str
    service_id: str
    direction_id: int | None
    headsign: str | None
    line_key: str
    line: Polyline
    stop_ids: tuple[str, ...]
    seqs: np.ndarray  # stop_sequence values
    arr: np.ndarray  # seconds from the origin
    dep: np.ndarray
    dist: np.ndarray  # metres along the line
    frequencies: tuple[Frequency, ...] = ()

    @property
    def first_s(self) -> float:
        """Departure from the first stop."""
        return float(self.dep[0])

    @property
    def last_s(self) -> float:
        """Arrival at the last stop."""
        return float(self.arr[-1])

    def time_at(self, dist_m: float) -> float:
        """Scheduled seconds from the origin at ``dist_m`` along the line: the departure from the stop before,
        moving on to the next stop's arrival in proportion to distance."""
        dist = self.dist
        k = int(dist.searchsorted(dist_m, side="right")) - 1
        if k < 0:
            return float(self.dep[0])
        if k >= len(dist) - 1:
            return float(self.arr[-1])
        span = dist[k + 1] - dist[k]
        share = (dist_m - dist[k]) / span if span > 0 else 1.0
        return float(self.dep[k] + share * (self.arr[k + 1] - self.dep[k]))

    def next_stop(self, dist_m: float, radius_m: float) -> int:
        """Index of the stop the vehicle is at (within ``radius_m``) or heading to; the last stop at the end."""
        k = int(self.dist.searchsorted(dist_m - radius_m, side="left"))
        return min(k, len(self.dist) - 1)


@dataclass
class Calendar:
    """Which services run on a date (calendar.txt with calendar_dates.txt's exceptions)."""

    weekly: dict[str, tuple[tuple[bool, ...], date, date]]
    exceptions: dict[date, dict[str, int]]
    _cache: dict[date, frozenset[str]] = field(default_factory=dict)

    def active(self, day: date) -> frozenset[str]:
        """Service ids running on ``day``."""
        found = self._cache.get(day)
        if found is None:
            running = {
                s for s, (days, start, end) in self.weekly.items() if start <= day <= end and days[day.weekday()]
            }
            for service, kind in self.exceptions.get(day, {}).items():
                if kind == 1:
                    running.add(service)
                else:
                    running.discard(service)
            found = self._cache[day] = frozenset(running)
        return found


class Schedule:
    """One feed's timetable, ready for matching and prediction."""

    def __init__(self, summary: FeedSummary, tables: dict[str, pa.Table]) -> None:
        self.summary = summary
        self.feed_id = summary.feed_id
        self.zone = ZoneInfo(summary.timezone)
        min_lon, min_lat, max_lon, max_lat = summary.bbox
        self.plane = Plane((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
        self.stops = _stops(tables["stops"])
        self.routes = _routes(tables["routes"])
        self.calendar = _calendar(tables["calendars"], tables["calendar_dates"])
        self.trips = _trips(tables, self.stops, self.plane)
        self.trips_by_route: dict[str, list[Trip]] = defaultdict(list)
        self.visits: dict[str, list[tuple[Trip, int]]] = defaultdict(list)
        self.lines: dict[str, Polyline] = {}
        self.line_trips: dict[str, list[Trip]] = defaultdict(list)
        for trip in self.trips.values():
            self.trips_by_route[trip.route_id].append(trip)
            self.lines[trip.line_key] = trip.line
            self.line_trips[trip.line_key].append(trip)
            for index, stop_id in enumerate(trip.stop_ids):
                self.visits[stop_id].append((trip, index))
        self.children: dict[str, list[str]] = defaultdict(list)
        for stop in self.stops.values():
            if stop.parent:
                self.children[stop.parent].append(stop.stop_id)
        self.cells = self._index()
        self._origins: dict[date, float] = {}
        #: what other modules derive from the timetable once and keep with it (feed templates, say)
        self.derived: dict[str, Any] = {}

    # ---- time ------------------------------------------------------------------------------------------
    def origin(self, day: date) -> float:
        """Unix time of the service day's origin: local noon minus 12 hours."""
        found = self._origins.get(day)
        if found is None:
            noon = datetime.combine(day, time(12), tzinfo=self.zone).astimezone(UTC)
            found = self._origins[day] = (noon - timedelta(hours=12)).timestamp()
        return found

    def service_days(self, at: float, *, span_days: int = 1) -> list[date]:
        """The local date at ``at`` and the ``span_days`` before it (trips run past midnight)."""
        today = datetime.fromtimestamp(at, self.zone).date()
        return [today - timedelta(days=k) for k in range(span_days + 1)]

    # ---- space -----------------------------------------------------------------------------------------
    def _index(self) -> dict[tuple[int, int], set[str]]:
        cells: dict[tuple[int, int], set[str]] = defaultdict(set)
        for key, line in self.lines.items():
            # points every ~half cell, so every cell a line crosses is marked
            steps = np.arange(0.0, line.length_m + CELL_M / 2, CELL_M / 2)
            for d in steps:
                x, y = line.point_at(float(d))
                cells[(int(x // CELL_M), int(y // CELL_M))].add(key)
        for stop in self.stops.values():
            x, y = self.plane.xy(stop.lon, stop.lat)
            cells[(int(x // CELL_M), int(y // CELL_M))].add("")  # "" marks a stop without a line
        return dict(cells)

    def lines_near(self, x: float, y: float, reach: int = 1) -> set[str]:
        """Keys of the lines passing the cells within ``reach`` cells of (x, y) ("" stands for a stop)."""
        cx, cy = int(x // CELL_M), int(y // CELL_M)
        found: set[str] = set()
        for i in range(cx - reach, cx + reach + 1):
            for j in range(cy - reach, cy + reach + 1):
                found |= self.cells.get((i, j), set())
        return found


def _stops(table: pa.Table) -> dict[str, Stop]:
    out = {}
    for row in table.to_pylist():
        if row["stop_lat"] is None or row["stop_lon"] is None:
            continue
        out[row["stop_id"]] = Stop(
            row["stop_id"],
            row["stop_name"] or row["stop_id"],
            row["stop_lat"],
            row["stop_lon"],
            row["stop_code"],
            row["parent_station"],
        )
    return out


def _routes(table: pa.Table) -> dict[str, Route]:
    return {
        r["route_id"]: Route(
            r["route_id"],
            r["route_short_name"],
            r["route_long_name"],
            int(r["route_type"]),
            r["route_color"],
            r["route_text_color"],
        )
        for r in table.to_pylist()
    }


def _calendar(calendars: pa.Table, dates: pa.Table) -> Calendar:
    weekly = {}
    for row in calendars.to_pylist():
        start, end = parse_date(row["start_date"]), parse_date(row["end_date"])
        if start and end:
            weekly[row["service_id"]] = (tuple(bool(row[d]) for d in DAYS), start, end)
    exceptions: dict[date, dict[str, int]] = defaultdict(dict)
    for row in dates.to_pylist():
        day = parse_date(row["date"])
        if day:
            exceptions[day][row["service_id"]] = int(row["exception_type"])
    return Calendar(weekly, dict(exceptions))


def _trips(tables: dict[str, pa.Table], stops: dict[str, Stop], plane: Plane) -> dict[str, Trip]:
    lines = _shape_lines(tables["shapes"], plane)
    frequencies: dict[str, list[Frequency]] = defaultdict(list)
    for row in tables["frequencies"].to_pylist():
        frequencies[row["trip_id"]].append(
            Frequency(row["start_s"], row["end_s"], row["headway_secs"], bool(row["exact_times"]))
        )
    st = tables["stop_times"]
    trip_ids = st.column("trip_id").to_pylist()
    stop_ids = st.column("stop_id").to_pylist()
    seqs = st.column("stop_sequence").to_numpy()
    arr = st.column("arrival_s").to_numpy(zero_copy_only=False).astype(float)
    dep = st.column("departure_s").to_numpy(zero_copy_only=False).astype(float)
    dist = st.column("dist_m").to_numpy(zero_copy_only=False).astype(float)
    # rows come ordered by (trip_id, stop_sequence): split where the trip changes
    bounds = [0] + [i for i in range(1, len(trip_ids)) if trip_ids[i] != trip_ids[i - 1]] + [len(trip_ids)]
    spans = {trip_ids[a]: (a, b) for a, b in itertools.pairwise(bounds) if b > a}
    out = {}
    for row in tables["trips"].to_pylist():
        span = spans.get(row["trip_id"])
        if span is None or span[1] - span[0] < 2:
            continue  # a trip without two stops cannot be run or matched
        a, b = span
        ids = tuple(stop_ids[a:b])
        if any(s not in stops for s in ids):
            continue
        d = dist[a:b]
        key, line = _line_for(row["shape_id"], lines, ids, stops, plane)
        if key != row["shape_id"]:
            d = _straight_dist(ids, stops, plane)
        elif np.isnan(d).any():
            d = np.array([line.nearest(*plane.xy(stops[s].lon, stops[s].lat))[0] for s in ids])
        times_a, times_d = _fill_times(arr[a:b], dep[a:b], d)
        out[row["trip_id"]] = Trip(
            trip_id=row["trip_id"],
            route_id=row["route_id"],
            service_id=row["service_id"],
            direction_id=row["direction_id"],
            headsign=row["trip_headsign"],
            line_key=key,
            line=line,
            stop_ids=ids,
            seqs=seqs[a:b].astype(np.int64),
            arr=times_a,
            dep=times_d,
            dist=np.maximum.accumulate(d),
            frequencies=tuple(sorted(frequencies.get(row["trip_id"], []), key=lambda f: f.start_s)),
        )
    return out


def _shape_lines(shapes: pa.Table, plane: Plane) -> dict[str, Polyline]:
    ids = shapes.column("shape_id").to_pylist()
    lat = shapes.column("shape_pt_lat").to_numpy()
    lon = shapes.column("shape_pt_lon").to_numpy()
    dist = shapes.column("dist_m").to_numpy()
    x, y = plane.many(lon, lat)
    bounds = [0] + [i for i in range(1, len(ids)) if ids[i] != ids[i - 1]] + [len(ids)]
    out = {}
    for a, b in itertools.pairwise(bounds):
        if b - a >= 2 and dist[b - 1] > 0:
            out[ids[a]] = Polyline(x[a:b], y[a:b], dist[a:b])
    return out


def _line_for(
    shape_id: str | None, lines: dict[str, Polyline], ids: tuple[str, ...], stops: dict[str, Stop], plane: Plane
) -> tuple[str, Polyline]:
    if shape_id is not None and shape_id in lines:
        return shape_id, lines[shape_id]
    # no usable shape: the straight legs between the stops stand in for it
    key = "stops:" + "|".join(ids)
    found = lines.get(key)
    if found is None:
        xy = np.array([plane.xy(stops[s].lon, stops[s].lat) for s in ids])
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        if cum[-1] <= 0:
            cum = cum + np.arange(len(cum)) * 1e-3
        found = lines[key] = Polyline(xy[:, 0], xy[:, 1], cum)
    return key, found


def _straight_dist(ids: tuple[str, ...], stops: dict[str, Stop], plane: Plane) -> np.ndarray:
    xy = np.array([plane.xy(stops[s].lon, stops[s].lat) for s in ids])
    result: np.ndarray = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    return result


def _fill_times(arr: np.ndarray, dep: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times of non-timepoint stops, interpolated by distance between the timed ones (as GTFS intends)."""
    arr, dep = arr.copy(), dep.copy()
    arr = np.where(np.isnan(arr), dep, arr)
    dep = np.where(np.isnan(dep), arr, dep)
    missing = np.isnan(arr)
    if missing.any():
        known = ~missing
        # distances can repeat; a tiny ramp keeps interpolation defined and ordered
        x = dist + np.arange(len(dist)) * 1e-6
        arr[missing] = np.interp(x[missing], x[known], arr[known])
        dep[missing] = arr[missing]
    return arr, dep
