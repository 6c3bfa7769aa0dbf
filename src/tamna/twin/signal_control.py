"""The bridge between SUMO and Tamna's signal controllers: intersections read from the network's own signal
programs (through libsumo, so any scenario works, never one written down here), observations read from SUMO's
lanes and stop-line loops, and signal states shown.

Detectors: the lane figures (vehicles, queue, occupancy, mean speed) come from SUMO's lanes directly, a lane-area
detector over the whole lane, as RESCO and sumo-rl read them; an incoming lane too short to hold a queue has its
vehicles and queue read together with the lanes behind it, up to 50 m before the stop line
(:mod:`tamna.twin.approaches`). Arrivals and gaps come from induction loops a few metres before each stop line
(``twin.detectors.stopline_loops``), placed automatically in every scenario.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any, Generic, TypeVar, cast

from tamna.signals.control import StateChange
from tamna.signals.model import (
    MOVING,
    NO_READING,
    NOBODY,
    STANDING,
    Intersection,
    LaneColumns,
    LaneReading,
    Observation,
)
from tamna.signals.program import ProgramPhase, TimingRules, build_intersection, is_pedestrian_lane
from tamna.twin.approaches import read_lanes_behind

#: SUMO's "time since detection" for a loop that has never seen a vehicle is the time since the start;
#: anything above this is "no vehicle recently"
_NEVER_S = 1e9
#: a loop covered this much of the last step has a vehicle standing on it, not passing
_COVERED_PCT = 99.9
#: the :class:`LaneReading` figures that come from the lane alone (not the loops)
_COLUMNS = frozenset({"vehicles", "queue", "occupancy_pct", "mean_speed_ms"})
#: the figures of a short approach lane that count the lanes behind it too (:mod:`tamna.twin.approaches`)
_COUNTS = ("vehicles", "queue")
#: whether observations read many lanes' figures at once (:class:`_Columns`: road totals, one getter over many
#: lanes); off, every figure comes from a reading per lane, the reference the tests hold the batched reads to.
#: Read when a :class:`SumoSignals` is built.
BATCHED = True
#: how many lane tuples a :class:`_PerLaneList` holds by identity (a controller asks a handful; more means a caller
#: building new tuples each time, which are looked up by their lanes instead)
_HELD_BY_ID = 32

T = TypeVar("T")


def read_intersections(sumo: ModuleType, rules: TimingRules) -> tuple[list[Intersection], int]:
    """The controllable intersections of the loaded network and the number of signals it has. A signal with
    fewer than two green phases keeps its own program."""
    trafficlight: Any = sumo.trafficlight
    lane: Any = sumo.lane
    signal_ids = list(trafficlight.getIDList())
    found = []
    for signal_id in signal_ids:
        program_id = trafficlight.getProgram(signal_id)
        logics = trafficlight.getAllProgramLogics(signal_id)
        logic = next((g for g in logics if g.programID == program_id), logics[0] if logics else None)
        if logic is None:
            continue
        program = [ProgramPhase(p.state, float(p.duration), float(p.minDur), float(p.maxDur)) for p in logic.phases]
        links = [[(link[0], link[1]) for link in group] for group in trafficlight.getControlledLinks(signal_id)]
        crossings = {
            out_lane: float(lane.getLength(out_lane))
            for group in links
            for _in, out_lane in group
            if is_pedestrian_lane(out_lane)
        }
        intersection = build_intersection(signal_id, program, links, rules=rules, crossing_lengths_m=crossings)
        if intersection is not None:
            found.append(intersection)
    return found, len(signal_ids)


def sumo_getter(sumo: ModuleType, domain: str, name: str) -> Callable[[str], Any]:
    """libsumo's compiled function for ``domain.name`` where it has one, else the domain's method.

    libsumo's Python classes are thin wrappers over its SWIG module (``lane.getLastStepHaltingNumber(x)`` only
    calls ``_libsumo.lane_getLastStepHaltingNumber(x)``); calling the compiled function straight saves the
    wrapper's call, 40 % of a reading, and the controllers read tens of lanes per decision. Any other module
    with SUMO's interface (TraCI's) gets its own method."""
    compiled = getattr(getattr(sumo, "_libsumo", None), f"{domain}_{name}", None)
    if callable(compiled):
        return cast("Callable[[str], Any]", compiled)
    return cast("Callable[[str], Any]", getattr(getattr(sumo, domain), name))


class SumoSignals:
    """Reads observations from SUMO and shows the states the safety layer lets through.

    An observation reads a lane from SUMO only when its controller first looks at it (and once per observation):
    a controller asked every second to check its green's loops reads those few, not the whole intersection. The
    readings hold for the instant of the observation; a controller uses them within its decision.

    Each figure is one libsumo getter call (~0.2 µs: a C++ function, no socket). Subscriptions were tried and
    cost more: SUMO then computes every subscribed figure of every lane each step (+15 % on the step on
    grid4x4) and hands them over as a dict of dicts (~70 µs per 200 lanes), where a controller reads a few
    lanes at its decisions only.
    """

    def __init__(self, sumo: ModuleType, intersections: Sequence[Intersection], loops: Mapping[str, str]) -> None:
        lane: Any = sumo.lane
        loop: Any = sumo.inductionloop
        self._lane = lane
        self._loop = loop
        self._trafficlight: Any = sumo.trafficlight
        self._loops = dict(loops)
        self._lanes = {
            i.id: frozenset((*i.incoming_lanes, *(o for o in i.outgoing_lanes if o not in i.incoming_lanes)))
            for i in intersections
        }
        self._incoming = {i.id: i.incoming_lanes for i in intersections}
        self._incoming_sets = {i.id: frozenset(i.incoming_lanes) for i in intersections}
        # per intersection and lane: when its loop was last counted, the arrivals found then, and the count
        self._counted: dict[tuple[str, str], tuple[float, int, int]] = {}
        # the getter of each lane figure, bound once
        self._getters: dict[str, Callable[[str], Any]] = {
            "vehicles": sumo_getter(sumo, "lane", "getLastStepVehicleNumber"),
            "queue": sumo_getter(sumo, "lane", "getLastStepHaltingNumber"),
            "occupancy_pct": sumo_getter(sumo, "lane", "getLastStepOccupancy"),
            "mean_speed_ms": sumo_getter(sumo, "lane", "getLastStepMeanSpeed"),
        }
        # per intersection, its short incoming lanes and the lanes behind each that its detectors also see
        self._behind = read_lanes_behind(sumo, {i.id: i.incoming_lanes for i in intersections})
        #: per intersection, the figures as it reads them, SUMO's own getters where no lane reaches further back
        #: (every lane of grid4x4 and arterial4x4: no cost there), for the shortest path in
        #: :meth:`_Readings.column`; no occupancy (a fraction in SUMO, a percentage here)
        self.plain_getters: dict[str, dict[str, Callable[[str], Any]]] = {}
        for intersection in intersections:
            behind = self._behind[intersection.id]
            getters = {name: get for name, get in self._getters.items() if name != "occupancy_pct"}
            for name in _COUNTS if behind else ():
                getters[name] = _counting_behind(getters[name], behind)
            self.plain_getters[intersection.id] = getters
        #: SUMO's occupancy getter (a fraction; readings give it in per cent)
        self.occupancy_getter = self._getters["occupancy_pct"]
        self._since = sumo_getter(sumo, "inductionloop", "getTimeSinceDetection")
        self._loop_occupancy = sumo_getter(sumo, "inductionloop", "getLastStepOccupancy")
        # the figures SUMO also sums per road (edge), and which roads a list of lanes makes up (None: not whole
        # roads)
        self._edge_getters: dict[str, Callable[[str], int]] = {
            "vehicles": sumo_getter(sumo, "edge", "getLastStepVehicleNumber"),
            "queue": sumo_getter(sumo, "edge", "getLastStepHaltingNumber"),
        }
        self._lane_edge = sumo_getter(sumo, "lane", "getEdgeID")
        self._edge_lanes = sumo_getter(sumo, "edge", "getLaneNumber")
        # per intersection, the roads (and the lanes left over) of each lane list asked for a total
        self._splits = {i.id: _PerLaneList(functools.partial(self._split_by_road, i.id)) for i in intersections}
        # each intersection's stop-line loops by incoming lane, and the loops of each lane list asked for gaps
        # (and whether every lane has one)
        self._loop_of = {i.id: {lane: loops[lane] for lane in i.incoming_lanes if lane in loops} for i in intersections}
        self._gap_loops = {i.id: _PerLaneList(functools.partial(self._find_gap_loops, i.id)) for i in intersections}
        # each intersection's readings, emptied for each observation (building a new one for every decision cost
        # a twentieth of grid4x4's control time)
        self._readings = {i.id: _Readings(self, i.id, self._lanes[i.id], 0.0) for i in intersections}
        self._columns = {i.id: _Columns(self, i.id, self._lanes[i.id]) for i in intersections}
        self._batched = BATCHED

    def observe(self, intersection: Intersection, now_s: float, phase: int, green_s: float) -> Observation:
        """The detector data of ``intersection`` now (each lane read when the controller first asks for it). The
        readings are those of the latest observation of the intersection: an earlier one is not to be kept."""
        readings = self._readings[intersection.id]
        readings.renew(now_s)
        if not self._batched:
            return Observation(now_s, phase, green_s, readings)
        columns = self._columns[intersection.id]
        columns.now_s = now_s
        return Observation(now_s, phase, green_s, readings, columns)

    def readings_of(self, intersection_id: str) -> Mapping[str, LaneReading]:
        """The lane readings of the latest observation of ``intersection_id``."""
        return self._readings[intersection_id]

    def read(self, intersection_id: str, lane_id: str, now_s: float) -> LaneReading:
        """One lane's reading at ``now_s``, as ``intersection_id`` sees it: arrivals since it last read this lane."""
        lane = self._lane
        loop_id = self._loops.get(lane_id) if lane_id in self._incoming_sets[intersection_id] else None
        getters = self.plain_getters[intersection_id]
        return LaneReading(
            int(getters["vehicles"](lane_id)),
            int(getters["queue"](lane_id)),
            float(lane.getLastStepOccupancy(lane_id)) * 100.0,
            float(lane.getLastStepMeanSpeed(lane_id)),
            self.arrivals(intersection_id, lane_id, now_s),
            self._gap(loop_id),
        )

    def arrivals(self, intersection_id: str, lane_id: str, now_s: float) -> int:
        """Vehicles over the stop-line loop of ``lane_id`` since ``intersection_id`` last counted them before
        ``now_s`` (asked again at the same instant: the same answer); 0 for a lane without a loop or not its own."""
        loop_id = self._loops.get(lane_id) if lane_id in self._incoming_sets[intersection_id] else None
        if loop_id is None:
            return 0
        key = (intersection_id, lane_id)
        counted = self._counted.get(key)
        if counted is not None and counted[0] == now_s:
            return counted[1]
        total = int(self._loop.getIntervalVehicleNumber(loop_id))
        arrived = max(total - (counted[2] if counted is not None else 0), 0)
        self._counted[key] = (now_s, arrived, total)
        return arrived

    def column(self, intersection_id: str, name: str, lanes: Sequence[str], now_s: float) -> list[Any] | None:
        """One figure of each of ``lanes`` at ``now_s``, as :meth:`read` would give it to ``intersection_id`` (a
        lane not its own: the empty reading's), without building the readings; None for a figure it does not
        know."""
        if name == "gap_s":  # from the stop-line loops of the intersection's incoming lanes
            return self._gaps(intersection_id, lanes)
        if name == "arrivals":  # from the same loops, counted since the intersection's previous count
            return [self.arrivals(intersection_id, lane, now_s) for lane in lanes]
        if name not in _COLUMNS:
            return None
        known = self._lanes[intersection_id]
        get = self.plain_getters[intersection_id].get(name) or self._getters[name]
        scale = 100.0 if name == "occupancy_pct" else None  # SUMO gives occupancy as a fraction
        if known.issuperset(lanes):  # the usual case, in the fewest Python steps: these run every decision
            return list(map(get, lanes)) if scale is None else [value * scale for value in map(get, lanes)]
        empty = getattr(NO_READING, name)
        if scale is None:
            return [get(lane) if lane in known else empty for lane in lanes]
        return [get(lane) * scale if lane in known else empty for lane in lanes]

    def total(self, intersection_id: str, name: str, lanes: Sequence[str], now_s: float) -> float:
        """:meth:`column`'s figures summed. Where ``lanes`` hold every lane of some roads, SUMO's per-road figure
        is read for those roads, one reading per road rather than per lane (a third of the readings where every
        road has three lanes, as on grid4x4), and the other lanes one by one: this is how a controller asks "is
        anyone on my approaches?" every few seconds."""
        edges, rest = self._roads_of(intersection_id, lanes)
        get = self._edge_getters.get(name)
        if get is None:  # no per-road figure: lane by lane
            edges, rest = (), tuple(lanes)
        total = 0.0
        if get is not None:
            for edge in edges:  # a loop of counts rather than sum(map()): compiled, no Python call but SUMO's
                total += get(edge)
        if rest:
            found = self.column(intersection_id, name, rest, now_s)
            if found is None:
                found = [getattr(self.read(intersection_id, lane, now_s), name) for lane in rest]
            for value in found:
                total += float(value)
        return total

    def presence(self, intersection_id: str, lanes: Sequence[str]) -> int:
        """:meth:`Observation.presence` of ``lanes`` now: a road at a time where the lanes make up whole roads,
        its queue read only where it has vehicles, and no further once someone stands (on grid4x4 most
        approaches a resting green asks about hold moving vehicles and no queue, which took both totals)."""
        edges, rest = self._roads_of(intersection_id, lanes)
        vehicles, queue = self._edge_getters["vehicles"], self._edge_getters["queue"]
        found = NOBODY
        for edge in edges:
            if vehicles(edge):
                if queue(edge):
                    return STANDING
                found = MOVING
        if rest:
            getters = self.plain_getters[intersection_id]
            lane_vehicles, lane_queue = getters["vehicles"], getters["queue"]
            known = self._lanes[intersection_id]
            for lane in rest:
                if lane in known and lane_vehicles(lane):
                    if lane_queue(lane):
                        return STANDING
                    found = MOVING
        return found

    def _roads_of(self, intersection_id: str, lanes: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """:meth:`_split_by_road` of ``lanes``, worked out once per list (:class:`_PerLaneList`)."""
        return self._splits[intersection_id].of(lanes)

    def _split_by_road(self, intersection_id: str, lanes: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The roads all of whose lanes are among ``lanes`` (each lane given once, all the intersection's own),
        and the lanes left over; no roads where that does not hold."""
        if len(set(lanes)) != len(lanes) or not self._lanes[intersection_id].issuperset(lanes):
            return (), lanes
        by_edge: dict[str, list[str]] = {}
        for lane in lanes:
            by_edge.setdefault(str(self._lane_edge(lane)), []).append(lane)
        behind = self._behind[intersection_id]  # a road's own figure leaves out the lanes behind a short lane
        whole = tuple(
            edge
            for edge, found in by_edge.items()
            if int(self._edge_lanes(edge)) == len(found) and not any(lane in behind for lane in found)
        )
        rest = tuple(lane for edge, found in by_edge.items() if edge not in whole for lane in found)
        return whole, rest

    def _gaps(self, intersection_id: str, lanes: Sequence[str]) -> list[float]:
        """:meth:`_gap` of the loop on each of ``lanes`` (a lane not entering ``intersection_id``: none)."""
        loop_ids, every_lane = self._gap_loops_of(intersection_id, lanes)
        if every_lane:
            # one reading a loop when none has a vehicle on it or has never seen one (the usual case: the gap is
            # asked every second of a green); written as a loop over floats, which compiles to plain comparisons
            since = self._since
            gaps: list[float] = []
            usual = True
            for loop_id in cast("tuple[str, ...]", loop_ids):
                gap = float(since(loop_id))
                if gap == 0.0 or gap >= _NEVER_S:
                    usual = False
                gaps.append(gap)
            if usual:
                return gaps
        return [self._gap(loop_id) for loop_id in loop_ids]

    def _gap_loops_of(self, intersection_id: str, lanes: Sequence[str]) -> tuple[tuple[str | None, ...], bool]:
        """:meth:`_find_gap_loops` of ``lanes``, worked out once per list (:class:`_PerLaneList`): a green's lanes
        are asked for their gaps every second of the green."""
        return self._gap_loops[intersection_id].of(lanes)

    def _find_gap_loops(self, intersection_id: str, lanes: tuple[str, ...]) -> tuple[tuple[str | None, ...], bool]:
        """The loops of ``lanes`` (None where a lane has none) and whether every lane has one."""
        loop_of = self._loop_of[intersection_id]
        loop_ids = tuple(loop_of.get(lane) for lane in lanes)
        return loop_ids, bool(loop_ids) and None not in loop_ids

    def _gap(self, loop_id: str | None) -> float:
        """Seconds since a vehicle last passed ``loop_id`` (inf: none yet, no loop, or one standing on it)."""
        if loop_id is None:
            return math.inf
        since = float(self._since(loop_id))
        # SUMO gives no speed for a vehicle still on the loop; covering it for a whole step means standing (or
        # crawling) there
        standing = since == 0.0 and float(self._loop_occupancy(loop_id)) >= _COVERED_PCT
        return since if since < _NEVER_S and not standing else math.inf

    def show(self, changes: Sequence[StateChange]) -> None:
        """Put the changed states on the signals."""
        for change in changes:
            self._trafficlight.setRedYellowGreenState(change.signal_id, change.state)

    def state(self, signal_id: str) -> str:
        """What the signal shows now, as SUMO has it."""
        return str(self._trafficlight.getRedYellowGreenState(signal_id))

    def queue(self) -> int:
        """Standing vehicles on every controlled approach lane now."""
        lanes = {lane for group in self._incoming.values() for lane in group}
        return sum(int(self._lane.getLastStepHaltingNumber(lane)) for lane in lanes)


class _PerLaneList(Generic[T]):
    """What ``work`` makes of a list of lanes, worked out once per list. A controller asks the same few tuples
    (its approaches, the lanes only other phases serve, a green's lanes) thousands of times an hour, so they are
    found by identity first (hashing a dozen lane names each time cost a tenth of gap-pressure's control time on
    grid4x4); the tuple is held in the entry, so its id cannot be reused while the entry stands, and only a few
    are held so, whatever a caller passes (any other list is found by its lanes)."""

    def __init__(self, work: Callable[[tuple[str, ...]], T]) -> None:
        self._work = work
        self._by_id: dict[int, tuple[Sequence[str], T]] = {}
        self._by_lanes: dict[tuple[str, ...], T] = {}

    def of(self, lanes: Sequence[str]) -> T:
        """What ``work`` makes of ``lanes``."""
        found = self._by_id.get(id(lanes))
        if found is not None and found[0] is lanes:
            return found[1]
        key = tuple(lanes)
        if key in self._by_lanes:
            value = self._by_lanes[key]
        else:
            value = self._by_lanes[key] = self._work(key)
        if isinstance(lanes, tuple) and len(self._by_id) < _HELD_BY_ID:
            self._by_id[id(lanes)] = (lanes, value)
        return value


class _Readings(dict[str, LaneReading]):
    """An intersection's lanes, each read from SUMO on first access (a dict, so that a reading already taken
    costs a plain lookup)."""

    __slots__ = ("_intersection", "_lanes", "_now_s", "_source")

    def __init__(self, source: SumoSignals, intersection_id: str, lanes: frozenset[str], now_s: float) -> None:
        super().__init__()
        self._source = source
        self._intersection = intersection_id
        self._lanes = lanes
        self._now_s = now_s

    def renew(self, now_s: float) -> None:
        """Forget the readings taken: the next ones are read at ``now_s``."""
        if self:
            self.clear()
        self._now_s = now_s

    def __missing__(self, lane_id: str) -> LaneReading:
        if lane_id not in self._lanes:
            raise KeyError(lane_id)
        reading = self[lane_id] = self._source.read(self._intersection, lane_id, self._now_s)
        return reading

    def __iter__(self) -> Iterator[str]:
        return iter(self._lanes)

    def __len__(self) -> int:
        return len(self._lanes)

    def __contains__(self, lane_id: object) -> bool:
        return lane_id in self._lanes


class _Columns(LaneColumns):
    """An intersection's lane figures many at a time (:class:`LaneColumns`), read from SUMO at the instant of
    the latest observation without building a reading per lane."""

    def __init__(self, source: SumoSignals, intersection_id: str, lanes: frozenset[str]) -> None:
        self._source = source
        self._intersection = intersection_id
        self._lanes = lanes
        self._getters = source.plain_getters[intersection_id]
        self.now_s = 0.0

    def column(self, name: str, lanes: Sequence[str]) -> list[Any]:
        """One figure of each of ``lanes`` (see :meth:`Observation.values`)."""
        get = self._getters.get(name)
        if get is not None and self._lanes.issuperset(lanes):  # the usual case, in the fewest steps
            return list(map(get, lanes))
        if name == "occupancy_pct" and self._lanes.issuperset(lanes):  # the spill-back guard's, as often
            return [fraction * 100.0 for fraction in map(self._source.occupancy_getter, lanes)]
        found = self._source.column(self._intersection, name, lanes, self.now_s)
        if found is None:
            readings = self._source.readings_of(self._intersection)
            found = [getattr(readings[lane] if lane in self._lanes else NO_READING, name) for lane in lanes]
        return found

    def total(self, name: str, lanes: Sequence[str]) -> float:
        """One figure summed over ``lanes`` (see :meth:`Observation.total`), whole roads at a time where it can."""
        return self._source.total(self._intersection, name, lanes, self.now_s)

    def presence(self, lanes: Sequence[str]) -> int:
        """Who is on ``lanes`` (see :meth:`Observation.presence`)."""
        return self._source.presence(self._intersection, lanes)


def _counting_behind(get: Callable[[str], Any], behind: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """``get`` (a count: vehicles, queue) of a lane, with the lanes behind it added where it has any."""

    def count(lane_id: str) -> Any:
        extra = behind.get(lane_id)
        return get(lane_id) + sum(map(get, extra)) if extra else get(lane_id)

    return count
