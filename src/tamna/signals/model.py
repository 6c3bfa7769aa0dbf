"""What a controller sees and says, independent of any simulator: an intersection's green phases and the lanes
each serves, one observation of its detectors, and the decision it returns.

The SUMO twin builds these from a network's own signal programs (``tamna.twin.signal_control``); a field
controller adapter would build them from the cabinet's phase table and its loops. Controllers see nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

#: Signal-state characters that let traffic go (SUMO's notation: G priority green, g green that yields).
GREEN = frozenset("Gg")
#: Characters that announce the end of a green.
YELLOW = frozenset("yY")


class Record:
    """The base of the frozen records here, pickled as their fields given to the constructor (episodes run in
    child processes and send their results back). Pickle's own way, refilling the fields of an empty object, needs
    an instance ``__dict__``; compiled by mypyc (:mod:`tamna.native`) a record has none, and pickle then assigns
    each field, which a frozen dataclass refuses."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:
        return type(self), tuple([getattr(self, name) for name in self.__dataclass_fields__])


@dataclass(frozen=True)
class Movement(Record):
    """One controlled link of a signal: from an incoming lane to an outgoing lane, at a signal-state index."""

    index: int
    in_lane: str
    out_lane: str
    #: a pedestrian crossing, not a road movement
    pedestrian: bool = False


@dataclass(frozen=True)
class Phase(Record):
    """A green phase of the program: which links are green and the bounds on its green time."""

    #: position among the intersection's green phases (what a controller chooses)
    index: int
    #: SUMO signal state while this phase is green (one character per link)
    state: str
    #: incoming road lanes with a green in this phase, in link order
    lanes: tuple[str, ...]
    min_green_s: float
    max_green_s: float
    #: the green time the scenario's own plan gives it
    plan_green_s: float

    @property
    def green_links(self) -> frozenset[int]:
        """Link indices that are green in this phase."""
        return frozenset(i for i, c in enumerate(self.state) if c in GREEN)


@dataclass(frozen=True)
class Intersection(Record):
    """A signalised intersection as a controller sees it."""

    id: str
    movements: tuple[Movement, ...]
    phases: tuple[Phase, ...]
    yellow_s: float
    all_red_s: float

    @property
    def clearance_s(self) -> float:
        """Yellow plus all-red: the time between two greens."""
        return self.yellow_s + self.all_red_s

    @property
    def incoming_lanes(self) -> tuple[str, ...]:
        """Road lanes entering the intersection under its control."""
        return _unique(m.in_lane for m in self.movements if not m.pedestrian)

    @property
    def outgoing_lanes(self) -> tuple[str, ...]:
        """Road lanes leaving the intersection from a controlled link."""
        return _unique(m.out_lane for m in self.movements if not m.pedestrian)

    def movements_of(self, phase: int) -> tuple[Movement, ...]:
        """The road movements green in ``phase``."""
        green = self.phases[phase].green_links
        return tuple(m for m in self.movements if m.index in green and not m.pedestrian)


@dataclass(frozen=True)
class LaneReading(Record):
    """One lane's detector data at the moment of an observation."""

    #: vehicles on the lane
    vehicles: int = 0
    #: vehicles standing (below 0.1 m/s): the queue
    queue: int = 0
    occupancy_pct: float = 0.0
    mean_speed_ms: float = 0.0
    #: vehicles that crossed the stop-line detector since the previous observation of this intersection
    arrivals: int = 0
    #: seconds since a vehicle last passed the stop-line detector (inf: none yet, no detector, or a vehicle
    #: standing on it: a queue that does not move is no reason to extend a green)
    gap_s: float = float("inf")


NO_READING = LaneReading()


#: :meth:`Observation.presence`: nobody on the lanes, vehicles but none standing, someone standing
NOBODY, MOVING, STANDING = 0, 1, 2


class LaneColumns:
    """Figures of many lanes at once, for an adapter that can read them faster than a reading per lane (the SUMO
    twin's reads a road's total in one call). An :class:`Observation` given one asks it directly: compiled
    (:mod:`tamna.native`), that is a C call, where finding a ``column`` or ``total`` method on an arbitrary
    mapping and calling it through the interpreter cost a tenth of ``gap-pressure``'s time on grid4x4."""

    def column(self, name: str, lanes: Sequence[str]) -> list[Any]:
        """One figure of each of ``lanes``, as :meth:`Observation.values` gives it."""
        raise NotImplementedError

    def total(self, name: str, lanes: Sequence[str]) -> float:
        """One figure summed over ``lanes``, as :meth:`Observation.total` gives it."""
        raise NotImplementedError

    def presence(self, lanes: Sequence[str]) -> int:
        """:meth:`Observation.presence`."""
        raise NotImplementedError


class Observation:
    """What a controller knows when it is asked: the time, the phase now green and for how long, and every
    incoming and outgoing lane's reading. Controllers only read it.

    A plain class rather than a dataclass: one is built for every decision, and compiled
    (:mod:`tamna.native`) a dataclass is still built through its generated ``__init__`` in the interpreter,
    which cost 4 % of a controller's time on grid4x4."""

    __slots__ = ("columns", "green_s", "lanes", "phase", "time_s")

    def __init__(
        self,
        time_s: float,
        phase: int,
        green_s: float,
        lanes: Mapping[str, LaneReading],
        columns: LaneColumns | None = None,
    ) -> None:
        self.time_s = time_s
        self.phase = phase
        self.green_s = green_s
        self.lanes = lanes
        #: the same lanes' figures many at a time, where the adapter has a faster way (see :class:`LaneColumns`)
        self.columns = columns

    def __repr__(self) -> str:
        lanes = f"<{len(self.lanes)} lanes>"
        return f"Observation(time_s={self.time_s!r}, phase={self.phase!r}, green_s={self.green_s!r}, lanes={lanes})"

    def lane(self, lane: str) -> LaneReading:
        """The reading of ``lane`` (empty when the lane has no data)."""
        try:  # indexing, not .get: a mapping that reads its lanes lazily reads them here
            return self.lanes[lane]
        except KeyError:
            return NO_READING

    def values(self, name: str, lanes: Sequence[str]) -> list[Any]:
        """One figure (a :class:`LaneReading` field, ``queue`` or ``occupancy_pct`` say) of each of ``lanes``, in
        order, as :meth:`lane` would give it. The adapter's :class:`LaneColumns`, or a lane mapping with a
        ``column(name, lanes)`` method, gives them directly, without building a whole reading per lane: what a
        controller asked every second needs to stay cheap."""
        columns = self.columns
        if columns is not None:
            return columns.column(name, lanes)
        column = getattr(self.lanes, "column", None)
        if column is not None:
            found: list[Any] = column(name, lanes)
            return found
        lane = self.lane
        return [getattr(lane(lane_id), name) for lane_id in lanes]

    def total(self, name: str, lanes: Sequence[str]) -> float:
        """One figure summed over ``lanes`` (each counted once per mention). The adapter's :class:`LaneColumns`,
        or a lane mapping with a ``total(name, lanes)`` method (the SUMO adapter's sums whole roads in one reading
        each where the lanes make them up), answers it directly."""
        columns = self.columns
        if columns is not None:
            return columns.total(name, lanes)
        total = getattr(self.lanes, "total", None)
        if total is not None:
            found: float = total(name, lanes)
            return found
        return float(sum(self.values(name, lanes)))

    def presence(self, lanes: Sequence[str]) -> int:
        """Who is on ``lanes``: :data:`NOBODY`, :data:`MOVING` (vehicles, none of them standing) or
        :data:`STANDING` (a queue somewhere). What a controller resting in a green asks every second; the
        adapter's :class:`LaneColumns` answers it with as few readings as it can (a road's count, and its queue
        only where it has vehicles)."""
        columns = self.columns
        if columns is not None:
            return columns.presence(lanes)
        if self.total("queue", lanes):
            return STANDING
        return MOVING if self.total("vehicles", lanes) else NOBODY


@dataclass(frozen=True)
class Decision(Record):
    """The phase to show and how long to hold it before the controller is asked again. The safety layer may
    shorten, lengthen or defer it; it never shows anything unsafe because of it."""

    phase: int
    hold_s: float


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
