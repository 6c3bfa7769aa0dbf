"""Jeju's real bus stops on the twin, and bus lines through them.

Stops (``jeju/bus-stops``, the 2022 register, UTF-8) are snapped to the nearest bus-usable rightmost lane within
:data:`SNAP_M`: Korea drives on the right, so the kerb lane of the direction whose side the stop stands on is the
nearest rightmost lane (the opposite direction's lies across the road). The register's Korean name is the
``busStop`` name; its id is ``bs_<정류소아이디>`` (the BIS ``station_id``), which with the register's position goes
into the stop's ``<param>``s for the twin's GTFS (:mod:`tamna.twin.build.gtfs`).

Lines. The data hold no route table, so the lines are derived: each is a chain of real hub stops (airport, the
intercity bus terminal, city hall, Dongmun market, Nohyeong five-way, the provincial office, the ferry terminal,
residential districts …) that Jeju's trunk buses link; between consecutive hubs the bus takes the fastest path,
with roads that carry stops made cheaper (a road with stops is a road buses run on), and serves every register
stop it passes. Each line runs both ways (the way back picks the stops on the other kerb) at a fixed headway.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tamna.twin.build._netinfo import LaneIndex
from tamna.twin.build._tools import TwinBuildError, write_xml

STOPS_FILE = Path("bus-stops") / "jeju_bus_stops_20221101.utf8.csv"
#: How far a stop may stand from its lane's centre line; the node-link's straight links cut corners that the
#: real kerb follows, so this is wider than a pavement.
SNAP_M = 40.0
STOP_LENGTH_M = 20.0
MIN_LANE_M = 15.0
#: Travel time on a road with stops is multiplied by this when routing buses: it pulls lines onto bus corridors.
STOP_ROAD_DISCOUNT = 0.6
DWELL_S = 20


@dataclass(frozen=True)
class LineSpec:
    """A derived line: its number, its hubs (substrings of register stop names) and its headway."""

    number: str
    hubs: tuple[str, ...]
    headway_s: int


#: Jeju-si's centre. Numbers are ours (T = twin), not the operator's.
CENTRE_LINES = (
    LineSpec("T1", ("제주국제공항", "제주버스터미널", "제주시청", "이도2동행정복지센터"), 480),
    LineSpec(
        "T2",
        ("노형오거리", "제주도청 신제주로터리", "제주버스터미널", "관덕정", "동문로터리", "제주연안여객터미널"),
        600,
    ),
    LineSpec("T3", ("이호동주민센터", "노형오거리", "한라병원", "제주도청 신제주로터리", "제주국제공항"), 720),
    LineSpec("T4", ("아라동주민센터", "제주중앙여자고등학교", "제주시청", "광양", "동문로터리"), 600),
    LineSpec("T5", ("제주고등학교", "연동대림1차아파트", "제주도청 신제주로터리", "용담사거리", "탑동입구"), 720),
    LineSpec("T6", ("도두동", "제주국제공항", "용담1동주민센터", "동문로터리", "사라봉"), 900),
)
#: Added on the whole island: intercity lines from the Jeju terminal to the other towns' centres.
ISLAND_LINES = (
    LineSpec("T11", ("제주버스터미널", "서귀포버스터미널"), 1200),
    LineSpec("T12", ("제주버스터미널", "한림환승정류장", "대정환승정류장"), 1200),
    LineSpec("T13", ("제주버스터미널", "함덕환승정류장", "세화환승정류장", "표선환승정류장", "남원환승정류장"), 1200),
    LineSpec("T14", ("제주버스터미널", "중문환승정류장"), 1800),
)


@dataclass(frozen=True)
class Stop:
    """A register stop placed on a lane."""

    id: str
    name: str
    lane: str
    edge: str
    start: float
    end: float
    #: the register's surveyed position, which is where riders wait (the lane position is up to SNAP_M away)
    lon: float
    lat: float


@dataclass
class BusPlan:
    """Stops and lines, and the tally for the build summary."""

    stops: list[Stop] = field(default_factory=list)
    register_in_area: int = 0
    unmatched: int = 0
    lines: dict[str, tuple[list[str], list[str], int]] = field(default_factory=dict)
    skipped_lines: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, object]:
        """Summary numbers for the manifest and the tests."""
        return {
            "stops_in_area": self.register_in_area,
            "stops_matched": len(self.stops),
            "stops_unmatched": self.unmatched,
            "lines": sorted(self.lines),
            "line_stops": {name: len(stops) for name, (_edges, stops, _h) in sorted(self.lines.items())},
            "lines_skipped": self.skipped_lines,
        }


def read_stops(data: Path) -> list[tuple[str, str, float, float]]:
    """(id, name, lon, lat) of every register stop with a position."""
    path = data / "jeju" / STOPS_FILE
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TwinBuildError(f"cannot read the Jeju bus stops {path}: {err}") from err
    stops = []
    for row in rows:
        stop_id, name = (row.get("정류소아이디") or "").strip(), (row.get("정류소명") or "").strip()
        try:
            lon, lat = float(row.get("경도") or ""), float(row.get("위도") or "")
        except ValueError:
            continue  # the register ends with an empty row
        if stop_id and name:
            stops.append((stop_id, name, lon, lat))
    return stops


def snap_stops(net: Any, stops: list[tuple[str, str, float, float]]) -> BusPlan:
    """Place each stop on the kerb lane nearest to it (see the module docstring)."""
    from sumolib.geomhelper import polygonOffsetWithMinimumDistanceToPoint

    plan = BusPlan()
    index = LaneIndex(net)
    x_min, y_min, x_max, y_max = (float(v) for v in net.getBoundary())
    occupied: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for stop_id, name, lon, lat in sorted(stops):
        x, y = net.convertLonLat2XY(lon, lat)
        if not (x_min <= x <= x_max and y_min <= y <= y_max):
            continue
        plan.register_in_area += 1
        candidates = [
            (distance, lane.getID(), lane)
            for lane, distance in index.near(x, y, SNAP_M)
            if lane.getIndex() == 0 and lane.allows("bus") and lane.getLength() >= MIN_LANE_M
        ]
        placed = None
        for _distance, _lane_id, lane in sorted(candidates, key=lambda c: (c[0], c[1])):
            length = float(lane.getLength())
            shape = lane.getShape()
            offset = polygonOffsetWithMinimumDistanceToPoint((x, y), shape)
            start = min(max(0.0, offset - STOP_LENGTH_M / 2), length - min(STOP_LENGTH_M, length))
            end = min(length, start + STOP_LENGTH_M)
            if any(start < b and a < end for a, b in occupied[lane.getID()]):
                continue  # SUMO refuses overlapping stops; the stop's twin on the next lane may be free
            placed = Stop(f"bs_{stop_id}", name, lane.getID(), lane.getEdge().getID(), start, end, lon, lat)
            occupied[lane.getID()].append((start, end))
            break
        if placed is None:
            plan.unmatched += 1
        else:
            plan.stops.append(placed)
    return plan


def _fastest(net: Any, source: Any, targets: set[str], cost: dict[str, float]) -> list[Any] | None:
    """Edges from ``source`` to the nearest edge in ``targets`` (Dijkstra over edge costs), or ``None``."""
    counter = itertools.count()
    queue: list[tuple[float, int, Any]] = [(0.0, next(counter), source)]
    best: dict[str, float] = {source.getID(): 0.0}
    previous: dict[str, Any] = {}
    while queue:
        spent, _tie, edge = heapq.heappop(queue)
        edge_id = edge.getID()
        if spent > best.get(edge_id, float("inf")):
            continue
        if edge_id in targets and edge is not source:
            path = [edge]
            while path[-1].getID() in previous:
                path.append(previous[path[-1].getID()])
            return path[::-1]
        for following in sorted(edge.getOutgoing(), key=lambda e: e.getID()):
            if not following.allows("bus"):
                continue
            total = spent + cost[following.getID()]
            if total < best.get(following.getID(), float("inf")):
                best[following.getID()] = total
                previous[following.getID()] = edge
                heapq.heappush(queue, (total, next(counter), following))
    return None


def derive_lines(net: Any, plan: BusPlan, specs: tuple[LineSpec, ...]) -> None:
    """Route each line both ways through its hubs and record edges and served stops in ``plan.lines``."""
    by_edge: dict[str, list[Stop]] = defaultdict(list)
    for stop in plan.stops:
        by_edge[stop.edge].append(stop)
    for stops in by_edge.values():
        stops.sort(key=lambda s: s.start)
    cost = {
        edge.getID(): edge.getLength()
        / max(edge.getSpeed(), 1.0)
        * (STOP_ROAD_DISCOUNT if edge.getID() in by_edge else 1.0)
        for edge in net.getEdges()
    }
    for spec in specs:
        hub_edges = [{s.edge for s in plan.stops if hub in s.name} for hub in spec.hubs]
        if sum(1 for edges in hub_edges if edges) < 2:
            plan.skipped_lines.append(spec.number)
            continue
        hubs = [edges for edges in hub_edges if edges]
        for direction, chain in (("a", hubs), ("b", hubs[::-1])):
            route = _route_through(net, chain, cost)
            if route is None:
                plan.skipped_lines.append(f"{spec.number}{direction}")
                continue
            served = list(dict.fromkeys(s.id for e in route for s in by_edge.get(e, [])))
            plan.lines[f"{spec.number}{direction}"] = (route, served, spec.headway_s)


def _route_through(net: Any, chain: list[set[str]], cost: dict[str, float]) -> list[str] | None:
    """Edge ids through one stop edge of each hub in turn, starting from the first hub's best-placed edge."""
    for start in sorted(chain[0]):
        route = [start]
        for targets in chain[1:]:
            if route[-1] in targets:
                continue
            leg = _fastest(net, net.getEdge(route[-1]), targets, cost)
            if leg is None:
                break
            route += [e.getID() for e in leg[1:]]
        else:
            return route
    return None


def write_bus_files(plan: BusPlan, stops_path: Path, routes_path: Path, *, begin_s: int, end_s: int) -> None:
    """``busStop`` additionals and the lines' vType, routes and flows."""
    stops_root = ET.Element("additional")
    serving: dict[str, set[str]] = defaultdict(set)
    for line, (_edges, served, _headway) in plan.lines.items():
        for stop_id in served:
            serving[stop_id].add(line[:-1])
    for stop in sorted(plan.stops, key=lambda s: s.id):
        element = ET.SubElement(
            stops_root,
            "busStop",
            id=stop.id,
            name=stop.name,
            lane=stop.lane,
            startPos=f"{stop.start:.2f}",
            endPos=f"{stop.end:.2f}",
            friendlyPos="true",
        )
        if serving[stop.id]:
            element.set("lines", " ".join(sorted(serving[stop.id])))
        ET.SubElement(element, "param", key="gtfs_stop_id", value=stop.id.removeprefix("bs_"))
        ET.SubElement(element, "param", key="lon", value=f"{stop.lon:.6f}")
        ET.SubElement(element, "param", key="lat", value=f"{stop.lat:.6f}")
    write_xml(stops_path, stops_root)
    routes_root = ET.Element("routes")
    ET.SubElement(
        routes_root,
        "vType",
        id="bus",
        vClass="bus",
        length="11.0",
        maxSpeed="22.22",
        accel="1.2",
        decel="4.0",
        guiShape="bus",
    )
    for line, (edges, served, _headway) in sorted(plan.lines.items()):
        route = ET.SubElement(routes_root, "route", id=f"bus_{line}", edges=" ".join(edges))
        for stop_id in served:
            ET.SubElement(route, "stop", busStop=stop_id, duration=str(DWELL_S))
    for index, (line, (_edges, _served, headway)) in enumerate(sorted(plan.lines.items())):
        # Lines start staggered, as timetables are, rather than all at the window's first second.
        ET.SubElement(
            routes_root,
            "flow",
            id=f"bus_{line}",
            type="bus",
            route=f"bus_{line}",
            begin=str(begin_s + (index * 137) % headway),
            end=str(end_s),
            period=str(headway),
            line=line[:-1],
            departLane="best",
        )
    write_xml(routes_path, routes_root)
