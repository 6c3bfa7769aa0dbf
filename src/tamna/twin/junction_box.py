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


def junction_boxes(sumo: ModuleType, intersections: Sequence[Intersection]) -> dict[str, JunctionBox]:
    """A :class:`JunctionBox` per intersection of the loaded network, its layout read."""
    boxes = {intersection.id: JunctionBox(sumo, intersection) for intersection in intersections}
    for box in boxes.values():
        box.prepare()
    return boxes
