"""The safety layer: every controller's decision passes here, and only what this module allows reaches a signal.

:class:`SignalTimer` turns decisions into signal states. It holds each green for at least its minimum (the
phase's, raised for pedestrians to walk plus crossing time) and at most its maximum, and puts a yellow and an
all-red of the intersection's clearance times between two greens, whatever the controller asks: a switch asked
too early is deferred to the end of the minimum green, a hold past the maximum becomes a switch to the next phase.
Where the signal's junction box can be watched (:data:`BoxOccupied`), the all-red is also extended, a second at a
time and up to a bound, while a vehicle released by the green that ended still crawls or stands on a path the new
green crosses: a green given into an occupied box is how cologne3's cluster junction locked for good (ADR 9).

:class:`ClearanceMonitor` checks the other way round, from the states a signal actually showed (as SUMO reports
them), so that tests can prove the rules on every simulated step without trusting the timer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from tamna.signals.errors import ControllerFault
from tamna.signals.model import GREEN, YELLOW, Decision, Intersection

#: Time comparisons tolerate this much (SUMO steps are multiples of the step length, held as floats).
EPS_S = 1e-6
#: The shortest hold a decision can ask: a controller that answers 0 would be asked again in the same instant.
MIN_HOLD_S = 1.0
#: How often an all-red held for an occupied box looks at the box again.
BOX_RECHECK_S = 1.0

#: ``occupied(current, target)``: whether the junction box holds a vehicle, released by the green of phase
#: ``current``, that the green of phase ``target`` would send traffic across (phase indices of the intersection).
BoxOccupied = Callable[[int, int], bool]


class Stage(StrEnum):
    """Where a signal is in its cycle."""

    GREEN = "green"
    YELLOW = "yellow"
    ALL_RED = "all-red"


# bound once: an enum member looked up on its class costs a tenth of a microsecond, and a timer is asked
# several times for every decision
_GREEN, _YELLOW, _ALL_RED = Stage.GREEN, Stage.YELLOW, Stage.ALL_RED


# Both clearance states are asked at every switch (and again as its stages end) of a handful of phase pairs per
# signal: remembered, not rebuilt character by character.
@cache
def yellow_state(current: str, target: str) -> str:
    """The state shown during the yellow from ``current`` to ``target``: links losing their green show yellow;
    links green in both keep their green; the rest stay as they are (red)."""
    return "".join(
        "y" if c in GREEN and (i >= len(target) or target[i] not in GREEN) else c for i, c in enumerate(current)
    )


@cache
def all_red_state(current: str, target: str) -> str:
    """The state during the all-red from ``current`` to ``target``: only links green in both keep a green."""
    return "".join(
        c if c in GREEN and i < len(target) and target[i] in GREEN else ("r" if c in GREEN else c)
        for i, c in enumerate(current)
    )


@dataclass
class SignalTimer:
    """One intersection's signal under a controller. Times are simulated seconds."""

    intersection: Intersection
    now_s: float
    phase: int = 0
    stage: Stage = Stage.GREEN
    green_since_s: float = field(init=False)
    #: when the current stage (green, yellow or all-red) began
    stage_since_s: float = field(init=False)
    next_decision_s: float = field(init=False)
    #: how often the layer changed a decision, by reason (``min_green``, ``max_green``)
    overrides: Counter[str] = field(default_factory=Counter)
    #: an operator's hold: the green may run past its maximum (their explicit choice; minimum green, yellow and
    #: all-red still apply to every switch)
    waive_max_green: bool = False
    #: the junction box, where it can be watched: a new green waits while it is occupied (see the module's
    #: docstring), at most ``box_wait_max_s`` past the all-red
    box_occupied: BoxOccupied | None = None
    box_wait_max_s: float = 0.0
    _target: int = field(init=False, default=0)
    _target_hold_s: float = field(init=False, default=0.0)
    _stage_ends_s: float = field(init=False, default=math.inf)
    _box_waited_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        if not 0 <= self.phase < len(self.intersection.phases):
            raise ControllerFault(f"signal {self.intersection.id} has no phase {self.phase}")
        self.green_since_s = self.stage_since_s = self.now_s
        self.next_decision_s = self.now_s
        self._box_waited_s = 0.0

    # ---- reading --------------------------------------------------------------------------------------
    def state(self) -> str:
        """The signal state to show now."""
        phases = self.intersection.phases
        current = phases[self.phase].state
        if self.stage is _GREEN:
            return current
        target = phases[self._target].state
        return yellow_state(current, target) if self.stage is _YELLOW else all_red_state(current, target)

    @property
    def wakes_s(self) -> float:
        """When the timer next has something to do: its decision in a green, the end of its clearance stage
        otherwise. Before then its state cannot change, so a caller stepping many timers may skip it."""
        return self.next_decision_s if self.stage is _GREEN else self._stage_ends_s

    def green_s(self, now_s: float) -> float:
        """How long the current phase has been green (0 during a clearance)."""
        return now_s - self.green_since_s if self.stage is _GREEN else 0.0

    def due(self, now_s: float) -> bool:
        """Whether the controller is to be asked now."""
        return self.stage is _GREEN and now_s >= self.next_decision_s - EPS_S

    # ---- moving on ------------------------------------------------------------------------------------
    def advance(self, now_s: float) -> None:
        """Move through yellow and all-red as their times run out."""
        self.now_s = now_s
        while self.stage is not _GREEN and now_s >= self._stage_ends_s - EPS_S:
            if self.stage is _YELLOW:
                self.stage_since_s = self._stage_ends_s
                self.stage = _ALL_RED
                self._stage_ends_s += self.intersection.all_red_s
            else:
                if self._box_blocks(now_s):
                    break  # the all-red goes on (from when it began)
                self.stage_since_s = self._stage_ends_s
                self.stage = _GREEN
                self.phase = self._target
                self.green_since_s = self._stage_ends_s
                self.next_decision_s = self.green_since_s + self._target_hold_s
                self._stage_ends_s = math.inf

    def _box_blocks(self, now_s: float) -> bool:
        """At the end of an all-red: whether the new green waits another second for its box to clear (and if
        so, the all-red is extended). The wait is bounded: a vehicle that cannot leave the box (its exit full)
        must not hold the junction red for ever."""
        check = self.box_occupied
        if check is None or self._box_waited_s >= self.box_wait_max_s - EPS_S:
            self._box_waited_s = 0.0
            return False
        if not check(self.phase, self._target):
            self._box_waited_s = 0.0
            return False
        self._box_waited_s += BOX_RECHECK_S
        self.overrides["box_clearance"] += 1
        self._stage_ends_s = max(self._stage_ends_s, now_s) + BOX_RECHECK_S
        return True

    def request(self, decision: Decision, now_s: float) -> None:
        """Apply a controller's decision as far as the rules allow."""
        phases = self.intersection.phases
        if not 0 <= decision.phase < len(phases):
            raise ControllerFault(
                f"signal {self.intersection.id}: the controller asked for phase {decision.phase}, "
                f"it has {len(phases)} (0–{len(phases) - 1})"
            )
        if self.stage is not _GREEN:
            return  # a clearance runs to its end; the controller is asked again after it
        hold = decision.hold_s if math.isfinite(decision.hold_s) else MIN_HOLD_S
        hold = max(hold, MIN_HOLD_S)
        current = phases[self.phase]
        green = now_s - self.green_since_s
        if decision.phase == self.phase:
            room = math.inf if self.waive_max_green else current.max_green_s - green
            if room <= EPS_S:
                self.overrides["max_green"] += 1
                self._switch((self.phase + 1) % len(phases), hold, now_s)
            else:
                if hold > room + EPS_S:
                    self.overrides["max_green"] += 1
                self.next_decision_s = now_s + min(hold, room)
        elif green < current.min_green_s - EPS_S:
            self.overrides["min_green"] += 1
            self.next_decision_s = self.green_since_s + current.min_green_s
        else:
            self._switch(decision.phase, hold, now_s)

    def _switch(self, target: int, hold_s: float, now_s: float) -> None:
        phase = self.intersection.phases[target]
        self._target = target
        self._target_hold_s = min(max(hold_s, phase.min_green_s), phase.max_green_s)
        current = self.intersection.phases[self.phase].state
        if yellow_state(current, phase.state) == current:
            # no link loses its green (the target only adds greens, which conflict with none shown, since the
            # target is itself a phase): nothing to clear. A yellow here would show the old state unchanged past
            # the phase's maximum green.
            self.phase = target
            self.green_since_s = self.stage_since_s = now_s
            self.next_decision_s = now_s + self._target_hold_s
            return
        self.stage = _YELLOW
        self.stage_since_s = now_s
        self._stage_ends_s = now_s + self.intersection.yellow_s
        self.next_decision_s = math.inf
        self.advance(now_s)


@dataclass
class ClearanceMonitor:
    """Checks the states one signal showed, step by step, against its rules; collects every violation."""

    intersection: Intersection
    violations: list[str] = field(default_factory=list)
    _kind: list[str] = field(default_factory=list)
    _since: list[float] = field(default_factory=list)
    _last_yellow_end_s: float = -math.inf
    _state: str = ""
    _state_since_s: float = 0.0

    @property
    def min_green_s(self) -> float:
        return min(p.min_green_s for p in self.intersection.phases)

    @property
    def max_green_s(self) -> float:
        return max(p.max_green_s for p in self.intersection.phases)

    def observe(self, time_s: float, state: str) -> None:
        """The state shown from ``time_s`` on."""
        rules = self.intersection
        kinds = [_kind(c) for c in state]
        if not self._kind:
            self._kind, self._since = kinds, [time_s] * len(kinds)
            self._state, self._state_since_s = state, time_s
            return
        if state != self._state:
            self._check_unchanged(time_s)
            self._state, self._state_since_s = state, time_s
        yellow_now = "yellow" in kinds
        for i, (before, after) in enumerate(zip(self._kind, kinds, strict=True)):
            if before == after:
                continue
            lasted = time_s - self._since[i]
            where = f"signal {rules.id} link {i} at {time_s:g} s"
            if before == "green" and after == "red":
                self.violations.append(f"{where}: green to red without yellow")
            elif before == "green" and lasted < self.min_green_s - EPS_S:
                self.violations.append(f"{where}: green of {lasted:g} s < minimum {self.min_green_s:g} s")
            if before == "yellow":
                self._last_yellow_end_s = time_s
                if lasted < rules.yellow_s - EPS_S:
                    self.violations.append(f"{where}: yellow of {lasted:g} s < {rules.yellow_s:g} s")
                if after == "green":
                    self.violations.append(f"{where}: yellow back to green")
            if after == "green" and before == "red":
                if yellow_now:
                    self.violations.append(f"{where}: green while another link shows yellow")
                elif time_s - self._last_yellow_end_s < rules.all_red_s - EPS_S:
                    gap = time_s - self._last_yellow_end_s
                    self.violations.append(f"{where}: all-red of {gap:g} s < {rules.all_red_s:g} s")
            self._kind[i], self._since[i] = after, time_s

    def finish(self, time_s: float) -> list[str]:
        """Close the run at ``time_s``; returns the violations found."""
        self._check_unchanged(time_s)
        return self.violations

    def _check_unchanged(self, time_s: float) -> None:
        held = time_s - self._state_since_s
        if any(c in GREEN for c in self._state) and held > self.max_green_s + EPS_S:
            self.violations.append(
                f"signal {self.intersection.id}: green {self._state} held {held:g} s > maximum {self.max_green_s:g} s"
            )


def _kind(char: str) -> str:
    if char in GREEN:
        return "green"
    if char in YELLOW:
        return "yellow"
    return "red"
