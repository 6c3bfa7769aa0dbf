"""The spill-back and starvation guard shared by the pressure controllers.

Pressure alone can gridlock a corridor of close junctions when teleporting is off (RESCO's setting): a green
given to a movement whose outgoing lane is already full moves nobody, the vehicles that do enter stop inside the
junction and block the crossing streams, and the queue spills back into the junction upstream. Seen on cologne3:
``gap-pressure`` ran 19 s of delay on two seeds and 671 s on the other two. The guard makes two rules:

- **Spill-back**: a movement whose outgoing lane is occupied beyond ``spill_occupancy_pct`` (SUMO's lane
  occupancy: vehicle lengths over the lane length; a standing queue of cars with their gaps is about 65 %) counts
  no pressure, and a green whose every movement is blocked is not extended.
- **Starvation**: a phase with vehicles waiting that has not been green for ``max_wait_s`` is served next,
  whatever the pressures say (short approach lanes, as at cologne3's cluster junction with 10 m lanes, show only a
  vehicle or two of a long queue, so their pressure alone never wins). Off by default in ``gap-pressure`` since
  measured: it cost delay on all five RESCO scenarios and caused a jam of its own (see that module).

Parameters: ``spill_occupancy_pct`` (see the controller using it; 0 turns the rule off), ``max_wait_s`` (0 turns
the rule off).
"""

from __future__ import annotations

from collections.abc import Sequence

from tamna.signals.controller import ControlSettings
from tamna.signals.model import Intersection, Observation


class Guard:
    """Which movements are blocked downstream, and which phase starves, for one intersection."""

    def __init__(
        self, intersection: Intersection, settings: ControlSettings, *, spill_pct: float, max_wait_s: float
    ) -> None:
        self.spill_pct = settings.param("spill_occupancy_pct", spill_pct)
        self.max_wait_s = settings.param("max_wait_s", max_wait_s)
        self.intersection = intersection
        self._served_s: list[float] | None = None
        # each phase's road movements' outgoing lanes, computed once
        self._out_lanes = [tuple(m.out_lane for m in intersection.movements_of(p.index)) for p in intersection.phases]

    def blocked(self, observation: Observation, out_lane: str) -> bool:
        """Whether ``out_lane`` is too full to take more vehicles."""
        return 0 < self.spill_pct <= observation.lane(out_lane).occupancy_pct

    def blocked_lanes(self, observation: Observation, out_lanes: Sequence[str]) -> list[bool]:
        """:meth:`blocked` for each of ``out_lanes``, in order (their occupancies read in one go)."""
        spill = self.spill_pct
        if spill <= 0:
            return [False] * len(out_lanes)
        return [spill <= occupancy for occupancy in observation.values("occupancy_pct", out_lanes)]

    def all_blocked(self, observation: Observation, phase: int) -> bool:
        """Whether every road movement of ``phase`` leads into a full lane (none: False)."""
        out_lanes = self._out_lanes[phase]
        return bool(out_lanes) and self.spill_pct > 0 and all(self.blocked_lanes(observation, out_lanes))

    def note(self, observation: Observation) -> None:
        """Note the phase green now as served now (every decision; :meth:`starving` does it too)."""
        now = observation.time_s
        served = self._served_s
        if served is None or now < max(served, default=now):
            # first call (or a new episode with an older clock): nothing has waited yet
            served = self._served_s = [now] * len(self.intersection.phases)
        served[observation.phase] = now

    def starving(self, observation: Observation, waiting: Sequence[float] | None = None) -> int | None:
        """The phase with waiting vehicles that has been red longest past ``max_wait_s``, if any. Call once per
        decision: it also notes the phase green now as served. ``waiting``: each phase's standing vehicles on
        its lanes (any positive figure will do), when the caller has read them already; else read here."""
        self.note(observation)
        served = self._served_s
        if self.max_wait_s <= 0 or served is None:
            return None
        now = observation.time_s
        overdue = [p for p, since in enumerate(served) if now - since >= self.max_wait_s]
        if not overdue:
            return None
        phases = self.intersection.phases
        if waiting is None:  # the queues of every overdue phase's lanes, read in one go
            lanes = tuple(dict.fromkeys(lane for p in overdue for lane in phases[p].lanes))
            queue = dict(zip(lanes, observation.values("queue", lanes), strict=True))
            waiting = [0.0] * len(phases)
            for p in overdue:
                waiting[p] = float(any(queue[lane] > 0 for lane in phases[p].lanes))
        found = [(now - served[p], p) for p in overdue if waiting[p] > 0 and not self.all_blocked(observation, p)]
        return max(found)[1] if found else None
