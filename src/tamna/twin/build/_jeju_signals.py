"""Where Jeju's signals are: the province's signal register placed on the twin's junctions.

The register (``jeju/signals``) lists 1,025 installations by lot-number address (지번, e.g. ``제주시 노형동 1545-1``)
and leg count (3지형, 4지형, 5지형, 단일로 = mid-block crossing), without coordinates. Three steps place them:

1. *Address*: a node-link node named with the very same address (``노형동1545-1``) is the signal's junction.
2. *Lot number*: otherwise the address is geocoded from anchors with known coordinates and a lot-number address
   (node-link nodes named by address, and the public car parks of ``jeju/parking``): the anchor in the same
   dong (법정동/리) whose lot number is nearest. Lot numbers run in blocks, so this lands within ~125 m median
   (measured leave-one-out on the anchors, lot gap ≤ 20) — near, not on, the junction.
3. *Junction*: around that estimate the signal takes the free junction that best fits its leg count, is named as
   an intersection (교차로, 사거리 …) and carries the most traffic (lanes × speed × rank), nearer being better.

Junctions are served in order of importance (step 3 runs site-first: the busiest named crossings pick the nearest
fitting entry), entries still unplaced get a second, wider search, and the few big named four-leg crossings left
without a signal get one inferred. The count stays bounded by the register's own, so the centre gets what the
register says it has (~250) rather than the 399 signals of netconvert's blanket ``--tls.guess``.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tamna.domain.network import Node, RoadNetwork
from tamna.twin.build._jeju_nodelink import INTERSECTION_NAME, rank_weight
from tamna.twin.build._netinfo import neighbours
from tamna.twin.build._tools import TwinBuildError

REGISTER_FILE = Path("signals") / "jeju_signals_20221216.utf8.csv"
PARKING_FILES = (
    Path("parking") / "jeju_city_parking_20260416.csv",
    Path("parking") / "seogwipo_parking_20260416.csv",
)
#: 기하구조 → number of legs (단일로, a mid-block crossing, is a two-leg junction).
_LEGS = {"단일로": 2}
_LEGS_PATTERN = re.compile(r"(\d)지형")
#: A dong/ri name followed by a lot number: ``노형동 1545-1``, ``하귀1리 158-1``, ``아라일동 산 12``.
_ADDRESS = re.compile(r"([가-힣0-9]+[동리가])\s*(산\s*)?(\d+)(?:-(\d+))?")
_NODE_ADDRESS = re.compile(r"^([가-힣0-9]+?[동리가])\s*(산)?(\d+)(?:-(\d+))?$")
_NUMERAL_DONG = re.compile(r"^(.+?)([일이삼사])동$")
_NUMERALS = {"일": "1", "이": "2", "삼": "3", "사": "4"}

#: Search radius around the geocoded address, by how far the nearest anchor's lot number was from the address's.
_RADIUS_BY_GAP_M = ((0, 250.0), (20, 350.0), (100, 450.0))
_RADIUS_FAR_M = 600.0
#: The second pass for entries the first left unplaced.
_FALLBACK_RADIUS_M = 900.0
#: Named four-leg crossings at least this busy (quantile of junction weight) get a signal even without an entry.
_INFER_WEIGHT_QUANTILE = 0.9


@dataclass(frozen=True)
class Lot:
    """A lot-number address: dong (normalised), mountain lot (산) or not, main and sub number."""

    dong: str
    mountain: bool
    main: int
    sub: int


@dataclass(frozen=True)
class RegisterEntry:
    """One installation of the register."""

    number: str
    address: str
    legs: int
    lot: Lot | None


@dataclass
class Site:
    """A place a signal can go: one junction, or the junctions of one intersection drawn as several nodes."""

    id: str
    junctions: tuple[str, ...]
    x: float
    y: float
    legs: int
    weight: float
    named: bool
    lots: frozenset[Lot] = frozenset()


@dataclass(frozen=True)
class Placement:
    """A register entry placed on a site, and how (``address``, ``lot-number`` or ``nearby``)."""

    site: str
    entry: RegisterEntry
    how: str
    distance_m: float


@dataclass
class SignalPlan:
    """The sites that get a signal, and the tally reported in the build summary."""

    placements: list[Placement] = field(default_factory=list)
    register_total: int = 0
    unlocated: int = 0
    outside: int = 0
    unplaced: list[RegisterEntry] = field(default_factory=list)
    #: Sites signalised without a register entry (step 4 of the module docstring).
    inferred: list[str] = field(default_factory=list)

    @property
    def sites(self) -> list[str]:
        """Every signalised site."""
        return sorted({p.site for p in self.placements} | set(self.inferred))

    @property
    def in_area(self) -> int:
        """Register entries whose address falls in the built area."""
        return len(self.placements) + len(self.unplaced)

    def counts(self) -> dict[str, int]:
        """Summary numbers for the manifest and the tests."""
        by_how: dict[str, int] = defaultdict(int)
        for placement in self.placements:
            by_how[placement.how] += 1
        return {
            "register_total": self.register_total,
            "register_in_area": self.in_area,
            "placed": len(self.placements),
            "placed_by_address": by_how["address"],
            "placed_by_lot_number": by_how["lot-number"],
            "placed_nearby": by_how["nearby"],
            "inferred": len(self.inferred),
            "signals": len(self.sites),
            "unplaced": len(self.unplaced),
            "unlocated": self.unlocated,
            "outside_area": self.outside,
        }


def normalise_dong(name: str) -> str:
    """``아라일동`` and ``아라1동`` are the same dong; the register spells numerals, node names often do not."""
    match = _NUMERAL_DONG.match(name)
    if match and len(name) >= 4:
        return match.group(1) + _NUMERALS[match.group(2)] + "동"
    return name


def parse_lot(text: str) -> Lot | None:
    """The last ``dong lot`` in an address; ``None`` for road-name addresses (``애월로 151``)."""
    text = text.replace("제주특별자치도", " ")
    for match in reversed(list(_ADDRESS.finditer(text))):
        return Lot(normalise_dong(match.group(1)), bool(match.group(2)), int(match.group(3)), int(match.group(4) or 0))
    return None


def node_lot(name: str | None) -> Lot | None:
    """The lot-number address a node-link node is named by (``노형동1545-1``), if it is."""
    match = _NODE_ADDRESS.match(name or "")
    if match is None:
        return None
    return Lot(normalise_dong(match.group(1)), bool(match.group(2)), int(match.group(3)), int(match.group(4) or 0))


def read_register(data: Path) -> list[RegisterEntry]:
    """The register's rows; an unreadable file is a :class:`TwinBuildError`."""
    path = data / "jeju" / REGISTER_FILE
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TwinBuildError(f"cannot read the Jeju signal register {path}: {err}") from err
    entries = []
    for row in rows:
        kind = (row.get("기하구조") or "").strip()
        legs = _LEGS.get(kind)
        if legs is None:
            match = _LEGS_PATTERN.search(kind)
            legs = int(match.group(1)) if match else 0
        address = (row.get("주소") or "").strip()
        entries.append(
            RegisterEntry(number=(row.get("연번") or "").strip(), address=address, legs=legs, lot=parse_lot(address))
        )
    if not entries:
        raise TwinBuildError(f"the Jeju signal register {path} has no rows")
    return entries


class LotGeocoder:
    """Estimates a lot-number address's position from anchors with known position in the same dong."""

    def __init__(self, anchors: Iterable[tuple[Lot, float, float]]) -> None:
        self._by_dong: dict[tuple[str, bool], list[tuple[Lot, float, float]]] = defaultdict(list)
        for lot, lon, lat in anchors:
            self._by_dong[(lot.dong, lot.mountain)].append((lot, lon, lat))
        for items in self._by_dong.values():
            items.sort(key=lambda a: (a[0].main, a[0].sub, a[1], a[2]))

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_dong.values())

    def locate(self, lot: Lot) -> tuple[float, float, int] | None:
        """(lon, lat, lot-number gap) of the nearest-numbered anchor, or ``None`` if the dong has none."""
        items = self._by_dong.get((lot.dong, lot.mountain))
        if not items:
            return None
        best = min(items, key=lambda a: (abs(a[0].main - lot.main), abs(a[0].sub - lot.sub)))
        return best[1], best[2], abs(best[0].main - lot.main)


def build_geocoder(data: Path, all_nodes: Iterable[Node]) -> LotGeocoder:
    """Anchors: every node-link node named by address (whole island) and every car park with a lot address."""
    anchors: list[tuple[Lot, float, float]] = []
    for node in all_nodes:
        lot = node_lot(node.name)
        if lot is not None:
            anchors.append((lot, node.lon, node.lat))
    for relative in PARKING_FILES:
        path = data / "jeju" / relative
        if not path.is_file():
            continue  # the car parks only sharpen the estimate; the node names alone still work
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            raise TwinBuildError(f"cannot read the car-park file {path}: {err}") from err
        for row in rows:
            lot = parse_lot(row.get("소재지지번주소") or "")
            try:
                lat, lon = float(row.get("위도") or ""), float(row.get("경도") or "")
            except ValueError:
                continue
            if lot is not None and 33.0 < lat < 34.0 and 126.0 < lon < 127.0:
                anchors.append((lot, lon, lat))
    return LotGeocoder(anchors)


def _leg_penalty(wanted: int, legs: int) -> float | None:
    """How badly a junction's leg count fits the register's; ``None`` when it cannot be that installation."""
    if legs < 2:
        return None
    # Legs of a junction drawn as several nodes are over-counted (both carriageways of a divided road count).
    legs = min(legs, 5)
    if wanted == 2:
        return 0.0 if legs == 2 else None
    if legs == 2:
        return None
    if wanted <= 0:
        return 0.2
    if legs == wanted or (wanted >= 5 and legs >= 5):
        return 0.0
    return 0.5 if abs(legs - wanted) == 1 else 1.0


def _radius(gap: int) -> float:
    for limit, radius in _RADIUS_BY_GAP_M:
        if gap <= limit:
            return radius
    return _RADIUS_FAR_M


_Located = tuple[int, float, float, RegisterEntry]  # (lot gap, x, y, entry)


class _Placer:
    """The steps of :func:`place_signals`, sharing the sites, what is taken and the plan being filled."""

    def __init__(self, sites: list[Site], plan: SignalPlan) -> None:
        self.sites = sites
        self.plan = plan
        self.taken: set[str] = set()
        self.max_weight = max((s.weight for s in sites), default=1.0) or 1.0

    def place(self, site: Site, item: _Located, how: str) -> None:
        self.taken.add(site.id)
        distance = math.hypot(site.x - item[1], site.y - item[2])
        self.plan.placements.append(Placement(site.id, item[3], how, distance))

    def by_address(self, located: list[_Located]) -> list[_Located]:
        """Step 1; returns the entries still pending."""
        by_lot: dict[Lot, list[Site]] = defaultdict(list)
        for site in self.sites:
            for site_lot in site.lots:
                by_lot[site_lot].append(site)
        pending = []
        for item in located:
            lot = item[3].lot
            exact = [
                s
                for s in (by_lot.get(lot, []) if lot else [])
                if s.id not in self.taken and _leg_penalty(item[3].legs, s.legs) is not None
            ]
            if exact:
                self.place(exact[0], item, "address")
            else:
                pending.append(item)
        return pending

    def site_first(self, pending: list[_Located]) -> None:
        """Step 2: junctions in order of importance take the best-fitting entry geocoded near them. A big named
        crossing of two arterials is signalised in any Korean city centre, so when the register has an entry
        nearby it is that one; an entry-first search let side-street junctions nearer the estimate take them."""

        def worth(site: Site) -> float:
            return site.weight / self.max_weight + 0.5 * site.named + 0.2 * (site.legs >= 4)

        for site in sorted((s for s in self.sites if s.legs >= 3), key=lambda s: (-worth(s), s.id)):
            if site.id in self.taken:
                continue
            choice: tuple[float, int] | None = None
            for index, (gap, x, y, entry) in enumerate(pending):
                penalty = _leg_penalty(entry.legs, site.legs)
                radius = _radius(gap)
                distance = math.hypot(site.x - x, site.y - y)
                if penalty is None or penalty > 0.5 or distance > radius:
                    continue
                if choice is None or distance / radius + penalty < choice[0]:
                    choice = (distance / radius + penalty, index)
            if choice is not None:
                self.place(site, pending.pop(choice[1]), "lot-number")

    def best(self, entry: RegisterEntry, x: float, y: float, radius: float) -> Site | None:
        """The free site near (x, y) that best fits the entry's legs, named and busy ones first."""
        choice: tuple[float, Site] | None = None
        for site in self.sites:
            distance = math.hypot(site.x - x, site.y - y)
            penalty = _leg_penalty(entry.legs, site.legs)
            if site.id in self.taken or distance > radius or penalty is None:
                continue
            cost = distance / radius + penalty - 0.3 * site.named - 0.3 * site.weight / self.max_weight
            if choice is None or cost < choice[0]:
                choice = (cost, site)
        return None if choice is None else choice[1]

    def nearby(self, pending: list[_Located]) -> None:
        """Step 3: mid-block crossings, and entries whose junctions went to others."""
        for item in pending:
            gap, x, y, entry = item
            near = self.best(entry, x, y, _radius(gap))
            if near is not None:
                self.place(near, item, "lot-number")
                continue
            near = self.best(entry, x, y, _FALLBACK_RADIUS_M)
            if near is not None:
                self.place(near, item, "nearby")
            else:
                self.plan.unplaced.append(entry)

    def infer(self) -> None:
        """Step 4: the few big named crossings still without a signal (their entry was geocoded too far off, or
        went to a neighbour): a four-leg crossing of the area's busiest roads is not left uncontrolled."""
        ranked = sorted(s.weight for s in self.sites if s.legs >= 3)
        busy = ranked[int(len(ranked) * _INFER_WEIGHT_QUANTILE)] if ranked else math.inf
        for site in self.sites:
            if site.id not in self.taken and site.named and site.legs >= 4 and site.weight >= busy:
                self.taken.add(site.id)
                self.plan.inferred.append(site.id)


def place_signals(
    entries: list[RegisterEntry],
    geocoder: LotGeocoder,
    sites: list[Site],
    to_xy: Callable[[float, float], tuple[float, float]],
    inside: Callable[[float, float], bool],
) -> SignalPlan:
    """Assign register entries to sites (each site at most one signal); see the module docstring."""
    plan = SignalPlan(register_total=len(entries))
    located: list[_Located] = []
    for entry in entries:
        where = geocoder.locate(entry.lot) if entry.lot else None
        if where is None:
            plan.unlocated += 1
        elif not inside(where[0], where[1]):
            plan.outside += 1
        else:
            located.append((where[2], *to_xy(where[0], where[1]), entry))
    # Surest first: exact addresses, then the smallest lot gaps, so they claim their junctions before guesses do.
    located.sort(key=lambda item: (item[0], item[3].number))
    placer = _Placer(sites, plan)
    pending = placer.by_address(located)
    placer.site_first(pending)
    placer.nearby(pending)
    placer.infer()
    return plan


def build_sites(net: Any, network: RoadNetwork, groups: list[frozenset[str]]) -> list[Site]:
    """Signal sites on the built network: each junction, with same-named intersection nodes that stayed
    separate junctions (too far apart to join) grouped under one controller."""
    nodes = {n.id: n for n in network.nodes}
    links = {lk.id: lk for lk in network.links}
    junction_of: dict[str, str] = {}
    for link in network.links:
        if net.hasEdge(link.id):
            edge = net.getEdge(link.id)
            junction_of.setdefault(link.from_node, edge.getFromNode().getID())
            junction_of.setdefault(link.to_node, edge.getToNode().getID())
    members: dict[str, list[Node]] = defaultdict(list)
    for node_id, junction in junction_of.items():
        members[junction].append(nodes[node_id])
    group_of: dict[str, str] = {}
    for group in groups:
        junctions = sorted({junction_of[n] for n in group if n in junction_of})
        if len(junctions) > 1 and not any(j in group_of for j in junctions):
            for junction in junctions:
                group_of[junction] = "group_" + junctions[0]
    site_junctions: dict[str, list[str]] = defaultdict(list)
    for node in net.getNodes():
        junction = node.getID()
        site_junctions[group_of.get(junction, junction)].append(junction)
    near = neighbours(net)
    sites = []
    for site_id, junctions in sorted(site_junctions.items()):
        inner = set(junctions)
        legs = set().union(*(near[j] for j in junctions)) - inner
        weight = 0.0
        for junction in junctions:
            for edge in net.getNode(junction).getIncoming():
                known = links.get(edge.getID())
                if known is not None and edge.getFromNode().getID() not in inner:
                    weight += rank_weight(known)
        coords = [net.getNode(j).getCoord() for j in junctions]
        names = [n.name or "" for j in junctions for n in members.get(j, [])]
        lots = frozenset(lot for lot in (node_lot(name) for name in names) if lot is not None)
        sites.append(
            Site(
                id=site_id,
                junctions=tuple(junctions),
                x=sum(c[0] for c in coords) / len(coords),
                y=sum(c[1] for c in coords) / len(coords),
                legs=len(legs),
                weight=weight,
                named=any(INTERSECTION_NAME.search(name) for name in names),
                lots=lots,
            )
        )
    return sites
