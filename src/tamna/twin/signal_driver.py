"""Signal control inside a running SUMO simulation: the one loop body that both the evaluation harness
(:mod:`tamna.twin.signal_episode`) and the twin's runtime (:mod:`tamna.twin.runtime`) call every simulation step,
on the thread that owns libsumo.

It holds the network's intersections, a :class:`~tamna.signals.control.SignalControl` (controllers and safety
timers) and the SUMO adapter. Signals not under a Tamna controller run the network's own program in SUMO. A
signal changes hands only at a green, never in a clearance:

- program → controller: when SUMO's program shows one of the intersection's green phases, the timer starts in
  that phase (its minimum green counted from the handover, which can only lengthen it);
- controller → program: when the timer shows a green, SUMO's program is restored at the program phase with
  that same state, so the green simply goes on under the program.

Emergency preemption (:mod:`tamna.signals.preemption`) reads each emergency vehicle's next signal from SUMO.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from tamna.signals.control import SignalControl
from tamna.signals.controller import ControlSettings
from tamna.signals.evaluation import NETWORK_PROGRAM
from tamna.signals.model import GREEN, YELLOW, Intersection
from tamna.signals.preemption import EMERGENCY_CLASS, Approach, PreemptionRules, Preemptor
from tamna.signals.program import TimingRules
from tamna.signals.registry import controller_kind, resolve
from tamna.signals.safety import Stage
from tamna.twin.detectors import stopline_loops, write_loops
from tamna.twin.errors import TwinInputError, TwinNotFoundError
from tamna.twin.geo import Projection
from tamna.twin.junction_box import junction_boxes
from tamna.twin.netfile import NetInfo
from tamna.twin.signal_control import SumoSignals, read_intersections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignalView:
    """One signal as an operator sees it."""

    signal_id: str
    lon: float | None
    lat: float | None
    #: the controller in charge: a registered name, or ``network-program`` (SUMO runs the network's own plan)
    controller: str
    #: whether a Tamna controller can take it (two or more green phases)
    controllable: bool
    #: the phase index: among the intersection's green phases under a Tamna controller, the program's phase
    #: index under the network program
    phase: int
    phase_name: str
    #: what the signal shows now (SUMO's characters, one per link)
    state: str
    #: ``green``, ``yellow`` or ``all-red``
    stage: str
    #: seconds in the current phase (or clearance)
    in_phase_s: float
    #: the phase an operator holds, if any
    held: int | None
    #: the phase given to an emergency vehicle now, if any
    preempted: int | None
    phases: int


class SignalDriver:
    """Controllers, safety timers and preemption over the signals of the loaded SUMO simulation."""

    def __init__(
        self,
        sumo: ModuleType,
        loops: Mapping[str, str],
        *,
        rules: TimingRules | None = None,
        settings: ControlSettings | None = None,
        now_s: float,
        controller: str | None = None,
        preemption: PreemptionRules | None = None,
        projection: Projection | None = None,
    ) -> None:
        self._sumo = sumo
        self._trafficlight: Any = sumo.trafficlight
        intersections, self.signals = read_intersections(sumo, rules or TimingRules())
        self.intersections = {i.id: i for i in intersections}
        self.adapter = SumoSignals(sumo, intersections, loops)
        self.control = SignalControl(
            intersections,
            None,
            settings or ControlSettings(),
            now_s=now_s,
            boxes={signal_id: box.watch for signal_id, box in junction_boxes(sumo, intersections).items()},
            box_wait_max_s=(rules or TimingRules()).box_wait_max_s,
        )
        self.preemptor = Preemptor(preemption) if preemption is not None else None
        self._programs = {signal_id: self._program(signal_id) for signal_id in self.intersections}
        self._positions = _positions(sumo, projection) if projection is not None else {}
        self._pending_take: dict[str, str] = {}
        self._pending_hold: dict[str, int] = {}
        self._pending_release: set[str] = set()
        self._emergency: set[str] = set()
        if controller is not None:
            name = resolve(controller)
            for signal_id in self.intersections:
                self.control.take(signal_id, controller_kind(name), name, now_s)

    @property
    def controlled(self) -> int:
        """How many signals a Tamna controller runs now."""
        return len(self.control.timers)

    def controller_of(self, signal_id: str) -> str:
        """The name of the controller in charge of ``signal_id`` (or about to take it)."""
        return self.control.names.get(signal_id) or self._pending_take.get(signal_id, NETWORK_PROGRAM)

    # ---- every step ----------------------------------------------------------------------------------
    def step(self, now_s: float) -> None:
        """Hand signals over, preempt for emergency vehicles, run the controllers due and show what changed."""
        if self._pending_take or self._pending_release:
            self._hand_over(now_s)
        if self.preemptor is not None:
            self._preempt(now_s, self.preemptor)
        if self.control.timers:
            self.adapter.show(self.control.step(now_s, self.adapter.observe))

    # ---- operator commands (on the simulation thread) ------------------------------------------------
    def assign(self, signal_id: str, controller: str | None, now_s: float) -> str:
        """Put ``signal_id`` under ``controller`` (a registered name or ``best``), or hand it back to the
        network's program (None or ``network-program``); returns the name now in charge (or pending)."""
        self._check(signal_id)
        if controller in (None, NETWORK_PROGRAM):
            self._pending_take.pop(signal_id, None)
            self._pending_hold.pop(signal_id, None)
            if signal_id in self.control.timers:
                self._pending_release.add(signal_id)
            self._hand_over(now_s)
            return NETWORK_PROGRAM
        name = resolve(controller)
        self._pending_release.discard(signal_id)
        if signal_id in self.control.timers:
            self.control.take(signal_id, controller_kind(name), name, now_s)
        else:
            self._pending_take[signal_id] = name
            self._hand_over(now_s)
        return name

    def hold(self, signal_id: str, phase: int | None, now_s: float) -> None:
        """Hold ``signal_id`` in green phase ``phase`` through the safety timer, or release the hold (None). A
        signal on the network's program is first put under ``fixed-time`` (the same plan, run by Tamna) so
        that the timer can hold and release it."""
        intersection = self._check(signal_id)
        if phase is not None and not 0 <= phase < len(intersection.phases):
            raise TwinInputError(
                f"signal {signal_id} has green phases 0–{len(intersection.phases) - 1}, not {phase}",
                field="hold",
                value=phase,
            )
        if signal_id in self.control.timers:
            self.control.hold(signal_id, phase, now_s)
        elif phase is None:
            self._pending_hold.pop(signal_id, None)
        else:
            self._pending_hold[signal_id] = phase
            if signal_id not in self._pending_take:
                self._pending_take[signal_id] = "fixed-time"
            self._hand_over(now_s)

    def views(self, now_s: float) -> list[SignalView]:
        """Every signal of the network as it is now."""
        trafficlight = self._trafficlight
        views = []
        for signal_id in trafficlight.getIDList():
            intersection = self.intersections.get(signal_id)
            lon, lat = self._positions.get(signal_id, (None, None))
            timer = self.control.timers.get(signal_id)
            if timer is not None and intersection is not None:
                stage = timer.stage
                suffix = "" if stage is Stage.GREEN else f" ({stage.value})"
                views.append(
                    SignalView(
                        signal_id=signal_id,
                        lon=lon,
                        lat=lat,
                        controller=self.control.names[signal_id],
                        controllable=True,
                        phase=timer.phase,
                        phase_name=f"green phase {timer.phase}{suffix}",
                        state=timer.state(),
                        stage=stage.value,
                        in_phase_s=max(now_s - timer.stage_since_s, 0.0),
                        held=self.control.holds.get(signal_id),
                        preempted=self.control.preemptions.get(signal_id),
                        phases=len(intersection.phases),
                    )
                )
                continue
            state = str(trafficlight.getRedYellowGreenState(signal_id))
            index = int(trafficlight.getPhase(signal_id))
            views.append(
                SignalView(
                    signal_id=signal_id,
                    lon=lon,
                    lat=lat,
                    controller=self._pending_take.get(signal_id, NETWORK_PROGRAM),
                    controllable=intersection is not None,
                    phase=index,
                    phase_name=str(trafficlight.getPhaseName(signal_id)) or f"program phase {index}",
                    state=state,
                    stage=_stage_of(state),
                    in_phase_s=float(trafficlight.getSpentDuration(signal_id)),
                    held=self._pending_hold.get(signal_id),
                    preempted=None,
                    phases=len(intersection.phases) if intersection is not None else 0,
                )
            )
        return views

    # ---- inside ---------------------------------------------------------------------------------------
    def _check(self, signal_id: str) -> Intersection:
        intersection = self.intersections.get(signal_id)
        if intersection is None:
            if signal_id in set(self._trafficlight.getIDList()):
                raise TwinInputError(
                    f"signal {signal_id} has fewer than two green phases: it keeps the network's program",
                    field="signal_id",
                    value=signal_id,
                )
            raise TwinNotFoundError(f"no signal {signal_id!r} in this scenario")
        return intersection

    def _program(self, signal_id: str) -> tuple[str, list[str]]:
        program_id = str(self._trafficlight.getProgram(signal_id))
        logics = self._trafficlight.getAllProgramLogics(signal_id)
        logic = next((g for g in logics if g.programID == program_id), logics[0] if logics else None)
        return program_id, [str(p.state) for p in logic.phases] if logic is not None else []

    def _hand_over(self, now_s: float) -> None:
        for signal_id in list(self._pending_release):
            if not self.control.releasable(signal_id):
                continue
            phase = self.control.release(signal_id)
            self._pending_release.discard(signal_id)
            program_id, states = self._programs[signal_id]
            state = self.intersections[signal_id].phases[phase].state
            self._trafficlight.setProgram(signal_id, program_id)
            if state in states:
                self._trafficlight.setPhase(signal_id, states.index(state))
            log.info("signal %s back on the network's program at %g s", signal_id, now_s)
        for signal_id, name in list(self._pending_take.items()):
            shown = str(self._trafficlight.getRedYellowGreenState(signal_id))
            phases = self.intersections[signal_id].phases
            green = next((p.index for p in phases if p.state == shown), None)
            if green is None:
                continue  # a yellow, an all-red or a phase Tamna does not choose: wait for a green
            del self._pending_take[signal_id]
            self.control.take(signal_id, controller_kind(name), name, now_s, phase=green)
            held = self._pending_hold.pop(signal_id, None)
            if held is not None:
                self.control.hold(signal_id, held, now_s)
            log.info("signal %s under %s from %g s", signal_id, name, now_s)

    def _preempt(self, now_s: float, preemptor: Preemptor) -> None:
        vehicle: Any = self._sumo.vehicle
        simulation: Any = self._sumo.simulation
        for vehicle_id in simulation.getDepartedIDList():
            if vehicle.getVehicleClass(vehicle_id) == EMERGENCY_CLASS:
                self._emergency.add(vehicle_id)
        if self._emergency:
            self._emergency.difference_update(simulation.getArrivedIDList())
        approaches = []
        for vehicle_id in self._emergency:
            ahead = vehicle.getNextTLS(vehicle_id)
            if ahead:
                signal_id, link_index, distance, _state = ahead[0]
                speed = float(vehicle.getSpeed(vehicle_id))
                approach = Approach(vehicle_id, signal_id, int(link_index), float(distance), speed)
                if approach.within(preemptor.rules):  # the queue ahead is read only where it can matter
                    approach = replace(approach, ahead_links=self._queue_ahead(vehicle_id, signal_id))
                approaches.append(approach)
        control = self.control
        controlled = {s: self.intersections[s] for s in control.timers}
        current = {s: timer.phase for s, timer in control.timers.items()}
        wanted = preemptor.update(approaches, controlled, current, now_s)
        for signal_id in [s for s in control.preemptions if s not in wanted]:
            control.preempt(signal_id, None, now_s)
        for signal_id, phase in wanted.items():
            control.preempt(signal_id, phase, now_s)

    def _queue_ahead(self, vehicle_id: str, signal_id: str) -> tuple[int, ...]:
        """The links that the vehicles ahead of ``vehicle_id`` in its lane will use at ``signal_id``, the one
        nearest the stop line first (what preemption must let go for the emergency vehicle to move)."""
        vehicle: Any = self._sumo.vehicle
        lane: Any = self._sumo.lane
        position = float(vehicle.getLanePosition(vehicle_id))
        queued = []
        for other in lane.getLastStepVehicleIDs(vehicle.getLaneID(vehicle_id)):
            ahead_at = float(vehicle.getLanePosition(other))
            if other == vehicle_id or ahead_at <= position:
                continue
            signals = vehicle.getNextTLS(other)
            if signals and signals[0][0] == signal_id:
                queued.append((ahead_at, int(signals[0][1])))
        return tuple(link for _at, link in sorted(queued, reverse=True))


def _stage_of(state: str) -> str:
    if any(c in YELLOW for c in state):
        return Stage.YELLOW.value
    if any(c in GREEN for c in state):
        return Stage.GREEN.value
    return Stage.ALL_RED.value


def _positions(sumo: ModuleType, projection: Projection) -> dict[str, tuple[float, float]]:
    """Each signal's place: the mean of the stop lines of the lanes it controls."""
    trafficlight: Any = sumo.trafficlight
    lane: Any = sumo.lane
    positions = {}
    for signal_id in trafficlight.getIDList():
        ends = [lane.getShape(lane_id)[-1] for lane_id in dict.fromkeys(trafficlight.getControlledLanes(signal_id))]
        if not ends:
            continue
        x = sum(p[0] for p in ends) / len(ends)
        y = sum(p[1] for p in ends) / len(ends)
        positions[signal_id] = projection.lonlat(x, y)
    return positions


#: the twin's own stop-line loops for signal control (beside any detectors a scenario reports as sensors)
CONTROL_LOOP_PREFIX = "tamna_signal_"
CONTROL_LOOPS = "signal-loops.add.xml"
#: one counting interval over any run: arrivals are differenced between two observations
_CONTROL_LOOP_PERIOD_S = 10_000_000.0


def write_control_loops(net: NetInfo, scenario: str, folder: Path) -> tuple[list[Path], dict[str, str]]:
    """Write the stop-line loops the controllers read (one per signalised approach lane) into ``folder``;
    returns the additional files to load (none for a network without signals) and lane → loop id."""
    loops = stopline_loops(net, scenario, period_s=_CONTROL_LOOP_PERIOD_S, prefix=CONTROL_LOOP_PREFIX)
    if not loops:
        return [], {}
    path = folder / CONTROL_LOOPS
    write_loops(path, loops, note="stop-line loops for signal control, written by Tamna")
    return [path.resolve()], {loop.lane: loop.sumo_id for loop in loops}
