"""A signal's junction box as SUMO sees it: whether a new green would send traffic across a vehicle that the green
before left inside the junction (ADR 9).

A vehicle past the stop line finishes its crossing whatever the signal shows. One that is still inside when the
cross street gets green, crawling or standing (a permissive left turn waiting for a gap, a through vehicle waiting
behind one), meets the new green's vehicles in the box. In SUMO, with teleporting off, two such vehicles can each
wait for the other for good: on cologne3's cluster junction that locked the whole network in 7 of 240 runs under
`best`, and now and then under every responsive controller Tamna has (docs/benchmarks.md). The safety layer
therefore holds the all-red while :class:`JunctionBox` reports such a vehicle
(:class:`tamna.signals.safety.SignalTimer`).

Which internal lanes conflict with which is SUMO's own junction model (``lane.getInternalFoes``), read for the
loaded network, never written per scenario. Only vehicles on links that are not green in the new phase count: a
link green on both sides of the switch keeps flowing under SUMO's right-of-way rules, as during any green. A
vehicle moving faster than :data:`CRAWL_MS` clears the conflict in well under a second and is not waited for
(waiting for every vehicle in the box cost cologne1 1.4–2.0 s of delay per vehicle on seeds 2–4 and prevented no
lock that the threshold leaves).

Each timer asks through its own :class:`BoxWatch`, which remembers which parts of the box it has seen empty
and skips them while nothing can have entered them since: every link that leads into them has shown red
throughout. The answers are those of reading every lane each time (a test compares them call by call on real
episodes); the reads are fewer, since at the end of a clearance most of the box was last entered a cycle ago.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

from tamna.signals.model import GREEN, Intersection
from tamna.twin.signal_control import sumo_getter

#: a lane whose vehicles move slower than this on average holds one that is still in the conflict area when the
#: new green's first vehicles arrive (3 m/s: chosen among 2, 3 and 5 on cologne1 and cologne3, ADR 9)
CRAWL_MS = 3.0
#: what :meth:`BoxWatch._look` finds in a part of the box
_CRAWLING, _OCCUPIED, _EMPTY = 0, 1, 2
#: how many internal lanes a link's path is followed through (SUMO splits a turn at each internal junction inside
#: the box: two or three pieces in practice); a bound, so that a malformed network cannot loop
_MAX_PIECES = 8


class JunctionBox:
    """``box(current, target)``: whether the box holds a crawling or standing vehicle, on a link not green in
    phase ``target``, whose path the links that ``target`` turns green cross. SUMO is asked for the junction's
    layout once (:meth:`prepare`, or on first use of a pair of phases), and for the vehicles at every call."""

    def __init__(self, sumo: ModuleType, intersection: Intersection) -> None:
        self._sumo: Any = sumo
        self._id = intersection.id
        self._states = tuple(phase.state for phase in intersection.phases)
        self._road_count = sumo_getter(sumo, "edge", "getLastStepVehicleNumber")
        self._count = sumo_getter(sumo, "lane", "getLastStepVehicleNumber")
        self._speed = sumo_getter(sumo, "lane", "getLastStepMeanSpeed")
        self._paths: tuple[tuple[str, ...], ...] | None = None
        self._watched: dict[tuple[int, int], tuple[tuple[str, tuple[str, ...]], ...]] = {}
        # the layout as read from SUMO, each piece once: foes per internal lane, road and road width
        self._piece_foes: dict[str, tuple[str, ...]] = {}
        self._road_of: dict[str, str] = {}
        self._road_width: dict[str, int] = {}
        self._memo: _MemoLayout | None = None

    def __call__(self, current: int, target: int) -> bool:
        # asked at the end of every clearance, and nearly always every lane watched is empty: the roads inside
        # the box (SUMO's internal edges, one or two lanes each) are asked first, a lane only on a road with a
        # vehicle; plain loops, which compile to C where any() over a generator would not
        road_count, count, speed = self._road_count, self._count, self._speed
        for road, lanes in self.watched(current, target):
            if road and not road_count(road):
                continue
            for lane in lanes:
                if count(lane) and speed(lane) < CRAWL_MS:
                    return True
        return False

    def prepare(self) -> None:
        """Read the layout for every pair of phases now, where it costs no simulation step its time (a few
        milliseconds per signal)."""
        for current in range(len(self._states)):
            for target in range(len(self._states)):
                if current != target:
                    self.watched(current, target)
        self.memo_layout()

    def watch(self) -> BoxWatch:
        """A watch of this box for one signal timer, remembering what it saw (see :class:`BoxWatch`)."""
        return BoxWatch(self, self.memo_layout())

    def memo_layout(self) -> _MemoLayout:
        """What :class:`BoxWatch` needs to know of the layout, read once."""
        if self._memo is None:
            self._memo = self._memo_layout()
        return self._memo

    def _memo_layout(self) -> _MemoLayout:
        """Parts of the box (groups of internal roads joined by the links that drive through them), per phase the
        parts no vehicle can enter while it shows, and per pair of phases which parts are watched, read how, and
        what else must be read to know a part empty. A part holding a lane that no signal link leads into is never
        remembered."""
        paths, road_of = self.paths(), self._road_of
        part_of = self._parts()
        roads_of_part: list[list[str]] = [[] for _ in range(max(part_of.values(), default=-1) + 1)]
        for road, part in part_of.items():
            roads_of_part[part].append(road)
        memorable = self._memorable(roads_of_part)
        # per phase, the parts a vehicle can enter while it shows: those of every link not red in it
        entered = [
            frozenset(part_of[road_of[path[0]]] for link, path in enumerate(paths) if path and state[link] != "r")
            for state in self._states
        ]
        keep = [sum(1 << part for part in range(len(memorable)) if memorable[part] and part not in e) for e in entered]
        plans: dict[tuple[int, int], tuple[_PartPlan, ...]] = {}
        for pair, watched in self._watched.items():
            by_part: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
            for road, lanes in watched:
                by_part.setdefault(part_of[road or road_of[lanes[0]]], []).append((road, lanes))
            plans[pair] = tuple(
                _PartPlan(
                    1 << part if memorable[part] else 0,
                    tuple(entries),
                    tuple(r for r in roads_of_part[part] if r not in {road for road, _ in entries}),
                )
                for part, entries in by_part.items()
            )
        return _MemoLayout(tuple(keep), plans, len(self._states))

    def _parts(self) -> dict[str, int]:
        """Each internal road's part: the roads of one link's path are one part (joined over links that share a
        road); a watched road on no signal link's path (a junction with links of no signal, say) is a part of
        its own."""
        sumo, road_of = self._sumo, self._road_of
        parent: dict[str, str] = {}

        def root(road: str) -> str:
            while parent.setdefault(road, road) != road:
                road = parent[road]
            return road

        for path in self.paths():
            for piece in path:
                if piece not in road_of:
                    road_of[piece] = str(sumo.lane.getEdgeID(piece))
            roads = [road_of[piece] for piece in path]
            if roads:
                first = root(roads[0])
                for road in roads[1:]:
                    parent[root(road)] = first
        roots: dict[str, int] = {}
        part_of = {road: roots.setdefault(root(road), len(roots)) for road in list(parent)}
        for watched in self._watched.values():
            for road, lanes in watched:
                key = road or road_of[lanes[0]]
                if key not in part_of:
                    part_of[key] = len(roots)
                    roots[key] = part_of[key]
        return part_of

    def _memorable(self, roads_of_part: list[list[str]]) -> list[bool]:
        """Per part, whether every lane of its roads lies on a signal link's path: a vehicle can then enter it
        only by a link whose signal state the watch knows (SUMO names an edge's lanes "<edge>_<index>")."""
        on_paths = {piece for path in self.paths() for piece in path}
        memorable = [True] * len(roads_of_part)
        for part, roads in enumerate(roads_of_part):
            for road in roads:
                width = self._road_width.get(road)
                if width is None:
                    width = self._road_width[road] = int(self._sumo.edge.getLaneNumber(road))
                if any(f"{road}_{k}" not in on_paths for k in range(width)):
                    memorable[part] = False
        return memorable

    def foes(self, current: int, target: int) -> tuple[str, ...]:
        """The internal lanes watched when ``current`` hands over to ``target``."""
        return tuple(lane for _road, lanes in self.watched(current, target) for lane in lanes)

    def watched(self, current: int, target: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """:meth:`foes` by internal road: (road, its lanes) where every lane of the road is watched, else ("",
        the lane)."""
        key = (current, target)
        found = self._watched.get(key)
        if found is None:
            found = self._watched[key] = self._by_road(self._find_foes(self._states[current], self._states[target]))
        return found

    def _by_road(self, lanes: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        sumo, road_of, width = self._sumo, self._road_of, self._road_width
        roads: dict[str, list[str]] = {}
        for lane in lanes:
            road = road_of.get(lane)
            if road is None:
                road = road_of[lane] = str(sumo.lane.getEdgeID(lane))
            roads.setdefault(road, []).append(lane)
        grouped: list[tuple[str, tuple[str, ...]]] = []
        for road, on_road in roads.items():
            lanes_of_road = width.get(road)
            if lanes_of_road is None:
                lanes_of_road = width[road] = int(sumo.edge.getLaneNumber(road))
            if lanes_of_road == len(on_road):
                grouped.append((road, tuple(on_road)))
            else:
                grouped.extend(("", (lane,)) for lane in on_road)
        return tuple(grouped)

    def _find_foes(self, before: str, after: str) -> tuple[str, ...]:
        paths = self.paths()
        lane = self._sumo.lane
        starting = [i for i, c in enumerate(after) if c in GREEN and (i >= len(before) or before[i] not in GREEN)]
        foes: set[str] = set()
        known = self._piece_foes
        for link in starting:
            for piece in paths[link]:
                found = known.get(piece)
                if found is None:  # a piece is on the paths of several links, and in many pairs of phases
                    found = known[piece] = tuple(str(foe) for foe in lane.getInternalFoes(piece))
                foes.update(found)
        flowing = {piece for link, c in enumerate(after) if c in GREEN for piece in paths[link]}
        return tuple(sorted(foes - flowing))

    def paths(self) -> tuple[tuple[str, ...], ...]:
        """Per link of the signal, the internal lanes its vehicles drive through the box."""
        if self._paths is None:
            links = self._sumo.trafficlight.getControlledLinks(self._id)
            self._paths = tuple(self._path([str(via) for _in, _out, via in link if via]) for link in links)
        return self._paths

    def _path(self, entries: Sequence[str]) -> tuple[str, ...]:
        lane = self._sumo.lane
        found: list[str] = []
        todo = list(entries)
        while todo and len(found) < _MAX_PIECES * max(1, len(entries)):
            piece = todo.pop()
            if piece in found:
                continue
            found.append(piece)
            # (lane, has priority, open, has foe, via, state, direction, length): the next internal lane a
            # vehicle enters is either the via of this lane's link or, past an internal junction, the lane itself
            for link in lane.getLinks(piece):
                todo.extend(following for following in (str(link[4]), str(link[0])) if following.startswith(":"))
        return tuple(found)


class _PartPlan:
    """One part of the box as a pair of phases watches it: its bit (0: never remembered), the watched (road,
    lanes) in it as :meth:`JunctionBox.watched` gives them, and its other roads, read only to know it empty."""

    def __init__(self, bit: int, entries: tuple[tuple[str, tuple[str, ...]], ...], others: tuple[str, ...]) -> None:
        self.bit = bit
        self.entries = entries
        self.others = others


class _MemoLayout:
    """Per phase, the bits of the parts no vehicle can enter while it shows; per pair of phases, its plans."""

    def __init__(self, keep: tuple[int, ...], plans: dict[tuple[int, int], tuple[_PartPlan, ...]], phases: int) -> None:
        self.keep = keep
        self.phases = phases
        # the plans by position (current × phases + target), None for a pair not read: a tuple of two ints
        # built and hashed at every question cost a sixth of the watch's time
        self.by_position: list[tuple[_PartPlan, ...] | None] = [
            plans.get((current, target)) for current in range(phases) for target in range(phases)
        ]


class BoxWatch:
    """:class:`JunctionBox`'s answer for one signal timer, remembering the parts of the box it has seen empty.

    A part seen empty stays empty while every link leading into it shows red. Between two questions the
    signal showed only the green of the phase the first one handed over to (and its yellow, and the all-red's
    greens, which both phases share), or, asked again for the same pair, the all-red alone: so at each question
    the parts the ending phase's links lead into are forgotten. Any other sequence (a switch that adds greens
    without a clearance, say) forgets everything. A timer starts with a new watch, so a signal that ran
    another program in between starts from nothing."""

    def __init__(self, box: JunctionBox, layout: _MemoLayout) -> None:
        self._box = box
        self._keep = layout.keep
        self._plans = layout.by_position
        self._phases = layout.phases
        self._road_count = box._road_count
        self._count = box._count
        self._speed = box._speed
        self._known = 0
        self._last_current = -1
        self._last_target = -1
        #: parts of the box passed over as known empty, over the watch's life (for tests and reports)
        self.skipped = 0

    def __call__(self, current: int, target: int) -> bool:
        if current == self._last_target or (current == self._last_current and target == self._last_target):
            known = self._known & self._keep[current]
        else:
            known = 0
        self._last_current, self._last_target = current, target
        plans = self._plans[current * self._phases + target]
        if plans is None:  # a pair the layout was not read for (prepare() reads them all)
            self._known = 0
            return self._box(current, target)
        for plan in plans:
            bit = plan.bit
            if known & bit:
                self.skipped += 1
                continue  # seen empty, and nothing entered since
            found = self._look(plan)
            if found == _CRAWLING:
                self._known = known
                return True
            if found == _EMPTY:
                known |= bit
        self._known = known
        return False

    def _look(self, plan: _PartPlan) -> int:
        """Whether the part holds a vehicle crawling where the new green crosses (:data:`_CRAWLING`), is empty
        (:data:`_EMPTY`, asked only of a part that can be remembered), or neither."""
        road_count, count, speed = self._road_count, self._count, self._speed
        empty = True
        for road, lanes in plan.entries:
            if road and not road_count(road):
                continue
            for lane in lanes:
                if count(lane):
                    empty = False
                    if speed(lane) < CRAWL_MS:
                        return _CRAWLING
        if not empty or not plan.bit:
            return _OCCUPIED
        for road in plan.others:
            if road_count(road):
                return _OCCUPIED
        return _EMPTY


def junction_boxes(sumo: ModuleType, intersections: Sequence[Intersection]) -> dict[str, JunctionBox]:
    """A :class:`JunctionBox` per intersection of the loaded network, its layout read."""
    boxes = {intersection.id: JunctionBox(sumo, intersection) for intersection in intersections}
    for box in boxes.values():
        box.prepare()
    return boxes
