"""``gap-pressure``: actuated extension with a max-pressure choice of what comes next. The green is held while its
stop-line loops keep seeing vehicles pass closer together than the gap (as ``actuated`` does); when the gap
opens, the phase of highest pressure among the others takes over, as ``max-pressure`` would choose it, instead of
the next one in program order. With no pressure anywhere else, the green rests where it is.

The spill-back rule of the guard (:mod:`tamna.signals.controllers.guard`) is on: a movement into a full lane
counts no pressure, and a green whose movements all lead into full lanes is not extended. Its starvation rule
(serve a phase whose vehicles waited longer than ``max_wait_s``) is off: it was on (240 s) until the seed check
of 2026-11-25, where on SUMO 1.28 it raised delay on all five RESCO scenarios (seeds 2–4: cologne1 17.4 → 19.0 s,
grid4x4 37.8 → 38.9 s, arterial4x4 602 → 622 s) and was itself what jammed cologne3 (seed 5: 70.9 s with it,
18.2 s without; no jam without it on seeds 1–9), and on SUMO 1.9.2 cologne3 seed 2 ran 133.8 s with it and
18.8 s without. The jams it had been added against came from the safety layer's no-op clearances, since removed.

Parameters: ``gap_s`` (2.0: chosen among 2, 3 and 4 s on seed 1 of the five RESCO scenarios, where 2 s was best
on all five), ``extension_s`` (1.0), ``count_moving`` / ``switch_margin`` as for ``max-pressure`` (counting
moving vehicles was worse on four of the five), ``spill_occupancy_pct`` (50), ``max_wait_s`` (0: off),
``rest_s`` (1.0: how soon a green resting at gap-out is looked at again; 2 s cost 0.7 s of delay on grid4x4) and
``empty_rest_s`` (2.0: the same when no vehicle at all is on the incoming lanes; a vehicle entering an empty
approach at speed needs more than a second to stop, and 2 or 3 s gave the same delay to the hundredth on seeds 2–4
of all five RESCO scenarios as 1 s, with 10–30 % fewer decisions).

**Demand instead of pressure** (:mod:`tamna.signals.controllers.demand`): ``approach_weight`` (0) counts each
vehicle moving on an incoming lane as that fraction of a standing one, and ``downstream_weight`` (1) says how
much of the outgoing lanes' queues is subtracted. The defaults are Varaiya's pressure, as above; ``tuned-pressure``
runs 0.2 and 0, which sees vehicles coming before they stop (grid4x4 37.8 → 28.1 s). With ``downstream_weight``
0, a green with no vehicle on any lane that only another phase serves rests ``quiet_rest_s`` (default
``rest_s``): no other phase can have more demand until one arrives there.

Cost: a green past its minimum is asked every second or two, so each decision must be cheap; every shortcut
below gives the decision the plain rule would (tests compare them decision for decision, synthetic and in
SUMO). Most decisions are rests (85 % on grid4x4, 70 % with vehicles moving but nobody standing), so a green that
rested last time is first asked whether it rests again, without reading its loops (resting and extending hold the
same green for the same time); nobody standing anywhere is read as two road totals (:meth:`Observation.total`);
with queues, a rest is judged from the road totals of the lanes other phases serve
(:meth:`MaxPressure.others_lanes`). A green that was extended last time is asked its loops first. The seed-2
decisions of grid4x4 (32,907 in an hour) cost 54 % of SUMO's own step time before these, 33 % after (measured
under the same load).
"""

from __future__ import annotations

from typing import ClassVar

from tamna.signals.controller import ControlSettings, RegisteredController
from tamna.signals.controllers.demand import PhaseDemand, best_other
from tamna.signals.controllers.guard import Guard
from tamna.signals.controllers.max_pressure import MaxPressure
from tamna.signals.model import NOBODY, STANDING, Decision, Intersection, Observation

SPILL_PCT = 50.0
#: the starvation rule, off (see above)
MAX_WAIT_S = 0.0


class GapPressure(RegisteredController):
    """Gap-out extension, then the highest-pressure phase, guarded against spill-back and starvation."""

    name: ClassVar[str] = "gap-pressure"
    summary: ClassVar[str] = "extends a green while vehicles keep passing, then switches to the highest pressure"

    def __init__(self, intersection: Intersection, settings: ControlSettings) -> None:
        super().__init__(intersection, settings)
        self.gap_s = settings.param("gap_s", 2.0)
        self.extension_s = settings.param("extension_s", 1.0)
        self.rest_s = settings.param("rest_s", 1.0)
        self.empty_rest_s = settings.param("empty_rest_s", 2.0)
        self.switch_margin = settings.param("switch_margin", 0.0)
        self.guard = Guard(intersection, settings, spill_pct=SPILL_PCT, max_wait_s=MAX_WAIT_S)
        self._pressure = MaxPressure(intersection, settings)
        approach = settings.param("approach_weight", 0.0)
        downstream = settings.param("downstream_weight", 1.0)
        # Varaiya's pressure (the defaults) keeps the queue-only shortcuts below; any other weighting counts
        # each phase's demand (:mod:`tamna.signals.controllers.demand`)
        self._demand = (
            PhaseDemand(intersection, approach_weight=approach, downstream_weight=downstream)
            if (approach, downstream) != (0.0, 1.0)
            else None
        )
        # the starvation rule keeps its own books only when on
        self._starvation = self.guard.max_wait_s > 0
        # the answers given most (a green held on), built once: a decision is asked every second or two
        phases = intersection.phases
        self._extend = [Decision(p.index, self.extension_s) for p in phases]
        self._rest = [Decision(p.index, self.rest_s) for p in phases]
        self._empty_rest = [Decision(p.index, self.empty_rest_s) for p in phases]
        self.quiet_rest_s = settings.param("quiet_rest_s", self.rest_s)

        self._quiet_rest = [Decision(p.index, self.quiet_rest_s) for p in phases]
        self._switch_to = [Decision(p.index, p.min_green_s) for p in phases]
        # whether the last answer was to rest in the green (see :meth:`decide`)
        self._resting = False

    def decide(self, observation: Observation) -> Decision:
        phase = observation.phase
        current = self.intersection.phases[phase]
        if self._starvation:
            self.guard.note(observation)
        if observation.green_s < current.min_green_s:
            return Decision(phase, current.min_green_s - observation.green_s)
        # Holding the green to rest and holding it for an extension are the same answer (when ``rest_s`` equals
        # ``extension_s``), so the order of the two questions is free: a green that rested last time most likely
        # rests again (70 % of decisions on grid4x4), and is asked that first, leaving its loops unread; one that
        # was extended (most decisions on arterial4x4) is asked its gaps first, leaving the pressures uncounted.
        if self._resting and self.rest_s == self.extension_s:
            after = self._after_gap_out(observation, phase)
            if after is self._rest[phase]:
                return after
            extended = self._extended(observation, phase)
        else:
            extended = self._extended(observation, phase)
            after = self._rest[phase] if extended else self._after_gap_out(observation, phase)
        self._resting = not extended and after is self._rest[phase]
        return self._extend[phase] if extended else after

    def _extended(self, observation: Observation, phase: int) -> bool:
        """Whether the green of ``phase`` is extended: a vehicle passed one of its loops within the gap, and not
        every one of its movements leads into a full lane."""
        # asked again after one extension, not when the shortest gap could first open: the spill-back check must
        # see a filling exit lane at once (waiting for the gap cost 0.3-0.4 s of delay on cologne1 and cologne8)
        gap_s = self.gap_s
        for gap in observation.values("gap_s", self.intersection.phases[phase].lanes):
            if gap < gap_s:  # a loop rather than min(): compiled, it calls nothing
                return not self.guard.all_blocked(observation, phase)
        return False

    def _after_gap_out(self, observation: Observation, current: int) -> Decision:
        """The starving phase, else the phase of most demand (or pressure), else rest in the current green."""
        if self._demand is not None:
            return self._after_gap_out_by_demand(observation, current, self._demand)
        return self._after_gap_out_by_pressure(observation, current)

    def _after_gap_out_by_pressure(self, observation: Observation, current: int) -> Decision:
        """:meth:`_after_gap_out` by Varaiya's pressure: standing vehicles only, the outgoing queues subtracted."""
        phases, guard, pressure = self.intersection.phases, self.guard, self._pressure
        incoming = pressure.incoming_lanes
        presence = observation.presence(incoming)
        if presence != STANDING:  # nobody stands: nobody starves, no phase has a queue's pressure
            # a vehicle entering an empty approach at speed needs more than a second to stop
            if self.empty_rest_s > self.rest_s and presence == NOBODY:
                return self._empty_rest[current]
            if pressure.level_figure() == "queue":
                return self._rest[current]
        if self._starvation:  # the incoming queues, read for the starvation rule
            starving = guard.starving(observation, pressure.loads(observation.values("queue", incoming)))
            if starving is not None and starving != current:
                return self._switch_to[starving]
        # nothing on any lane another phase serves: no other phase has a positive pressure, and the pressures
        # below would rest; asked of the roads' totals, a reading per road rather than per lane
        if not observation.total(pressure.level_figure(), pressure.others_lanes(current)):
            return self._rest[current]
        pressures = pressure.pressures(observation, guard if guard.spill_pct > 0 else None)
        best = max((p.index for p in phases if p.index != current), key=lambda p: pressures[p])
        # the margin keeps a green with demand of its own against a phase only slightly ahead; a green with none
        # gives way to any demand (else a short approach showing one vehicle waits behind an empty green forever:
        # cologne3 jammed so on SUMO 1.9.2 with a margin of 1.07)
        held = pressures[current] + self.switch_margin if pressures[current] > 0 else 0.0
        if pressures[best] <= held:
            return self._rest[current]
        return self._switch_to[best]

    def _after_gap_out_by_demand(self, observation: Observation, current: int, demand: PhaseDemand) -> Decision:
        """:meth:`_after_gap_out` with the vehicles approaching counted and the outgoing queues weighted
        (:class:`PhaseDemand`)."""
        if self.empty_rest_s > self.rest_s and not observation.total("vehicles", demand.incoming_lanes):
            return self._empty_rest[current]
        guard = self.guard
        if demand.downstream_weight == 0.0:
            # no vehicle where only another phase could serve it: no other phase has more demand (nor, with
            # nobody standing there, a starving queue of its own)
            calls = demand.call_lanes[current]
            if not calls or not observation.total("vehicles", calls):
                return self._quiet_rest[current]
        levels = demand.levels(observation)
        if self._starvation:
            starving = guard.starving(observation)  # it reads the queues of the phases overdue
            if starving is not None and starving != current:
                return self._switch_to[starving]
        best = best_other(demand, observation, guard, current, levels, self.switch_margin)
        return self._rest[current] if best is None else self._switch_to[best]
