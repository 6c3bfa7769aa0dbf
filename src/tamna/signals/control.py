"""Running controllers over a set of intersections, independent of what carries the signals out: each step,
every signal's timer moves on, the controllers due are asked (with an observation the caller reads from its
detectors), their decisions pass the safety layer, and the states that changed are returned for the caller to
show. The SUMO twin calls this every simulation step; a field adapter would call it every second.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from tamna.signals.controller import Controller, ControlSettings
from tamna.signals.errors import ControllerFault
from tamna.signals.model import Decision, Intersection, Observation
from tamna.signals.safety import EPS_S, MIN_HOLD_S, BoxOccupied, SignalTimer, Stage

#: bound once: an enum member looked up on its class costs a tenth of a microsecond, many times a step
_GREEN = Stage.GREEN

#: ``observe(intersection, now_s, phase, green_s)``: the detector data of one intersection now.
Observe = Callable[[Intersection, float, int, float], Observation]
#: Builds the controller of one intersection.
ControllerFactory = Callable[[Intersection, ControlSettings], Controller]


class StateChange:
    """A signal whose state changes now. A plain class rather than a frozen dataclass (see
    :class:`tamna.signals.model.Observation`): three are built at every switch of every signal."""

    __slots__ = ("signal_id", "state")

    def __init__(self, signal_id: str, state: str) -> None:
        self.signal_id = signal_id
        self.state = state

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StateChange) and (self.signal_id, self.state) == (other.signal_id, other.state)

    def __hash__(self) -> int:
        return hash((self.signal_id, self.state))

    def __repr__(self) -> str:
        return f"StateChange(signal_id={self.signal_id!r}, state={self.state!r})"

    def __reduce__(self) -> tuple[type[StateChange], tuple[str, str]]:
        return StateChange, (self.signal_id, self.state)


class SignalControl:
    """The controllers and timers of a set of intersections.

    Built with a ``factory``, it controls every intersection from the start (the evaluation harness). Built
    without one, it controls none until :meth:`take` is called (the twin, where signals run the network's own
    programs until an operator puts one under a controller). On a controlled intersection, two directives can
    override the controller, both still through the intersection's :class:`SignalTimer` (minimum green, yellow
    and all-red on every switch):

    - an operator's **hold** (:meth:`hold`): the phase is reached and kept; its maximum green is waived while
      held, because holding is the operator's explicit choice; on release the controller is asked at once, and
      a green already past its maximum is moved on at that moment (max-out);
    - an emergency **preemption** (:meth:`preempt`): the phase serving the emergency vehicle is reached and kept
      within the phase's maximum green (see :mod:`tamna.signals.preemption`). It takes precedence over a hold.

    ``boxes`` watch the junction boxes where the caller can see them (SUMO's internal lanes in the twin): a new
    green then waits, up to ``box_wait_max_s``, for the vehicles the last green left in its way
    (:class:`SignalTimer`). Each gives a new watch for each timer it starts, since a watch may remember what it
    saw while that timer alone ran the signal.
    """

    def __init__(
        self,
        intersections: Sequence[Intersection],
        factory: ControllerFactory | None,
        settings: ControlSettings,
        *,
        now_s: float,
        name: str = "",
        boxes: Mapping[str, Callable[[], BoxOccupied]] | None = None,
        box_wait_max_s: float = 0.0,
    ) -> None:
        self.intersections = tuple(intersections)
        self._boxes = dict(boxes or {})
        self._box_wait_max_s = box_wait_max_s
        self.settings = settings
        self._by_id = {i.id: i for i in self.intersections}
        self.timers: dict[str, SignalTimer] = {}
        self.controllers: dict[str, Controller] = {}
        #: the name of the controller in charge of each controlled intersection
        self.names: dict[str, str] = {}
        self.holds: dict[str, int] = {}
        self.preemptions: dict[str, int] = {}
        self.decisions = 0
        self._shown: dict[str, str] = {}
        # when each timer next has something to do, and the earliest of them: a step before then changes nothing
        # and returns at once; a step with work visits the timers due. Plain floats, kept as the timers change:
        # a heap of (time, signal) entries cost 4–10 % of grid4x4's control time, comparing tuples whose times
        # tie at whole seconds by their signal names, and asking every timer its wake time each step cost as much
        # interpreted (a property call each)
        self._wake_of: dict[str, float] = {}
        self._next_wake_s = math.inf
        if factory is not None:
            for intersection in self.intersections:
                self.take(intersection.id, factory, name, now_s)

    def intersection(self, signal_id: str) -> Intersection:
        """The intersection ``signal_id`` (KeyError when it is not one this control knows)."""
        return self._by_id[signal_id]

    def take(self, signal_id: str, factory: ControllerFactory, name: str, now_s: float, *, phase: int = 0) -> None:
        """Put ``signal_id`` under a new controller. A signal already controlled keeps its timer (its green, or
        the clearance under way, runs on); a new one starts green in ``phase`` now."""
        intersection = self._by_id[signal_id]
        if signal_id not in self.timers:
            watch = self._boxes.get(signal_id)
            self.timers[signal_id] = SignalTimer(
                intersection,
                now_s,
                phase=phase,
                box_occupied=watch() if watch is not None else None,
                box_wait_max_s=self._box_wait_max_s,
            )
            self._shown.pop(signal_id, None)
        self.controllers[signal_id] = factory(intersection, self.settings)
        self.names[signal_id] = name
        timer = self.timers[signal_id]
        if timer.stage is Stage.GREEN:
            timer.next_decision_s = min(timer.next_decision_s, now_s)
        self._schedule(signal_id, timer)

    def release(self, signal_id: str) -> int:
        """Stop controlling ``signal_id``; returns the green phase it shows, for whoever takes over. Only a
        signal in a green (not in a clearance) can be released: see :meth:`releasable`."""
        timer = self.timers[signal_id]
        if timer.stage is not Stage.GREEN:
            raise ControllerFault(f"signal {signal_id} is in a clearance; release it when it shows a green")
        owned = (self.timers, self.controllers, self.names, self.holds, self.preemptions, self._shown, self._wake_of)
        for table in owned:
            table.pop(signal_id, None)
        return timer.phase

    def releasable(self, signal_id: str) -> bool:
        """Whether ``signal_id`` shows a green now (not a yellow or an all-red) and so may change hands."""
        timer = self.timers.get(signal_id)
        return timer is None or timer.stage is Stage.GREEN

    def hold(self, signal_id: str, phase: int | None, now_s: float) -> None:
        """Hold ``signal_id`` in ``phase`` (reached through the safety layer), or release the hold (None)."""
        self._direct(self.holds, signal_id, phase, now_s)

    def preempt(self, signal_id: str, phase: int | None, now_s: float) -> None:
        """Give ``phase`` its green for an emergency vehicle, or end the preemption (None)."""
        self._direct(self.preemptions, signal_id, phase, now_s)

    def _direct(self, table: dict[str, int], signal_id: str, phase: int | None, now_s: float) -> None:
        timer = self.timers[signal_id]
        if phase is None:
            if table.pop(signal_id, None) is None:
                return
        else:
            if not 0 <= phase < len(timer.intersection.phases):
                raise ControllerFault(
                    f"signal {signal_id} has phases 0–{len(timer.intersection.phases) - 1}, not {phase}"
                )
            if table.get(signal_id) == phase:
                return
            table[signal_id] = phase
        timer.waive_max_green = signal_id in self.holds and signal_id not in self.preemptions
        if timer.stage is Stage.GREEN:
            timer.next_decision_s = now_s  # act on it now (a switch still waits for the minimum green)
            self._schedule(signal_id, timer)

    def _schedule(self, signal_id: str, timer: SignalTimer) -> None:
        wake = self._wake_of[signal_id] = timer.wakes_s
        self._next_wake_s = min(self._next_wake_s, wake)

    def step(self, now_s: float, observe: Observe) -> list[StateChange]:
        """Advance every controlled signal to ``now_s``; returns the states to show from now on (only those
        that changed)."""
        changes: list[StateChange] = []
        horizon = now_s + EPS_S
        if self._next_wake_s > horizon:
            return changes  # no stage ends and no decision is due: no state can change
        # this runs every simulated second: names bound once, the timers' own tests written out
        timers, controllers, shown, wakes = self.timers, self.controllers, self._shown, self._wake_of
        directed = bool(self.preemptions or self.holds)
        for signal_id in [signal_id for signal_id, wake in wakes.items() if wake <= horizon]:
            timer = timers[signal_id]
            if timer.stage is not _GREEN:
                timer.advance(now_s)
            if timer.stage is _GREEN and horizon >= timer.next_decision_s:
                directive = self.preemptions.get(signal_id, self.holds.get(signal_id)) if directed else None
                if directive is not None:
                    timer.request(Decision(directive, MIN_HOLD_S), now_s)
                else:
                    observation = observe(timer.intersection, now_s, timer.phase, now_s - timer.green_since_s)
                    timer.request(controllers[signal_id].decide(observation), now_s)
                    self.decisions += 1
            wakes[signal_id] = timer.wakes_s
            state = timer.state()
            if shown.get(signal_id) != state:
                shown[signal_id] = state
                changes.append(StateChange(signal_id, state))
        next_wake = math.inf
        for wake in wakes.values():  # a loop of two-float min(): compiled, no generic builtin call
            next_wake = min(next_wake, wake)
        self._next_wake_s = next_wake
        return changes

    def overrides(self) -> Counter[str]:
        """How often the safety layer changed a decision, by reason, over all signals."""
        total: Counter[str] = Counter()
        for timer in self.timers.values():
            total.update(timer.overrides)
        return total
