"""Jeju's demand: where trips start and end, by hour.

The node-link keeps only the roads that matter (no alleys), so every trip end stands for the streets behind a
link: an edge's weight is its length × its rank weight (lanes × speed × road rank) × what stands along it.
Land use is read from the data at hand:

- *homes*: bus stops named after housing (아파트 apartments, 빌라, 주공, 마을 village …) within 300 m;
- *work and errands*: stops named after destinations (시장 market, 병원 hospital, 청 offices, 학교, 호텔, 마트,
  터미널, 공항 …) within 300 m, and the spaces of public car parks (``jeju/parking``) within 300 m;
- *activity*: all stops within 300 m (stops are where people are).

Trips come in four kinds. Commuting runs home → work in the morning peak and back in the evening; errands go
activity → activity all day; external trips enter or leave the area through the roads the bounding box cuts
(inbound in the morning, outbound in the evening); a few pass through. The hourly counts follow
:data:`~tamna.twin.build._demand.HOURLY_SHARE`.
"""

from __future__ import annotations

import bisect
import csv
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tamna.domain.network import Link
from tamna.twin.build._demand import Trip, hourly_rate, hours
from tamna.twin.build._jeju_nodelink import rank_weight

CATCHMENT_M = 300.0
#: Trips shorter than this (straight line) are redrawn: a car trip inside one block is a walk in reality.
MIN_TRIP_M = 500.0
HOME_WORDS = ("아파트", "빌라", "주공", "마을", "타운", "하이츠", "맨션", "단지", "연립", "주택", "리슈빌")
WORK_WORDS = (
    "시장", "병원", "의원", "청", "터미널", "공항", "학교", "초등", "중학", "고등", "대학", "센터", "호텔", "마트",
    "은행", "우체국", "회관", "농협", "신협", "여객", "백화점", "공단", "경찰", "법원", "도서관", "관광",
)  # fmt: skip
PARKING_FILES = (Path("parking") / "jeju_city_parking_20260416.csv", Path("parking") / "seogwipo_parking_20260416.csv")
#: Car-park spaces that count as much as one destination stop.
SPACES_PER_STOP = 40.0
#: Share of each trip kind: morning peak (07–09 h), evening peak (17–19 h), other hours.
MIX_AM = {"commute": 0.50, "errand": 0.25, "inbound": 0.13, "outbound": 0.05, "through": 0.07}
MIX_PM = {"commute": 0.45, "errand": 0.30, "inbound": 0.05, "outbound": 0.13, "through": 0.07}
MIX_DAY = {"commute": 0.0, "errand": 0.65, "inbound": 0.12, "outbound": 0.13, "through": 0.10}


@dataclass(frozen=True)
class LandUse:
    """Points with a kind: ``home``, ``work`` or ``stop``, with a weight (1 per stop, spaces/40 per car park)."""

    points: list[tuple[float, float, str, float]]


def land_use(stops: Iterable[tuple[str, str, float, float]], data: Path, to_xy: Any) -> LandUse:
    """Land-use points in network metres from stop names and car parks."""
    points: list[tuple[float, float, str, float]] = []
    for _stop_id, name, lon, lat in stops:
        x, y = to_xy(lon, lat)
        points.append((x, y, "stop", 1.0))
        if any(word in name for word in HOME_WORDS):
            points.append((x, y, "home", 1.0))
        if any(word in name for word in WORK_WORDS):
            points.append((x, y, "work", 1.0))
    for relative in PARKING_FILES:
        path = data / "jeju" / relative
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                try:
                    lat, lon = float(row.get("위도") or ""), float(row.get("경도") or "")
                    spaces = float(row.get("주차구획수") or 0)
                except ValueError:
                    continue
                if 33.0 < lat < 34.0 and 126.0 < lon < 127.0 and spaces > 0:
                    x, y = to_xy(lon, lat)
                    points.append((x, y, "work", spaces / SPACES_PER_STOP))
    return LandUse(points)


class _Picker:
    """Weighted draws from a fixed list (cumulative weights + bisect: fast for 100k draws)."""

    def __init__(self, items: Sequence[tuple[str, float]]) -> None:
        kept = [(item, weight) for item, weight in items if weight > 0]
        self.items = [item for item, _w in kept]
        self.cumulative: list[float] = []
        total = 0.0
        for _item, weight in kept:
            total += weight
            self.cumulative.append(total)

    def __bool__(self) -> bool:
        return bool(self.items)

    def draw(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass
class JejuDemand:
    """The pickers for each trip end, and edge midpoints for the trip-length check."""

    home: _Picker
    work: _Picker
    activity: _Picker
    entries: _Picker
    exits: _Picker
    middle: dict[str, tuple[float, float]]


def _fringe_edges(net: Any) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Edges leaving and entering the dead ends the bounding box cut: where outside traffic comes and goes."""
    x_min, y_min, x_max, y_max = (float(v) for v in net.getBoundary())
    entries, exits = [], []
    for node in net.getNodes():
        x, y = node.getCoord()
        near_edge = min(x - x_min, x_max - x, y - y_min, y_max - y) < 200.0
        neighbours = {e.getFromNode().getID() for e in node.getIncoming()} | {
            e.getToNode().getID() for e in node.getOutgoing()
        }
        if not near_edge or len(neighbours - {node.getID()}) != 1:
            continue
        entries += [(e.getID(), e.getLaneNumber() * e.getSpeed()) for e in node.getOutgoing() if e.allows("passenger")]
        exits += [(e.getID(), e.getLaneNumber() * e.getSpeed()) for e in node.getIncoming() if e.allows("passenger")]
    return entries, exits


def jeju_demand(net: Any, links: dict[str, Link], uses: LandUse, *, external: bool) -> JejuDemand:
    """Weights of every car edge as home, work and activity end; fringe edges when ``external``."""
    cell = CATCHMENT_M
    grid: dict[tuple[int, int], list[tuple[float, float, str, float]]] = defaultdict(list)
    for point in uses.points:
        grid[(int(point[0] // cell), int(point[1] // cell))].append(point)
    home, work, activity = [], [], []
    middle: dict[str, tuple[float, float]] = {}
    for edge in sorted(net.getEdges(), key=lambda e: e.getID()):
        if edge.getFunction() or not edge.allows("passenger") or edge.getLength() < 20.0:
            continue
        shape = edge.getShape()
        mx, my = (shape[0][0] + shape[-1][0]) / 2, (shape[0][1] + shape[-1][1]) / 2
        middle[edge.getID()] = (mx, my)
        near: dict[str, float] = defaultdict(float)
        cx, cy = int(mx // cell), int(my // cell)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for x, y, kind, weight in grid.get((cx + dx, cy + dy), ()):
                    if math.hypot(x - mx, y - my) <= CATCHMENT_M:
                        near[kind] += weight
        link = links.get(edge.getID())
        base = edge.getLength() * (rank_weight(link) if link else 1.0)
        home.append((edge.getID(), base * (0.3 + near["home"] + 0.3 * near["stop"])))
        work.append((edge.getID(), base * (0.3 + near["work"] + 0.3 * near["stop"])))
        activity.append((edge.getID(), base * (0.3 + near["stop"] + 0.5 * near["work"])))
    entries, exits = _fringe_edges(net) if external else ([], [])
    return JejuDemand(_Picker(home), _Picker(work), _Picker(activity), _Picker(entries), _Picker(exits), middle)


def _mix(hour: int) -> dict[str, float]:
    if hour in (7, 8, 9):
        return MIX_AM
    if hour in (17, 18, 19):
        return MIX_PM
    return MIX_DAY


def _ends(demand: JejuDemand, kind: str, hour: int, rng: random.Random) -> tuple[str, str]:
    morning = hour < 12
    if kind == "commute":
        return (
            (demand.home.draw(rng), demand.work.draw(rng))
            if morning
            else (demand.work.draw(rng), demand.home.draw(rng))
        )
    if kind == "inbound":
        return demand.entries.draw(rng), (demand.work if morning else demand.activity).draw(rng)
    if kind == "outbound":
        return (demand.home if morning else demand.activity).draw(rng), demand.exits.draw(rng)
    if kind == "through":
        return demand.entries.draw(rng), demand.exits.draw(rng)
    return demand.activity.draw(rng), demand.activity.draw(rng)


def draw_trips(demand: JejuDemand, *, begin_s: int, end_s: int, peak_vph: float, seed: int) -> list[Trip]:
    """Trips for the window, deterministic for the seed."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation draw, not a secret
    trips: list[Trip] = []
    external = bool(demand.entries) and bool(demand.exits)
    for hour, start, stop in hours(begin_s, end_s):
        count = round(hourly_rate(peak_vph, hour) * (stop - start) / 3600.0)
        mix = {k: v for k, v in _mix(hour).items() if v > 0 and (external or k in ("commute", "errand"))}
        kinds, weights = list(mix), list(mix.values())
        for _ in range(count):
            kind = rng.choices(kinds, weights)[0]
            for _attempt in range(10):
                origin, destination = _ends(demand, kind, hour, rng)
                a = demand.middle.get(origin)
                b = demand.middle.get(destination)
                far = a is None or b is None or math.hypot(a[0] - b[0], a[1] - b[1]) >= MIN_TRIP_M
                if origin != destination and far:
                    break
            else:
                continue
            trips.append(Trip(f"{kind[0]}{len(trips)}", rng.uniform(start, stop), origin, destination))
    return trips
