"""The safety layer on its own: the timer's rules and the monitor that checks shown states."""

from __future__ import annotations

import pytest

from tamna.signals.errors import ControllerFault
from tamna.signals.model import Decision, Intersection
from tamna.signals.safety import ClearanceMonitor, SignalTimer, Stage, all_red_state, yellow_state

from .conftest import synthetic_intersection


def run_timer(intersection: Intersection, decide: object, until_s: float) -> list[tuple[float, str]]:
    """Drive a timer second by second with ``decide(phase, green_s) -> Decision``; returns (time, state)."""
    timer = SignalTimer(intersection, 0.0)
    shown = []
    for second in range(int(until_s)):
        now = float(second)
        timer.advance(now)
        if timer.due(now):
            timer.request(decide(timer.phase, timer.green_s(now)), now)  # type: ignore[operator]
        shown.append((now, timer.state()))
    return shown


def test_transition_states_keep_common_greens_and_clear_the_rest() -> None:
    assert yellow_state("GGgrr", "rrGGG") == "yygrr"
    assert all_red_state("GGgrr", "rrGGG") == "rrgrr"
    assert yellow_state("rsGr", "GsrG") == "rsyr"


def test_switch_goes_through_yellow_and_all_red_then_holds_the_minimum() -> None:
    tls = synthetic_intersection(2)  # yellow 3 s, all-red 1 s, min green 5 s
    timer = SignalTimer(tls, 0.0)
    timer.request(Decision(0, 10.0), 0.0)
    timer.advance(10.0)
    timer.request(Decision(1, 1.0), 10.0)  # asks for only 1 s of green: raised to the minimum
    assert timer.stage is Stage.YELLOW and timer.state() == "yyrr"
    timer.advance(13.0)
    assert timer.stage is Stage.ALL_RED and timer.state() == "rrrr"
    timer.advance(14.0)
    assert timer.stage is Stage.GREEN and timer.phase == 1 and timer.state() == "rrGG"
    assert not timer.due(18.0) and timer.due(19.0)


def test_early_switch_is_deferred_to_the_end_of_the_minimum_green() -> None:
    tls = synthetic_intersection(3)
    timer = SignalTimer(tls, 0.0)
    timer.request(Decision(2, 10.0), 2.0)
    assert timer.stage is Stage.GREEN and timer.phase == 0
    assert timer.next_decision_s == pytest.approx(5.0)
    assert timer.overrides["min_green"] == 1


def test_holding_past_the_maximum_becomes_a_switch_to_the_next_phase() -> None:
    tls = synthetic_intersection(4)  # max green 45 s
    shown = run_timer(tls, lambda phase, green: Decision(phase, 100.0), 120)
    monitor = ClearanceMonitor(tls)
    for time_s, state in shown:
        monitor.observe(time_s, state)
    assert monitor.finish(120.0) == []
    greens = [state for _, state in shown if "G" in state]
    assert len(set(greens)) >= 3  # it moved on from phase to phase


def test_unknown_phase_is_a_controller_fault() -> None:
    timer = SignalTimer(synthetic_intersection(2), 0.0)
    with pytest.raises(ControllerFault, match="phase 7"):
        timer.request(Decision(7, 10.0), 0.0)


@pytest.mark.parametrize(
    ("states", "problem"),
    [
        ([(0, "GGrr"), (10, "rrGG")], "without yellow"),
        ([(0, "GGrr"), (10, "yyrr"), (11, "rrrr"), (12, "rrGG")], "yellow of 1 s"),
        ([(0, "GGrr"), (2, "yyrr"), (5, "rrrr"), (6, "rrGG")], "green of 2 s"),
        ([(0, "GGrr"), (10, "yyrr"), (13, "rrGG")], "all-red of 0 s"),
        ([(0, "GGrr"), (10, "yyGG")], "green while another link shows yellow"),
        ([(0, "GGrr"), (100, "yyrr")], "held 100 s"),
    ],
)
def test_monitor_reports_each_kind_of_violation(states: list[tuple[float, str]], problem: str) -> None:
    monitor = ClearanceMonitor(synthetic_intersection(2))
    for time_s, state in states:
        monitor.observe(time_s, state)
    assert any(problem in v for v in monitor.finish(states[-1][0] + 1)), monitor.violations


def test_monitor_accepts_a_proper_cycle() -> None:
    monitor = ClearanceMonitor(synthetic_intersection(2))
    for time_s, state in [(0, "GGrr"), (10, "yyrr"), (13, "rrrr"), (14, "rrGG"), (30, "rryy"), (33, "rrrr")]:
        monitor.observe(time_s, state)
    assert monitor.finish(34) == []


def test_a_switch_that_only_adds_greens_needs_no_clearance() -> None:
    from tamna.signals.program import ProgramPhase, build_intersection

    # phase 1 keeps phase 0's left turn (link 0) green and adds the through movement (link 1)
    program = [
        ProgramPhase("Grr", 20.0, 5.0, 30.0), ProgramPhase("yrr", 3.0, 3.0, 3.0),
        ProgramPhase("GGr", 20.0, 5.0, 30.0), ProgramPhase("yyr", 3.0, 3.0, 3.0),
        ProgramPhase("rrG", 20.0, 5.0, 30.0), ProgramPhase("rry", 3.0, 3.0, 3.0),
    ]  # fmt: skip
    tls = build_intersection("t", program, [[("a", "x")], [("b", "y")], [("c", "z")]])
    assert tls is not None
    timer, monitor = SignalTimer(tls, 0.0), ClearanceMonitor(tls)
    monitor.observe(0.0, timer.state())
    timer.request(Decision(1, 10.0), 30.0)  # at phase 0's maximum: straight to phase 1, no yellow
    assert (timer.stage, timer.phase, timer.state()) == (Stage.GREEN, 1, "GGr")
    monitor.observe(30.0, timer.state())
    timer.request(Decision(2, 10.0), 40.0)  # phase 2 takes greens away: yellow as always
    assert timer.stage is Stage.YELLOW and timer.state() == "yyr"
    assert monitor.finish(40.0) == []


class Box:
    """A junction box that stays occupied for the first ``busy`` looks, recording what it was asked."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.asked: list[tuple[int, int]] = []

    def __call__(self, current: int, target: int) -> bool:
        self.asked.append((current, target))
        return len(self.asked) <= self.busy


def switched_with_box(box: Box, wait_max_s: float) -> tuple[SignalTimer, list[tuple[float, str]]]:
    """Phase 0 to phase 1 at 10 s (yellow 3 s, all-red 1 s), stepped second by second to 40 s."""
    tls = synthetic_intersection(2)
    timer = SignalTimer(tls, 0.0, box_occupied=box, box_wait_max_s=wait_max_s)
    timer.request(Decision(0, 10.0), 0.0)
    shown = []
    for second in range(40):
        now = float(second)
        timer.advance(now)
        if timer.due(now):
            timer.request(Decision(1 if now >= 10.0 else 0, 10.0), now)
        shown.append((now, timer.state()))
    return timer, shown


def test_a_new_green_waits_in_all_red_while_its_box_is_occupied() -> None:
    box = Box(busy=3)
    timer, shown = switched_with_box(box, wait_max_s=10.0)
    states = dict(shown)
    # yellow 10-12, the all-red from 13 held three more seconds, then phase 1 at 17 instead of 14
    assert [states[t] for t in (12.0, 13.0, 16.0, 17.0)] == ["yyrr", "rrrr", "rrrr", "rrGG"]
    assert box.asked == [(0, 1)] * 4  # asked from the end of the all-red, once a second, until clear
    assert timer.overrides["box_clearance"] == 3
    assert timer.green_since_s == 17.0  # the minimum green counts from the green shown, not the one planned
    monitor = ClearanceMonitor(timer.intersection)
    for time_s, state in shown:
        monitor.observe(time_s, state)
    assert monitor.finish(40.0) == []


def test_the_wait_for_an_occupied_box_is_bounded() -> None:
    box = Box(busy=1_000)  # a vehicle that never leaves (its exit full): the junction must not stay red
    timer, shown = switched_with_box(box, wait_max_s=5.0)
    states = dict(shown)
    assert (states[18.0], states[19.0]) == ("rrrr", "rrGG")  # all-red 14 s + 5 s at most
    assert timer.overrides["box_clearance"] == 5
    # the next switch waits afresh: the bound is per clearance, not spent once
    timer.request(Decision(0, 10.0), 30.0)
    for second in range(30, 45):
        timer.advance(float(second))
    assert timer.overrides["box_clearance"] == 10 and timer.phase == 0


def test_no_box_to_watch_no_wait() -> None:
    timer, shown = switched_with_box(Box(busy=1_000), wait_max_s=0.0)
    assert dict(shown)[14.0] == "rrGG" and timer.overrides["box_clearance"] == 0
