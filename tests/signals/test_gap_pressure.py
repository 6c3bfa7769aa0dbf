"""``gap-pressure`` decides as its plain rule says, whatever shortcuts it takes to decide cheaply."""

from __future__ import annotations

import math
import random

import pytest

from tamna.signals.controller import ControlSettings
from tamna.signals.controllers.gap_pressure import GapPressure
from tamna.signals.model import Intersection, LaneReading, Observation

from .conftest import synthetic_intersection
from .plain_rules import plain_gap_pressure

#: the defaults, grid4x4's trained parameters, and a rest longer than an extension (where the order of the
#: questions is no longer free)
PARAMS = [{}, {"gap_s": 0.65, "switch_margin": 0.56, "spill_occupancy_pct": 30.0}, {"rest_s": 2.0, "gap_s": 3.0}]


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


@pytest.mark.parametrize("params", PARAMS, ids=["defaults", "grid4x4-trained", "long-rest"])
@pytest.mark.parametrize("phases", range(2, 9))
def test_every_decision_is_the_plain_rules(phases: int, params: dict[str, float]) -> None:
    tls = synthetic_intersection(phases)
    controller = GapPressure(tls, ControlSettings(params=params))
    rng = random.Random(phases)
    kinds = set()
    phase = 0
    for step in range(600):
        observation = sparse_observation(tls, rng, float(step), phase)
        decision = controller.decide(observation)
        assert decision == plain_gap_pressure(controller, observation), f"step {step}"
        kinds.add("switch" if decision.phase != phase else f"hold {decision.hold_s:g}")
        phase = decision.phase
    # the sequence went through switches, rests, extensions and empty rests, so every shortcut was taken
    assert {"switch", f"hold {controller.empty_rest_s:g}", f"hold {controller.extension_s:g}"} <= kinds
