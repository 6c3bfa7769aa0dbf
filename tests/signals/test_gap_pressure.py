"""``gap-pressure`` decides as its plain rule says, whatever shortcuts it takes to decide cheaply."""

from __future__ import annotations

import math
import random

import pytest

from tamna.signals.controller import ControlSettings
from tamna.signals.controllers.demand import PhaseDemand
from tamna.signals.controllers.gap_pressure import GapPressure
from tamna.signals.model import Intersection, LaneReading, Observation

from .conftest import shared_lane_intersection, synthetic_intersection
from .plain_rules import plain_gap_pressure

#: the defaults, grid4x4's trained parameters, and a rest longer than an extension (where the order of the
#: questions is no longer free)
PARAMS = [
    {},
    {"gap_s": 0.65, "switch_margin": 0.56, "spill_occupancy_pct": 30.0},
    {"rest_s": 2.0, "gap_s": 3.0},
    {"approach_weight": 0.2, "downstream_weight": 0.0, "rest_s": 3.0, "quiet_rest_s": 8.0},
    {"approach_weight": 0.3, "downstream_weight": 0.5, "switch_margin": 0.5},
]
IDS = ["defaults", "grid4x4-trained", "long-rest", "approach", "approach-downstream"]


def sparse_observation(tls: Intersection, rng: random.Random, time_s: float, phase: int) -> Observation:
    """Detector data as a real junction shows it most of the time: often nobody at all, often vehicles moving
    but none standing, sometimes queues; gaps both short and long."""
    scene = rng.choice(["empty", "moving", "moving", "queues"])
    lanes = {}
    for lane in (*tls.incoming_lanes, *tls.outgoing_lanes):
        vehicles = 0 if scene == "empty" or rng.random() < 0.5 else rng.randint(1, 12)
        queue = rng.randint(0, vehicles) if scene == "queues" else 0
        lanes[lane] = LaneReading(
            vehicles=vehicles,
            queue=queue,
            occupancy_pct=rng.choice([0.0, 20.0, 40.0, 80.0]) if vehicles else 0.0,
            gap_s=rng.choice([0.3, 1.0, 2.5, 10.0, math.inf]),
        )
    return Observation(time_s, phase, rng.choice([2.0, 8.0, 30.0]), lanes)


@pytest.mark.parametrize("params", PARAMS, ids=IDS)
@pytest.mark.parametrize("phases", [*range(2, 9), "shared-lanes"])
def test_every_decision_is_the_plain_rules(phases: int | str, params: dict[str, float]) -> None:
    tls = shared_lane_intersection() if phases == "shared-lanes" else synthetic_intersection(int(phases))
    controller = GapPressure(tls, ControlSettings(params=params))
    rng = random.Random(str(phases))
    kinds = set()
    phase = 0
    for step in range(600):
        observation = sparse_observation(tls, rng, float(step), phase)
        decision = controller.decide(observation)
        assert decision == plain_gap_pressure(controller, observation), f"step {step}"
        kinds.add("switch" if decision.phase != phase else f"hold {decision.hold_s:g}")
        phase = decision.phase
    # the sequence went through switches, rests, extensions and (where they are longer) empty rests, so every
    # shortcut was taken
    expected = {"switch", f"hold {controller.extension_s:g}", f"hold {controller.rest_s:g}"}
    expected.add(f"hold {controller.quiet_rest_s:g}")
    if controller.empty_rest_s > controller.rest_s:
        expected.add(f"hold {controller.empty_rest_s:g}")
    assert expected <= kinds


def test_approaching_vehicles_call_a_red_phase_before_they_stop() -> None:
    # nobody stands anywhere; two vehicles drive toward the red south approach, none toward the green north:
    # queue-only pressure rests in the empty green, the approach-weighted demand switches ahead of them
    tls = synthetic_intersection(2)
    readings = {lane: LaneReading() for lane in (*tls.incoming_lanes, *tls.outgoing_lanes)}
    readings[tls.phases[1].lanes[0]] = LaneReading(vehicles=2, queue=0)
    observation = Observation(30.0, 0, 30.0, readings)
    pressure_only = GapPressure(tls, ControlSettings())
    weighted = GapPressure(tls, ControlSettings(params={"approach_weight": 0.2, "downstream_weight": 0.0}))
    assert pressure_only.decide(observation).phase == 0
    assert weighted.decide(observation).phase == 1


@pytest.mark.parametrize("params", [{"approach_weight": 1.5}, {"approach_weight": -0.1}, {"downstream_weight": -1}])
def test_weights_out_of_range_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(params))):
        GapPressure(synthetic_intersection(2), ControlSettings(params=params))


class _NotingLanes(dict[str, LaneReading]):
    """Readings answered a figure at a time (as the SUMO adapter answers them), noting each figure asked."""

    def __init__(self, readings: dict[str, LaneReading]) -> None:
        super().__init__(readings)
        self.asked: list[tuple[str, str]] = []

    def column(self, name: str, lanes: list[str]) -> list[float]:
        self.asked.extend((name, lane) for lane in lanes)
        return [getattr(self[lane], name) for lane in lanes]


def test_the_queue_of_an_empty_lane_is_not_asked() -> None:
    # each figure asked is a call into SUMO: a lane with no vehicle on it has no queue, and is not asked for one
    tls = synthetic_intersection(4)
    demand = PhaseDemand(tls, approach_weight=0.2, downstream_weight=0.0)
    busy, standing = demand.incoming_lanes[1], demand.incoming_lanes[3]
    readings = {lane: LaneReading() for lane in (*tls.incoming_lanes, *tls.outgoing_lanes)}
    readings[busy] = LaneReading(vehicles=3, queue=2)
    readings[standing] = LaneReading(vehicles=1, queue=1)
    lanes = _NotingLanes(readings)
    levels = demand.levels(Observation(0.0, 0, 10.0, lanes))
    expected = [0.0] * len(demand.incoming_lanes)
    expected[1], expected[3] = 0.8 * 2 + 0.2 * 3, 1.0
    assert levels == pytest.approx(expected)
    assert [lane for name, lane in lanes.asked if name == "queue"] == [busy, standing]
    lanes.asked.clear()
    lanes[busy] = lanes[standing] = LaneReading()
    assert demand.levels(Observation(1.0, 0, 11.0, lanes)) == [0.0] * len(demand.incoming_lanes)
    assert not [lane for name, lane in lanes.asked if name == "queue"]
