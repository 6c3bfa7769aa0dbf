"""Each phase's demand as the pressure controllers weigh it, with the vehicles still approaching counted.

For one green phase: over its road movements, the vehicles standing on the incoming lane, plus
``approach_weight`` of those moving on it, less ``downstream_weight`` of those standing on the outgoing lane; a
movement into a full lane (the spill-back guard) counts nothing. ``approach_weight`` 0 and ``downstream_weight`` 1
is Varaiya's max-pressure (what :class:`~tamna.signals.controllers.max_pressure.MaxPressure` computes);
``downstream_weight`` 0 leaves the outgoing lanes to the guard alone.

Why count approaching vehicles: a queue-only pressure sees a vehicle heading for a red light only once it has
stopped, so in light traffic every vehicle arriving on red stops before its phase is even asked for. On grid4x4
(lanes of 273 m, some 20 s of driving) counting each moving vehicle as a fifth of a standing one, and leaving
the outgoing lanes out, took ``gap-pressure`` from 37.8 to 28.1 s of delay (SUMO 1.28, seeds 2–4), and lowered
it on cologne1, cologne8 and arterial4x4 too; a whole vehicle each (``count_moving``) was worse than none, since
one far up the lane is not yet a reason to cut the green of one at the stop line.
"""

from __future__ import annotations

from collections import Counter

from tamna.signals.controllers.guard import Guard
from tamna.signals.model import Intersection, Observation

#: demands are sums of weighted counts, rounded differently depending on the order of the sums: two within this
#: are the same demand (a switch needs more than rounding to win)
TIE = 1e-9


class PhaseDemand:
    """Each phase's demand at one intersection, with the positions of its movements' lanes computed once."""

    def __init__(self, intersection: Intersection, *, approach_weight: float, downstream_weight: float) -> None:
        if not 0.0 <= approach_weight <= 1.0:
            raise ValueError(f"approach_weight must lie in [0, 1], not {approach_weight}")
        if downstream_weight < 0.0:
            raise ValueError(f"downstream_weight must not be negative, not {downstream_weight}")
        self.approach_weight = approach_weight
        self.downstream_weight = downstream_weight
        phases = intersection.phases
        moves = [tuple((m.in_lane, m.out_lane) for m in intersection.movements_of(p.index)) for p in phases]
        #: the incoming and outgoing lanes of the phases' road movements, in the order the figures are read
        self.incoming_lanes = tuple(dict.fromkeys(a for pairs in moves for a, _b in pairs))
        self.outgoing_lanes = tuple(dict.fromkeys(b for pairs in moves for _a, b in pairs))
        in_position = {lane: k for k, lane in enumerate(self.incoming_lanes)}
        out_position = {lane: k for k, lane in enumerate(self.outgoing_lanes)}
        self._moves = [[(in_position[a], out_position[b]) for a, b in pairs] for pairs in moves]
        # the outgoing lanes (positions) each incoming lane's movements lead to, in any phase
        self._outs_from = [
            frozenset(out_position[b] for pairs in moves for a, b in pairs if a == lane) for lane in self.incoming_lanes
        ]
        # each phase's incoming lanes with how many of its movements leave from each, for the bounds
        self._lane_counts: list[list[tuple[int, float]]] = [
            [(in_position[a], float(n)) for a, n in Counter(a for a, _b in pairs).items()] for pairs in moves
        ]
        #: each phase's movements' outgoing lanes, for the guard
        self.out_lanes_of = [tuple(dict.fromkeys(b for _a, b in pairs)) for pairs in moves]
        # each phase's movements as (incoming lane's position, outgoing lane's position in its out_lanes_of)
        self._local = [
            [(in_position[a], outs.index(b)) for a, b in pairs]
            for pairs, outs in zip(moves, self.out_lanes_of, strict=True)
        ]
        #: for each phase, the incoming lanes with a movement that some other phase lets go and this one does
        #: not: with no vehicle on them, no other phase can have more demand (see :meth:`call_lanes`)
        self.call_lanes = [self._calls(intersection, p.index) for p in phases]

    @staticmethod
    def _calls(intersection: Intersection, phase: int) -> tuple[str, ...]:
        green_here = {m.index for m in intersection.movements_of(phase)}
        return tuple(
            dict.fromkeys(
                m.in_lane
                for p in intersection.phases
                if p.index != phase
                for m in intersection.movements_of(p.index)
                if m.index not in green_here
            )
        )

    def levels(self, observation: Observation) -> list[float]:
        """Each incoming lane's standing vehicles plus ``approach_weight`` of its moving ones."""
        lanes = self.incoming_lanes
        weight = self.approach_weight
        if weight == 0.0:
            return [float(q) for q in observation.values("queue", lanes)]
        vehicles = observation.values("vehicles", lanes)
        # the standing vehicles are among those on the lane, so an empty lane has no queue and is not asked for
        # one: each figure is a call into SUMO, and in light traffic a third or more of the lanes are empty
        occupied = [lane for lane, v in zip(lanes, vehicles, strict=True) if v]
        if not occupied:
            return [0.0] * len(lanes)
        queue = iter(observation.values("queue", occupied))
        keep = 1.0 - weight
        return [keep * next(queue) + weight * v if v else 0.0 for v in vehicles]

    def demands(self, observation: Observation, levels: list[float], blocked: list[bool] | None = None) -> list[float]:
        """Each phase's demand from the incoming ``levels`` (:meth:`levels`); ``blocked``: which outgoing lanes
        (in :attr:`outgoing_lanes` order) are full, their movements counting nothing."""
        downstream = self.downstream_weight
        out_queue = observation.values("queue", self.outgoing_lanes) if downstream > 0 else None
        found = []
        for pairs in self._moves:
            total = 0.0
            for a, b in pairs:
                if blocked is not None and blocked[b]:
                    continue
                total += levels[a] - downstream * out_queue[b] if out_queue is not None else levels[a]
            found.append(total)
        return found

    def wanted_exits(self, levels: list[float]) -> list[int]:
        """The outgoing lanes (positions in :attr:`outgoing_lanes`) that a movement with demand leads to: the
        only ones whose being full can change a demand."""
        outs_from = self._outs_from
        wanted: set[int] = set()
        for a, level in enumerate(levels):
            if level:
                wanted |= outs_from[a]
        return sorted(wanted)

    def upper_bounds(self, levels: list[float]) -> list[float]:
        """Each phase's demand with no lane full and no outgoing queue: never below its demand when
        ``downstream_weight`` is 0 (every movement then counts a share that is not negative)."""
        # written out rather than as sum() over a comprehension: compiled, this loop runs on plain doubles (a
        # tenth of grid4x4's control time went to the generic sums); the same additions in the same order
        found: list[float] = []
        for lanes in self._lane_counts:
            total = 0.0
            for a, n in lanes:
                total += levels[a] * n
            found.append(total)
        return found


def best_other(
    demand: PhaseDemand, observation: Observation, guard: Guard, current: int, levels: list[float], margin: float
) -> int | None:
    """The phase to switch to, or None to stay in ``current``: the phase of most demand other than ``current``
    (the first in program order on a tie), if its demand beats the current phase's by more than ``margin``
    (or, when the current phase has none, is above zero). Demands count the guard's full lanes out; two
    demands within :data:`TIE` are equal."""
    blocked: list[bool] | None = None
    if guard.spill_pct > 0:
        if demand.downstream_weight == 0.0:
            # only a lane that a movement with demand leads to can take demand away by being full (a junction
            # with traffic on two approaches has a few of those among a dozen exits)
            exits = demand.wanted_exits(levels)
            full = guard.blocked_lanes(observation, [demand.outgoing_lanes[b] for b in exits])
            if any(full):
                blocked = [False] * len(demand.outgoing_lanes)
                for b, is_full in zip(exits, full, strict=True):
                    blocked[b] = is_full
        else:
            blocked = guard.blocked_lanes(observation, demand.outgoing_lanes)
    if blocked is None and demand.downstream_weight == 0.0:
        found = demand.upper_bounds(levels)
    else:
        found = demand.demands(observation, levels, blocked)
    here = found[current]
    held = here + margin if here > TIE else 0.0
    best, most = None, held + TIE
    for phase, value in enumerate(found):
        if value > most and phase != current:
            best, most = phase, value + TIE
    return best
