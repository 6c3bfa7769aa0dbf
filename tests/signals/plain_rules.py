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
    pressure = MaxPressure(controller.intersection, ControlSettings(params={"count_moving": 0.0}))
    pressures = pressure.pressures(observation, controller.guard)
    best = max((p.index for p in phases if p.index != current.index), key=lambda p: pressures[p])
    held = pressures[current.index] + controller.switch_margin if pressures[current.index] > 0 else 0.0
    if pressures[best] <= held:
        return Decision(current.index, controller.rest_s)
    return Decision(best, phases[best].min_green_s)
