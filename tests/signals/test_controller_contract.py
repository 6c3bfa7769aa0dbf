"""Checks every registered controller passes, discovered from the registry (river's estimator checks, sumo-rl's
environment checker): on intersections of 2 to 8 phases, in empty and busy traffic, a controller answers with a
phase the intersection has and a finite positive hold, deterministically, and under the safety layer the states
shown never break a rule."""

from __future__ import annotations

import math
import random

import pytest

from tamna.signals.controller import ControlSettings
from tamna.signals.model import Intersection, LaneReading, Observation
from tamna.signals.registry import controllers, create
from tamna.signals.safety import ClearanceMonitor, SignalTimer

NAMES = controllers().names()


def observation(tls: Intersection, rng: random.Random, time_s: float, phase: int, green_s: float) -> Observation:
    """Random but plausible detector data on every lane of ``tls``."""
    lanes = {}
    for lane in (*tls.incoming_lanes, *tls.outgoing_lanes):
        vehicles = rng.randint(0, 20)
        lanes[lane] = LaneReading(
            vehicles=vehicles,
            queue=rng.randint(0, vehicles),
            occupancy_pct=rng.uniform(0, 100),
            mean_speed_ms=rng.uniform(0, 14),
            arrivals=rng.randint(0, 5),
            gap_s=rng.choice([0.5, 2.0, 10.0, math.inf]),
        )
    return Observation(time_s, phase, green_s, lanes)


@pytest.mark.parametrize("name", NAMES)
def test_decisions_are_valid_on_empty_and_busy_intersections(name: str, intersection: Intersection) -> None:
    controller = create(name, intersection, ControlSettings(decision_step_s=10.0))
    empty = Observation(0.0, 0, 0.0, {})
    decision = controller.decide(empty)
    assert 0 <= decision.phase < len(intersection.phases)
    assert math.isfinite(decision.hold_s) and decision.hold_s > 0
    rng = random.Random(7)
    for step in range(200):
        phase = rng.randrange(len(intersection.phases))
        decision = controller.decide(observation(intersection, rng, 10.0 * step, phase, rng.uniform(0, 60)))
        assert 0 <= decision.phase < len(intersection.phases)
        assert math.isfinite(decision.hold_s) and decision.hold_s > 0


@pytest.mark.parametrize("name", NAMES)
def test_same_inputs_give_the_same_decisions(name: str) -> None:
    from .conftest import synthetic_intersection

    tls = synthetic_intersection(4)
    runs = []
    for _ in range(2):
        controller, rng = create(name, tls), random.Random(3)
        runs.append([controller.decide(observation(tls, rng, 10.0 * s, s % 4, 12.0)) for s in range(50)])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name", NAMES)
def test_under_the_safety_layer_no_rule_is_ever_broken(name: str, intersection: Intersection) -> None:
    controller = create(name, intersection, ControlSettings(decision_step_s=5.0))
    timer, monitor = SignalTimer(intersection, 0.0), ClearanceMonitor(intersection)
    rng = random.Random(11)
    for second in range(900):
        now = float(second)
        timer.advance(now)
        if timer.due(now):
            seen = observation(intersection, rng, now, timer.phase, timer.green_s(now))
            timer.request(controller.decide(seen), now)
        monitor.observe(now, timer.state())
    assert monitor.finish(900.0) == []
    shown = {p.state for p in intersection.phases}
    assert len(shown) >= 2
