"""Intersections read from signal programs: green phases, lanes, clearances and green bounds."""

from __future__ import annotations

import pytest

from tamna.signals.program import ProgramPhase, TimingRules, build_intersection

#: cologne1's program (four greens, each followed by a 5 s yellow), on a made-up set of 4 links
PROGRAM = [
    ProgramPhase("GGrr", 29.0, 5.0, 50.0),
    ProgramPhase("yGrr", 5.0, 5.0, 5.0),
    ProgramPhase("rGrr", 6.0, 5.0, 50.0),
    ProgramPhase("ryrr", 5.0, 5.0, 5.0),
    ProgramPhase("rrGg", 29.0, 5.0, 50.0),
    ProgramPhase("rryy", 5.0, 5.0, 5.0),
]
LINKS = [[("a_0", "x_0")], [("a_1", "y_0")], [("b_0", "z_0")], [("b_1", "x_0"), ("b_1", "w_0")]]


def test_green_phases_lanes_and_timings_come_from_the_program() -> None:
    tls = build_intersection("J", PROGRAM, LINKS)
    assert tls is not None
    assert [p.state for p in tls.phases] == ["GGrr", "rGrr", "rrGg"]
    assert [p.lanes for p in tls.phases] == [("a_0", "a_1"), ("a_1",), ("b_0", "b_1")]
    assert [p.plan_green_s for p in tls.phases] == [29.0, 6.0, 29.0]
    assert tls.yellow_s == 5.0 and tls.all_red_s == 0.0
    assert all((p.min_green_s, p.max_green_s) == (5.0, 50.0) for p in tls.phases)
    assert tls.incoming_lanes == ("a_0", "a_1", "b_0", "b_1")
    assert tls.outgoing_lanes == ("x_0", "y_0", "z_0", "w_0")


def test_overrides_and_floors() -> None:
    rules = TimingRules(yellow_s=1.0, min_yellow_s=2.0, all_red_s=2.0, min_green_s=8.0)
    tls = build_intersection("J", PROGRAM, LINKS, rules=rules)
    assert tls is not None
    assert (tls.yellow_s, tls.all_red_s) == (2.0, 2.0)
    assert {p.min_green_s for p in tls.phases} == {8.0}


def test_static_program_without_bounds_gets_the_defaults_but_keeps_its_long_greens() -> None:
    program = [ProgramPhase("Gr", 90.0, 90.0, 90.0), ProgramPhase("yr", 3.0), ProgramPhase("rG", 10.0, 10.0, 10.0)]
    tls = build_intersection("J", program, [[("a", "b")], [("c", "d")]])
    assert tls is not None
    assert [(p.min_green_s, p.max_green_s) for p in tls.phases] == [(5.0, 90.0), (5.0, 60.0)]


def test_pedestrian_crossing_raises_the_minimum_green() -> None:
    links = [[("a", "b")], [(":J_w0_0", ":J_c0_0")], [("c", "d")]]
    program = [ProgramPhase("GGr", 30.0), ProgramPhase("yyr", 3.0), ProgramPhase("rrG", 30.0)]
    tls = build_intersection("J", program, links, crossing_lengths_m={":J_c0_0": 12.0})
    assert tls is not None
    assert tls.phases[0].min_green_s == pytest.approx(7.0 + 12.0 / 1.2)
    assert tls.phases[0].lanes == ("a",)  # the crossing is no road lane
    assert tls.phases[1].min_green_s == 5.0


def test_a_signal_with_one_green_phase_is_left_to_its_program() -> None:
    program = [ProgramPhase("GG", 30.0), ProgramPhase("yy", 3.0), ProgramPhase("GG", 30.0)]
    assert build_intersection("J", program, [[("a", "b")], [("c", "d")]]) is None
