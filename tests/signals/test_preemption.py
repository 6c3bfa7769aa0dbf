"""Emergency preemption: the rule on hand-built intersections (which phase serves the vehicle, the nearest
vehicle decides, clearances kept), and in SUMO on grid4x4: emergency vehicles through the signals are faster with
preemption, and the safety monitor sees no violation on any step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tamna.signals.control import SignalControl
from tamna.signals.controller import ControlSettings
from tamna.signals.controllers.fixed_time import FixedTime
from tamna.signals.evaluation import EpisodeSettings
from tamna.signals.model import Intersection, Observation, Phase
from tamna.signals.preemption import Approach, PreemptionRules, Preemptor, preemptions, serving_phase
from tamna.signals.program import TimingRules
from tamna.signals.safety import ClearanceMonitor, Stage
from tamna.twin.scenario import Scenario
from tamna.twin.signal_episode import run_episode, run_episode_isolated

Resco = Callable[[str], Scenario]
CROSSING = Intersection(
    "x",
    (),
    (
        Phase(0, "GGrr", ("n",), min_green_s=10, max_green_s=60, plan_green_s=30),
        Phase(1, "rrGg", ("e",), min_green_s=10, max_green_s=60, plan_green_s=30),
    ),
    yellow_s=3,
    all_red_s=2,
)


def _observe(_i: Intersection, now_s: float, phase: int, green_s: float) -> Observation:
    return Observation(now_s, phase, green_s, {})


def test_the_phase_that_serves_the_vehicle_is_chosen() -> None:
    assert serving_phase(CROSSING, 2) == 1  # priority green
    assert serving_phase(CROSSING, 3) == 1  # only a yielding green serves it
    assert serving_phase(CROSSING, 0, current=1) == 0
    assert serving_phase(CROSSING, 3, current=1) == 1  # already green: keep it
    assert serving_phase(CROSSING, 9) is None


def test_the_queue_ahead_of_the_vehicle_is_let_go_with_it() -> None:
    # one lane with two links: straight on (0) and a left turn (1); phase 0 gives straight on alone, phase 1 the
    # left turn with priority and straight on yielding, phase 2 the crossing street
    shared_lane = Intersection(
        "s",
        (),
        (
            Phase(0, "Grr", ("a",), min_green_s=10, max_green_s=60, plan_green_s=30),
            Phase(1, "gGr", ("a",), min_green_s=10, max_green_s=60, plan_green_s=30),
            Phase(2, "rrG", ("b",), min_green_s=10, max_green_s=60, plan_green_s=30),
        ),
        yellow_s=3,
        all_red_s=2,
    )
    assert serving_phase(shared_lane, 0) == 0  # nobody ahead: priority green
    assert serving_phase(shared_lane, 0, current=0, ahead_links=(0, 0)) == 0
    # a car waiting to turn left at the head of the queue: straight-on green alone would leave the vehicle behind it
    assert serving_phase(shared_lane, 0, current=0, ahead_links=(1, 0)) == 1
    assert serving_phase(shared_lane, 0, current=2, ahead_links=(0, 1)) == 1  # the most of the queue let go
    # no phase serving the vehicle lets the head go (it is bound for the crossing street's link): as before
    assert serving_phase(shared_lane, 0, current=2, ahead_links=(2,)) == 0
    rules = PreemptionRules()
    behind_a_turn = Approach("e", "s", 0, distance_m=20, ahead_links=(1, 1, 1))
    assert preemptions([behind_a_turn], {"s": shared_lane}, {"s": 0}, rules) == {"s": 1}


def test_the_nearest_emergency_vehicle_within_range_decides() -> None:
    rules = PreemptionRules(detect_m=200, lead_s=20)
    far = Approach("a", "x", 0, distance_m=900, speed_ms=10)  # 90 s away: not yet
    near = Approach("b", "x", 2, distance_m=150)
    fast = Approach("c", "x", 0, distance_m=180, speed_ms=15)
    assert preemptions([far], {"x": CROSSING}, {"x": 0}, rules) == {}
    assert preemptions([far, near], {"x": CROSSING}, {"x": 0}, rules) == {"x": 1}
    assert preemptions([near, fast], {"x": CROSSING}, {"x": 0}, rules) == {"x": 1}
    assert preemptions([near], {}, {}, rules) == {}  # a signal Tamna does not run is left alone


def test_a_stuck_vehicle_stops_preempting_after_the_limit() -> None:
    preemptor = Preemptor(PreemptionRules(max_s=60))
    stuck = Approach("a", "x", 2, distance_m=40)
    assert preemptor.update([stuck], {"x": CROSSING}, {"x": 0}, 100.0) == {"x": 1}
    assert preemptor.update([stuck], {"x": CROSSING}, {"x": 1}, 160.0) == {"x": 1}
    assert preemptor.update([stuck], {"x": CROSSING}, {"x": 1}, 161.0) == {}
    other = Approach("b", "x", 0, distance_m=90)  # another vehicle still gets its green
    assert preemptor.update([stuck, other], {"x": CROSSING}, {"x": 1}, 162.0) == {"x": 0}
    assert preemptor.update([], {"x": CROSSING}, {"x": 0}, 163.0) == {}
    assert preemptor.update([stuck], {"x": CROSSING}, {"x": 0}, 164.0) == {"x": 1}  # a new approach starts afresh


def test_a_vehicle_standing_at_its_own_green_gives_the_signal_up() -> None:
    preemptor = Preemptor(PreemptionRules(stall_m=15, stall_s=10))
    crossing = {"x": CROSSING}
    waiting = Approach("a", "x", 2, distance_m=5)  # at the stop line, standing
    # standing at red while the switch to its phase runs is no stall, however long
    assert preemptor.update([waiting], crossing, {"x": 0}, 100.0) == {"x": 1}
    assert preemptor.update([waiting], crossing, {"x": 0}, 130.0) == {"x": 1}
    # its link green and the vehicle not moving: held for stall_s, then given up for this pass
    assert preemptor.update([waiting], crossing, {"x": 1}, 131.0) == {"x": 1}
    assert preemptor.update([waiting], crossing, {"x": 1}, 140.0) == {"x": 1}
    assert preemptor.update([waiting], crossing, {"x": 1}, 141.0) == {}
    assert preemptor.update([waiting], crossing, {"x": 0}, 150.0) == {}  # not taken back on the next red
    # a vehicle that moves off in time keeps its green
    rolling = Approach("b", "x", 2, distance_m=8)
    assert preemptor.update([rolling], crossing, {"x": 1}, 200.0) == {"x": 1}
    assert preemptor.update([rolling], crossing, {"x": 1}, 209.0) == {"x": 1}
    moving = Approach("b", "x", 2, distance_m=6, speed_ms=3.0)
    assert preemptor.update([moving], crossing, {"x": 1}, 211.0) == {"x": 1}
    assert preemptor.update([rolling], crossing, {"x": 1}, 220.0) == {"x": 1}  # its stall counts afresh


def test_preemption_keeps_minimum_green_yellow_and_all_red() -> None:
    control = SignalControl([CROSSING], FixedTime, ControlSettings(), now_s=0.0)
    monitor = ClearanceMonitor(CROSSING)
    timer = control.timers["x"]
    control.step(0.0, _observe)
    control.preempt("x", 1, 2.0)  # two seconds into phase 0's ten-second minimum green
    seen = []
    for second in range(0, 40):
        control.step(float(second), _observe)
        monitor.observe(float(second), timer.state())
        seen.append((second, timer.stage, timer.phase))
    assert monitor.finish(40.0) == []
    switch = next(s for s, stage, _ in seen if stage is Stage.YELLOW)
    assert switch == 10  # not before the minimum green
    assert next(s for s, stage, phase in seen if stage is Stage.GREEN and phase == 1) == 15  # yellow 3 + all-red 2
    control.preempt("x", None, 40.0)
    assert "x" not in control.preemptions


@pytest.mark.data
def test_preemption_speeds_emergency_vehicles_through_grid4x4_safely(resco: Resco, tmp_path: Path) -> None:
    scenario = resco("grid4x4")
    runs = {}
    for preemption in (False, True):
        settings = EpisodeSettings(
            until_s=800,
            check_safety=True,
            rules=TimingRules(yellow_s=3.0),
            emergency=2,
            emergency_first_s=60,
            emergency_every_s=120,
            preemption=preemption,
        )
        runs[preemption] = run_episode(scenario, "max-pressure", tmp_path / str(preemption), settings)
    for run in runs.values():
        assert run.safety_violations == ()
        assert len(run.emergency) == 2 and all(t.travel_s is not None for t in run.emergency)
    plain = sum(t.travel_s or 0 for t in runs[False].emergency)
    preempted = sum(t.travel_s or 0 for t in runs[True].emergency)
    assert preempted < plain
    assert sum(t.time_loss_s for t in runs[True].emergency) < 0.6 * sum(t.time_loss_s for t in runs[False].emergency)
    # the others are still counted, without the emergency vehicles
    assert runs[True].trips.vehicles == runs[False].trips.vehicles > 100


def test_an_emergency_vehicle_behind_a_turning_queue_is_let_through(resco: Resco, tmp_path: Path) -> None:
    # cologne8, seed 3, under `best`: the third emergency vehicle queues three cars behind the stop line of signal
    # 26110729, the cars ahead turning (link 9) from its lane, itself going straight on (link 11). Holding a green
    # for link 11 alone kept it standing 85 s (268 s against 192 s without preemption); letting the queue ahead go
    # with it takes 177 s
    scenario = resco("cologne8")
    trips = {}
    for preemption in (False, True):
        settings = EpisodeSettings(
            seed=3, until_s=26000, rules=TimingRules(yellow_s=3.0), emergency=3, preemption=preemption
        )
        run = run_episode_isolated(scenario, "best", tmp_path / str(preemption), settings)
        trips[preemption] = {t.vehicle_id: t.travel_s for t in run.emergency}
    third = "tamna_emergency_2"
    plain, preempted = trips[False][third], trips[True][third]
    assert plain is not None and preempted is not None
    assert preempted <= plain


@pytest.mark.data
def test_evaluate_reports_emergency_vehicles_with_and_without_preemption(shared_data: Path) -> None:
    import json

    from typer.testing import CliRunner

    from tamna.cli.main import app

    config = shared_data / "sumo" / "grid4x4" / "grid4x4.sumocfg"
    args = ["signals", "evaluate", "--scenario", str(config), "--controller", "max-pressure", "--until", "500"]
    result = CliRunner().invoke(app, [*args, "--emergency", "1", "--check-safety", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)["summary"]
    assert set(summary) == {"without", "with"}
    assert summary["with"]["emergency_arrived"] == summary["without"]["emergency_arrived"] == 1
    assert summary["with"]["emergency_travel_s"] < summary["without"]["emergency_travel_s"]
    assert summary["with"]["safety_violations"] == 0
    refused = CliRunner().invoke(app, [*args[:-4], "--controller", "network-program", "--emergency", "2"])
    assert refused.exit_code == 2 and "needs" in refused.output
