"""Controllers' rules written the plain way, as their docstrings state them, without the shortcuts the shipped
code takes to stay cheap (questions asked in another order, figures summed per road, rests judged from the
incoming lanes alone). Tests hold the shipped controllers to these decision for decision."""

from __future__ import annotations

from tamna.signals.controller import ControlSettings
from tamna.signals.controllers.gap_pressure import GapPressure
from tamna.signals.controllers.max_pressure import MaxPressure
from tamna.signals.model import Decision, Observation


def plain_gap_pressure(controller: GapPressure, observation: Observation) -> Decision:
    """``gap-pressure``'s decision: minimum green; extension while a loop sees a vehicle within the gap (unless
    every movement leads into a full lane); a longer rest when nobody is on the approaches; else the highest
    pressure beyond the switch margin, else rest."""
    phases = controller.intersection.phases
    current = phases[observation.phase]
    if observation.green_s < current.min_green_s:
        return Decision(current.index, current.min_green_s - observation.green_s)
    gaps = [observation.lane(lane).gap_s for lane in current.lanes]
    if any(gap < controller.gap_s for gap in gaps) and not controller.guard.all_blocked(observation, current.index):
        return Decision(current.index, controller.extension_s)
    incoming = controller.intersection.incoming_lanes
    nobody = all(observation.lane(lane).vehicles == 0 for lane in incoming)
    if controller.empty_rest_s > controller.rest_s and nobody:
        return Decision(current.index, controller.empty_rest_s)
    if controller.settings.param("downstream_weight", 1.0) == 0:
        # nobody where only another phase could serve them: a longer rest
        green_here = {m.index for m in controller.intersection.movements_of(current.index)}
        others = {
            m.in_lane
            for p in phases
            if p.index != current.index
            for m in controller.intersection.movements_of(p.index)
            if m.index not in green_here
        }
        if all(observation.lane(lane).vehicles == 0 for lane in others):
            return Decision(current.index, controller.quiet_rest_s)
    # demands equal but for the order of the sums are equal (the controller compares them within TIE)
    pressures = [round(p, 9) for p in plain_demands(controller, observation)]
    best = max((p.index for p in phases if p.index != current.index), key=lambda p: pressures[p])
    held = pressures[current.index] + controller.switch_margin if pressures[current.index] > 0 else 0.0
    if pressures[best] <= held:
        return Decision(current.index, controller.rest_s)
    return Decision(best, phases[best].min_green_s)


def plain_demands(controller: GapPressure, observation: Observation) -> list[float]:
    """Each phase's demand as :mod:`tamna.signals.controllers.demand` states it, movement by movement: with the
    default weights, Varaiya's pressure (checked against ``max-pressure``'s own computation)."""
    intersection, guard = controller.intersection, controller.guard
    approach = controller.settings.param("approach_weight", 0.0)
    downstream = controller.settings.param("downstream_weight", 1.0)
    found = []
    for phase in intersection.phases:
        total = 0.0
        for movement in intersection.movements_of(phase.index):
            if guard.blocked(observation, movement.out_lane):
                continue
            incoming, outgoing = observation.lane(movement.in_lane), observation.lane(movement.out_lane)
            moving = incoming.vehicles - incoming.queue
            total += incoming.queue + approach * moving - downstream * outgoing.queue
        found.append(total)
    if (approach, downstream) == (0.0, 1.0):
        pressure = MaxPressure(intersection, ControlSettings(params={"count_moving": 0.0}))
        assert found == pressure.pressures(observation, guard)
    return found
