"""The twin's bus timetable as a GTFS feed, so that the platform's transit room runs on the twin as on a city.

What SUMO's files say becomes GTFS: each bus ``line`` a route (``route_id`` = the line, the id the twin's buses
report), each scheduled SUMO bus a trip (``trip_id`` = its vehicle id, ``<flow id>.<n>`` for the n-th bus of a
flow), each ``busStop`` a stop, each SUMO route a shape (the kerb lanes of its edges, in lon/lat), every day a
service day. A builder that knows better than the network where a stop stands gives the stop ``<param>``s:
``gtfs_stop_id`` (the Jeju twin: the BIS station id), ``lon`` and ``lat`` (the register's surveyed place).

The timetable is what a planner sets from the map, not from a run: free-flow time at the lower of the road's limit
and the bus's top speed, plus :data:`SIGNAL_ALLOWANCE_S` for each signal passed, :data:`STOP_LOSS_S` for braking
into and pulling out of each stop, and the stop's dwell. Congestion then makes buses late, as it does in a city.
"""

from __future__ import annotations

import bisect
import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tamna.twin.build._buslines import (
    DEFAULT_MAX_SPEED_MPS,
    BusService,
    BusStopDef,
    Departure,
    read_bus_service,
)
from tamna.twin.errors import TwinError
from tamna.twin.netfile import Lane, NetInfo, read_net
from tamna.twin.scenario import load_scenario

#: Mean wait of a bus at a fixed-time signal it meets at a random moment: r²/2C for a 45 s red in a 100 s cycle.
SIGNAL_ALLOWANCE_S = 10.0
#: Time lost braking into a stop and accelerating back to speed (12 m bus, about 1.2 m/s² up, 4 m/s² down).
STOP_LOSS_S = 10.0
SERVICE_ID = "daily"
#: Every day of these years is a service day: the twin runs on whatever date its clock is given.
CALENDAR = ("20200101", "20391231")
GTFS_FOLDER = "gtfs"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PALETTE = ("0068B7", "E60012", "009944", "F39800", "8F5CA8", "00A0E9", "E4007F", "8C6239")


@dataclass(frozen=True)
class _Pattern:
    """A SUMO route with its stops: where each stop lies (metres along the route and along the shape) and the
    scheduled offsets from the bus's departure."""

    route_id: str
    shape: list[tuple[float, float, float]]  # lon, lat, metres along
    stop_ids: list[str]
    stop_dist_m: list[float]
    arrive_s: list[float]
    depart_s: list[float]


@dataclass
class GtfsExport:
    """What was written."""

    folder: Path
    routes: int = 0
    trips: int = 0
    stops: int = 0
    shapes: int = 0
    skipped: list[str] = field(default_factory=list)


def export_gtfs(
    config: Path,
    out_dir: Path,
    *,
    timezone: str = "Asia/Seoul",
    agency_name: str = "Tamna digital twin",
    lang: str | None = None,
) -> GtfsExport:
    """Write the bus timetable of the scenario ``config`` (a ``.sumocfg``) as a GTFS folder ``out_dir``.

    ``timezone`` must be the zone of the clock that runs the twin: SUMO's second ``t`` is ``t`` seconds after
    that zone's midnight, which is what GTFS times count from. Raises :class:`TwinError` when the scenario has no
    scheduled bus calling at two stops.
    """
    scenario = load_scenario(config)
    net = read_net(scenario.net_file)
    service = read_bus_service(scenario.route_files, scenario.additional_files)
    if not service.departures:
        raise TwinError(f"scenario {scenario.name} has no scheduled bus calling at two or more bus stops")
    result = GtfsExport(out_dir, skipped=list(service.skipped))
    patterns: dict[tuple[str, tuple[str, ...]], _Pattern] = {}
    for departure in service.departures:
        key = (departure.route_id, tuple(c.stop_id for c in departure.calls))
        if key not in patterns:
            try:
                patterns[key] = _pattern(net, service, departure)
            except TwinError as err:
                result.skipped.append(str(err))
    usable = [d for d in service.departures if (d.route_id, tuple(c.stop_id for c in d.calls)) in patterns]
    if not usable:
        raise TwinError(f"scenario {scenario.name}: no bus route could be timed ({'; '.join(result.skipped[:3])})")
    writer = _Writer(out_dir)
    lines = sorted({d.line for d in usable})
    directions = _directions(usable)
    first_pattern = {d.line: patterns[(d.route_id, tuple(c.stop_id for c in d.calls))] for d in reversed(usable)}
    stops = {s for p in patterns.values() for s in p.stop_ids}
    writer.write(
        "agency.txt",
        ["agency_id", "agency_name", "agency_url", "agency_timezone", *(["agency_lang"] if lang else [])],
        [["twin", agency_name, "https://tamna.example/twin", timezone, *([lang] if lang else [])]],
    )
    writer.write(
        "routes.txt",
        ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type", "route_color"],
        [
            [line, "twin", line, _long_name(service, first_pattern[line]), "3", _PALETTE[k % len(_PALETTE)]]
            for k, line in enumerate(lines)
        ],
    )
    writer.write(
        "stops.txt",
        ["stop_id", "stop_name", "stop_lat", "stop_lon"],
        sorted(_stop_row(net, service.stops[s]) for s in stops),
    )
    writer.write(
        "calendar.txt",
        ["service_id", *WEEKDAYS, "start_date", "end_date"],
        [[SERVICE_ID, *["1"] * 7, *CALENDAR]],
    )
    shape_ids = {key: f"{key[0]}-{k}" if k else key[0] for key, k in _numbered(patterns)}
    writer.write(
        "shapes.txt",
        ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence", "shape_dist_traveled"],
        [
            [shape_ids[key], f"{lat:.7f}", f"{lon:.7f}", str(n), f"{dist:.2f}"]
            for key, pattern in sorted(patterns.items())
            for n, (lon, lat, dist) in enumerate(pattern.shape)
        ],
    )
    trips, times = [], []
    for departure in usable:
        key = (departure.route_id, tuple(c.stop_id for c in departure.calls))
        pattern = patterns[key]
        headsign = service.stops[pattern.stop_ids[-1]].name
        trips.append([departure.line, SERVICE_ID, departure.vehicle_id, headsign, directions[key], shape_ids[key]])
        for n, stop_id in enumerate(pattern.stop_ids):
            times.append(
                [
                    departure.vehicle_id,
                    _clock(departure.depart_s + pattern.arrive_s[n]),
                    _clock(departure.depart_s + pattern.depart_s[n]),
                    _gtfs_stop_id(service.stops[stop_id]),
                    str(n + 1),
                    f"{pattern.stop_dist_m[n]:.2f}",
                ]
            )
    writer.write(
        "trips.txt",
        ["route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "shape_id"],
        trips,
    )
    writer.write(
        "stop_times.txt",
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "shape_dist_traveled"],
        times,
    )
    result.routes, result.trips, result.stops, result.shapes = len(lines), len(trips), len(stops), len(patterns)
    return result


def find_or_export(config: Path, cache_dir: Path, *, timezone: str = "Asia/Seoul") -> Path | None:
    """The scenario's own GTFS folder (``gtfs/`` beside its ``.sumocfg``, written by Tamna's builders), else one
    exported into ``cache_dir``; None when the scenario runs no scheduled buses."""
    own = config.parent / GTFS_FOLDER
    if (own / "stop_times.txt").is_file() and _agency_timezone(own) == timezone:
        return own
    try:
        return export_gtfs(config, cache_dir / GTFS_FOLDER, timezone=timezone).folder
    except TwinError:
        return None


def _agency_timezone(folder: Path) -> str | None:
    try:
        with (folder / "agency.txt").open(encoding="utf-8", newline="") as handle:
            return next(csv.DictReader(handle), {}).get("agency_timezone")
    except OSError:
        return None


# ---- timing a route ------------------------------------------------------------------------------------------
class _Route:
    """A SUMO route as the bus drives it: the kerb lanes of its edges end to end, joined across junctions by
    straight lines, measured in metres along that line (what GTFS distances and the scheduled times both use).
    Span ``k`` runs from the end of lane ``k - 1`` to the end of lane ``k``: the junction before an edge is driven
    at that edge's speed."""

    def __init__(self, net: NetInfo, departure: Departure, top_speed_mps: float) -> None:
        self.lanes = [_kerb_lane(net, edge, departure.route_id) for edge in departure.edges]
        self.speeds = [min(lane.speed_mps, top_speed_mps) for lane in self.lanes]
        signalised = {net.lanes[lane_id].edge for lane_id in net.signal_lanes}
        self.signalised = [edge in signalised for edge in departure.edges]
        self.points: list[tuple[float, float]] = []
        self.drawn: list[float] = []
        self.lane_from: list[float] = []  # where each lane's own geometry starts
        self.ends = [0.0]  # span boundaries
        for lane in self.lanes:
            for n, point in enumerate(lane.shape):
                if not self.points or point != self.points[-1]:
                    self.drawn.append(self.drawn[-1] + math.dist(self.points[-1], point) if self.points else 0.0)
                    self.points.append(point)
                if n == 0:
                    self.lane_from.append(self.drawn[-1])
            self.ends.append(self.drawn[-1])

    def place(self, edge_index: int, along_m: float) -> float:
        """Metres along the route of the point ``along_m`` (SUMO's lane position) into edge ``edge_index``."""
        lane = self.lanes[edge_index]
        share = min(max(along_m / lane.length_m, 0.0), 1.0) if lane.length_m > 0 else 0.0
        low = self.lane_from[edge_index]
        return low + share * (self.ends[edge_index + 1] - low)

    def drive_s(self, a: float, b: float) -> float:
        """Scheduled seconds from ``a`` to ``b`` metres along the route: free flow plus the signals passed."""
        seconds = 0.0
        for k in range(max(bisect.bisect_right(self.ends, a) - 1, 0), len(self.lanes)):
            low, high = max(a, self.ends[k]), min(b, self.ends[k + 1])
            if high > low:
                seconds += (high - low) / max(self.speeds[k], 1.0)
            if self.signalised[k] and a < self.ends[k + 1] <= b:
                seconds += SIGNAL_ALLOWANCE_S
            if self.ends[k + 1] >= b:
                break
        return seconds


def _pattern(net: NetInfo, service: BusService, departure: Departure) -> _Pattern:
    route = _Route(net, departure, service.max_speed_mps.get(departure.vtype, DEFAULT_MAX_SPEED_MPS))
    at_route = []
    edge_index = 0
    for call in departure.calls:
        stop = service.stops[call.stop_id]
        try:  # from the previous stop's edge on: a route may pass an edge twice
            edge_index = departure.edges.index(stop.lane.rsplit("_", 1)[0], edge_index)
        except ValueError:
            raise TwinError(f"route {departure.route_id}: stop {stop.id} is not on its edges in order") from None
        end = stop.end_m if math.isfinite(stop.end_m) else route.lanes[edge_index].length_m
        at_route.append(route.place(edge_index, (stop.start_m + end) / 2))
    arrive, depart = [], []
    clock, position = 0.0, 0.0
    for n, (where, call) in enumerate(zip(at_route, departure.calls, strict=True)):
        # the first stop is reached from a standing start: half the loss of a stop between two stretches
        clock += route.drive_s(position, where) + STOP_LOSS_S / (2 if n == 0 else 1)
        arrive.append(clock)
        clock += call.duration_s
        depart.append(clock)
        position = where
    lons, lats = net.projection.many([p[0] for p in route.points], [p[1] for p in route.points])
    shape = list(zip(lons, lats, route.drawn, strict=True))
    return _Pattern(departure.route_id, shape, [c.stop_id for c in departure.calls], at_route, arrive, depart)


def _kerb_lane(net: NetInfo, edge: str, route_id: str) -> Lane:
    """The rightmost lane of ``edge`` that carries road traffic (the one a bus stop stands on)."""
    count = net.edges.get(edge)
    if count is None:
        raise TwinError(f"route {route_id}: edge {edge!r} is not in the network")
    lanes = [net.lanes[f"{edge}_{i}"] for i in range(count) if f"{edge}_{i}" in net.lanes]
    roads = [lane for lane in lanes if lane.road] or lanes
    if not roads:
        raise TwinError(f"route {route_id}: edge {edge!r} has no lanes")
    return min(roads, key=lambda lane: lane.index)


# ---- rows ----------------------------------------------------------------------------------------------------
def _directions(departures: list[Departure]) -> dict[tuple[str, tuple[str, ...]], str]:
    """0 and 1 for the two ways of a line that runs two patterns; empty when it runs one or more than two."""
    by_line: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    for d in departures:
        key = (d.route_id, tuple(c.stop_id for c in d.calls))
        if key not in by_line[d.line]:
            by_line[d.line].append(key)
    out = {}
    for keys in by_line.values():
        ordered = sorted(keys)
        for k, key in enumerate(ordered):
            out[key] = str(k) if len(ordered) == 2 else ""  # GTFS knows two directions
    return out


def _numbered(patterns: dict[tuple[str, tuple[str, ...]], _Pattern]) -> list[tuple[tuple[str, tuple[str, ...]], int]]:
    """Each pattern with its number among the patterns of its SUMO route (0 for the first)."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for key in sorted(patterns):
        out.append((key, seen[key[0]]))
        seen[key[0]] += 1
    return out


def _long_name(service: BusService, pattern: _Pattern) -> str:
    return f"{service.stops[pattern.stop_ids[0]].name} – {service.stops[pattern.stop_ids[-1]].name}"


def _gtfs_stop_id(stop: BusStopDef) -> str:
    return stop.params.get("gtfs_stop_id") or stop.id


def _stop_row(net: NetInfo, stop: BusStopDef) -> list[str]:
    if "lon" in stop.params and "lat" in stop.params:
        lon, lat = float(stop.params["lon"]), float(stop.params["lat"])
    else:
        lane = net.lanes.get(stop.lane)
        if lane is None:
            raise TwinError(f"bus stop {stop.id}: lane {stop.lane!r} is not in the network")
        from tamna.twin.geo import point_along, shape_length

        end = stop.end_m if math.isfinite(stop.end_m) else lane.length_m
        share = (stop.start_m + end) / 2 / lane.length_m if lane.length_m > 0 else 0.0
        lon, lat = net.projection.lonlat(*point_along(lane.shape, share * shape_length(lane.shape)))
    return [_gtfs_stop_id(stop), stop.name, f"{lat:.7f}", f"{lon:.7f}"]


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class _Writer:
    """CSV files in one folder, UTF-8 without a byte-order mark, rows as given (callers sort them)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, header: list[str], rows: list[list[str]]) -> None:
        with (self.folder / name).open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(header)
            out.writerows(rows)
