"""The bridge between SUMO and Tamna's signal controllers: intersections read from the network's own signal
programs (through libsumo, so any scenario works, never one written down here), observations read from SUMO's
lanes and stop-line loops, and signal states shown.

Detectors: the lane figures (vehicles, queue, occupancy, mean speed) come from SUMO's lanes directly, a lane-area
detector over the whole lane, as RESCO and sumo-rl read them; arrivals and gaps come from induction loops a few
metres before each stop line (``twin.detectors.stopline_loops``), placed automatically in every scenario.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from tamna.signals.control import StateChange
from tamna.signals.model import Intersection, LaneReading, Observation
from tamna.signals.program import ProgramPhase, TimingRules, build_intersection, is_pedestrian_lane

#: SUMO's "time since detection" for a loop that has never seen a vehicle is the time since the start;
#: anything above this is "no vehicle recently"
_NEVER_S = 1e9
#: a loop covered this much of the last step has a vehicle standing on it, not passing
_COVERED_PCT = 99.9


def read_intersections(sumo: ModuleType, rules: TimingRules) -> tuple[list[Intersection], int]:
    """The controllable intersections of the loaded network and the number of signals it has. A signal with
    fewer than two green phases keeps its own program."""
    trafficlight: Any = sumo.trafficlight
    lane: Any = sumo.lane
    signal_ids = list(trafficlight.getIDList())
    found = []
    for signal_id in signal_ids:
        program_id = trafficlight.getProgram(signal_id)
        logics = trafficlight.getAllProgramLogics(signal_id)
        logic = next((g for g in logics if g.programID == program_id), logics[0] if logics else None)
        if logic is None:
            continue
        program = [ProgramPhase(p.state, float(p.duration), float(p.minDur), float(p.maxDur)) for p in logic.phases]
        links = [[(link[0], link[1]) for link in group] for group in trafficlight.getControlledLinks(signal_id)]
        crossings = {
            out_lane: float(lane.getLength(out_lane))
            for group in links
            for _in, out_lane in group
            if is_pedestrian_lane(out_lane)
        }
        intersection = build_intersection(signal_id, program, links, rules=rules, crossing_lengths_m=crossings)
        if intersection is not None:
            found.append(intersection)
    return found, len(signal_ids)


class SumoSignals:
    """Reads observations from SUMO and shows the states the safety layer lets through."""

    def __init__(self, sumo: ModuleType, intersections: Sequence[Intersection], loops: Mapping[str, str]) -> None:
        self._lane: Any = sumo.lane
        self._loop: Any = sumo.inductionloop
        self._trafficlight: Any = sumo.trafficlight
        self._loops = dict(loops)
        self._lanes = {
            i.id: (*i.incoming_lanes, *(o for o in i.outgoing_lanes if o not in i.incoming_lanes))
            for i in intersections
        }
        self._incoming = {i.id: i.incoming_lanes for i in intersections}
        # loop counts at each intersection's previous observation, for the arrivals in between
        self._counted: dict[tuple[str, str], int] = {}

    def observe(self, intersection: Intersection, now_s: float, phase: int, green_s: float) -> Observation:
        """The detector data of ``intersection`` now."""
        lane, loops = self._lane, self._loops
        readings: dict[str, LaneReading] = {}
        incoming = set(self._incoming[intersection.id])
        for lane_id in self._lanes[intersection.id]:
            arrivals, gap = 0, math.inf
            loop_id = loops.get(lane_id) if lane_id in incoming else None
            if loop_id is not None:
                total = int(self._loop.getIntervalVehicleNumber(loop_id))
                key = (intersection.id, lane_id)
                arrivals = max(total - self._counted.get(key, 0), 0)
                self._counted[key] = total
                since = float(self._loop.getTimeSinceDetection(loop_id))
                # SUMO gives no speed for a vehicle still on the loop; covering it for a whole step means standing
                # (or crawling) there
                standing = since == 0.0 and float(self._loop.getLastStepOccupancy(loop_id)) >= _COVERED_PCT
                gap = since if since < _NEVER_S and not standing else math.inf
            readings[lane_id] = LaneReading(
                vehicles=int(lane.getLastStepVehicleNumber(lane_id)),
                queue=int(lane.getLastStepHaltingNumber(lane_id)),
                occupancy_pct=float(lane.getLastStepOccupancy(lane_id)) * 100.0,
                mean_speed_ms=float(lane.getLastStepMeanSpeed(lane_id)),
                arrivals=arrivals,
                gap_s=gap,
            )
        return Observation(now_s, phase, green_s, readings)

    def show(self, changes: Sequence[StateChange]) -> None:
        """Put the changed states on the signals."""
        for change in changes:
            self._trafficlight.setRedYellowGreenState(change.signal_id, change.state)

    def state(self, signal_id: str) -> str:
        """What the signal shows now, as SUMO has it."""
        return str(self._trafficlight.getRedYellowGreenState(signal_id))

    def queue(self) -> int:
        """Standing vehicles on every controlled approach lane now."""
        lanes = {lane for group in self._incoming.values() for lane in group}
        return sum(int(self._lane.getLastStepHaltingNumber(lane)) for lane in lanes)
