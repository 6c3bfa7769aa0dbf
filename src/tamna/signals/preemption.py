"""Emergency vehicle preemption: the signals ahead of an emergency vehicle give its movement a green before it
arrives, without giving up any clearance.

The rule (pure logic here; the SUMO side reads the approaches and applies the result through
:meth:`tamna.signals.control.SignalControl.preempt`):

- A signal is preempted for an emergency vehicle whose **next** signal it is, once the vehicle is within
  :attr:`PreemptionRules.detect_m` metres of the stop line, or would reach it within
  :attr:`PreemptionRules.lead_s` seconds at its current speed. That lead covers a minimum green, a yellow and an
  all-red, and leaves time to clear the queue standing in front of the vehicle (on cologne8, 400 m / 40 s cut the
  emergency vehicles' travel time by 11 % where 250 m / 25 s cut it by 7 %).
- The phase asked for is one that gives the vehicle's link a green, and, among those, one that also lets the
  vehicles queued ahead of it in its lane go (**queue clearance**): first the one at the head of the queue, then
  as many of the others as it can. An emergency vehicle behind a car turning left cannot move on a green for
  straight on alone (on cologne8 one stood 85 s so, three cars behind the stop line, docs/benchmarks.md). Then the
  phase already green, then one where the vehicle's link has priority (``G``) over one where it yields (``g``).
- The switch passes the safety layer like any other: the green being cut keeps its **minimum green** (the
  preemption waits for its end), then shows its **yellow and all-red** in full. The emergency phase is then held
  within its maximum green; if the vehicle is still not through at the maximum, the signal moves on through a
  clearance and comes back after the next phase's minimum green. Clearances are never shortened.
- Two emergency vehicles approaching one signal: the nearer one decides. When no emergency vehicle approaches a
  signal any more (it passed the stop line, or turned away), the preemption ends and the signal's controller (or
  an operator's hold) takes over again at once.
- A vehicle preempts one signal for at most :attr:`PreemptionRules.max_s` seconds. A vehicle stuck behind a
  queue that cannot move (spill-back from downstream) gains nothing from more green, and holding it would starve
  the crossing streets until the network locks up (seen on cologne8 before this limit); after the limit the
  signal's controller serves that approach as it serves any other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tamna.signals.model import GREEN, Intersection, Phase

#: SUMO's vehicle class of emergency vehicles (ambulances, fire engines, police)
EMERGENCY_CLASS = "emergency"


@dataclass(frozen=True)
class PreemptionRules:
    """When a signal starts serving an approaching emergency vehicle."""

    #: preempt when the vehicle is this close to the stop line, metres
    detect_m: float = 400.0
    #: or when it would be there within this many seconds at its current speed
    lead_s: float = 40.0
    #: the longest one vehicle may preempt one signal, seconds
    max_s: float = 90.0
    #: a vehicle standing this close to the stop line while its own link shows green ...
    stall_m: float = 15.0
    #: ... for this long gives the signal up: the held green is one it cannot use (on cologne8 an emergency vehicle
    #: stood 74 s at its own priority green until ``max_s`` ran out, docs/benchmarks.md)
    stall_s: float = 10.0


@dataclass(frozen=True)
class Approach:
    """An emergency vehicle's next signal: the link (signal-state index) it will use and how far it is."""

    vehicle_id: str
    signal_id: str
    link_index: int
    distance_m: float
    speed_ms: float = 0.0
    #: the links that the vehicles ahead of it in its lane will use at this signal, the head of the queue first
    ahead_links: tuple[int, ...] = ()

    def within(self, rules: PreemptionRules) -> bool:
        """Whether the vehicle is close enough for the signal to serve it."""
        eta = self.distance_m / self.speed_ms if self.speed_ms > 0.1 else math.inf
        return self.distance_m <= rules.detect_m or eta <= rules.lead_s


def serving_phase(
    intersection: Intersection, link_index: int, current: int | None = None, ahead_links: tuple[int, ...] = ()
) -> int | None:
    """The green phase to give an emergency vehicle using link ``link_index``, behind vehicles using
    ``ahead_links`` (the head of the queue first); None when no phase serves its link. Among the phases that let
    its link go: one that lets the head of the queue go, then the one that lets most of the queue go, then
    ``current``, then one with a priority green on its link, then the first.

    >>> from tamna.signals.model import Phase
    >>> phases = (Phase(0, "Grr", ("a",), 5, 60, 30), Phase(1, "rgG", ("b",), 5, 60, 30))
    >>> crossing = Intersection("x", (), phases, 3, 1)
    >>> serving_phase(crossing, 2), serving_phase(crossing, 1, current=1), serving_phase(crossing, 0)
    (1, 1, 0)
    """
    phases = intersection.phases
    serving = [p for p in phases if _green_at(p.state, link_index)]
    if not serving:
        return None

    def preference(phase: Phase) -> tuple[bool, int, bool, bool, int]:
        state = phase.state
        return (
            not ahead_links or _green_at(state, ahead_links[0]),
            sum(_green_at(state, link) for link in ahead_links),
            phase.index == current,
            state[link_index] == "G",
            -phase.index,
        )

    return max(serving, key=preference).index


def preemptions(
    approaches: Iterable[Approach],
    intersections: Mapping[str, Intersection],
    current: Mapping[str, int],
    rules: PreemptionRules,
) -> dict[str, int]:
    """The phase each preempted signal is to give now, from the approaches of every emergency vehicle.
    ``current``: the green phase each signal shows (or is heading to) now; signals not in ``intersections``
    (not under Tamna's control) are left alone."""
    nearest: dict[str, Approach] = {}
    for approach in approaches:
        if approach.signal_id not in intersections or not approach.within(rules):
            continue
        best = nearest.get(approach.signal_id)
        if best is None or approach.distance_m < best.distance_m:
            nearest[approach.signal_id] = approach
    chosen = {}
    for signal_id, approach in nearest.items():
        intersection = intersections[signal_id]
        phase = serving_phase(intersection, approach.link_index, current.get(signal_id), approach.ahead_links)
        if phase is not None:
            chosen[signal_id] = phase
    return chosen


class Preemptor:
    """:func:`preemptions` over time: remembers since when each vehicle preempts each signal, and drops a vehicle
    from a signal after :attr:`PreemptionRules.max_s`, or once it has stood :attr:`PreemptionRules.stall_s` at the
    stop line with its own link green (the signal then goes back to its controller for the rest of that pass)."""

    def __init__(self, rules: PreemptionRules | None = None) -> None:
        self.rules = rules or PreemptionRules()
        self._since: dict[tuple[str, str], float] = {}
        self._stalled_since: dict[tuple[str, str], float] = {}
        self._given_up: set[tuple[str, str]] = set()

    def update(
        self,
        approaches: Iterable[Approach],
        intersections: Mapping[str, Intersection],
        current: Mapping[str, int],
        now_s: float,
    ) -> dict[str, int]:
        """The phase each preempted signal is to give now."""
        rules = self.rules
        live: list[Approach] = []
        seen: set[tuple[str, str]] = set()
        for approach in approaches:
            if approach.signal_id not in intersections or not approach.within(rules):
                continue
            key = (approach.vehicle_id, approach.signal_id)
            seen.add(key)
            since = self._since.setdefault(key, now_s)
            if key in self._given_up or self._stalled(key, approach, intersections, current, now_s):
                continue
            if now_s - since <= rules.max_s:
                live.append(approach)
        self._since = {key: since for key, since in self._since.items() if key in seen}
        self._stalled_since = {key: since for key, since in self._stalled_since.items() if key in seen}
        self._given_up &= seen
        return preemptions(live, intersections, current, rules)

    def _stalled(
        self,
        key: tuple[str, str],
        approach: Approach,
        intersections: Mapping[str, Intersection],
        current: Mapping[str, int],
        now_s: float,
    ) -> bool:
        """Whether the vehicle has now stood long enough at the stop line with its link green to give the signal
        up (and if so, remembers it)."""
        rules = self.rules
        phase = current.get(approach.signal_id)
        phases = intersections[approach.signal_id].phases
        standing_at_green = (
            approach.distance_m <= rules.stall_m
            and approach.speed_ms < 0.1
            and phase is not None
            and 0 <= phase < len(phases)
            and _green_at(phases[phase].state, approach.link_index)
        )
        if not standing_at_green:
            self._stalled_since.pop(key, None)
            return False
        if now_s - self._stalled_since.setdefault(key, now_s) < rules.stall_s:
            return False
        self._given_up.add(key)
        return True


def _green_at(state: str, link_index: int) -> bool:
    return 0 <= link_index < len(state) and state[link_index] in GREEN
