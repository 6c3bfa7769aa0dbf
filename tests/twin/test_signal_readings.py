"""What the SUMO adapter reads for a controller: road totals that equal the lanes' own figures however the lanes
are handed over, and readings that are those of the instant asked, though kept from one observation to the next."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tamna.signals.model import MOVING, NOBODY, STANDING
from tamna.signals.program import TimingRules
from tamna.twin import signal_control
from tamna.twin.scenario import Scenario
from tamna.twin.signal_control import SumoSignals, read_intersections
from tests.sumo_fixtures import loaded

Resco = Callable[[str], Scenario]


@pytest.fixture
def grid(resco: Resco, tmp_path: Path) -> Iterator[ModuleType]:
    """grid4x4 in libsumo, five minutes in (vehicles on most approaches)."""
    with loaded(resco("grid4x4"), tmp_path, "readings test") as sumo:
        for _ in range(300):
            sumo.simulationStep()
        yield sumo


def halting(sumo: ModuleType, lanes: tuple[str, ...]) -> int:
    return sum(int(sumo.lane.getLastStepHaltingNumber(lane)) for lane in lanes)


def test_road_totals_equal_the_lanes_however_the_lanes_come(grid: ModuleType) -> None:
    sumo = grid
    intersections, _ = read_intersections(sumo, TimingRules())
    signals = SumoSignals(sumo, intersections, {})
    seen_queue = False
    for _ in range(60):
        sumo.simulationStep()
        now = float(sumo.simulation.getTime())
        for intersection in intersections:
            lanes = intersection.incoming_lanes
            expected = halting(sumo, lanes)
            seen_queue = seen_queue or expected > 0
            # the controller's own tuple (remembered by identity), a new tuple each time, a list, part of a road
            assert signals.total(intersection.id, "queue", lanes, now) == expected
            assert signals.total(intersection.id, "queue", (*lanes,), now) == expected
            assert signals.total(intersection.id, "queue", list(lanes), now) == expected
            assert signals.total(intersection.id, "queue", lanes[1:], now) == halting(sumo, lanes[1:])
    assert seen_queue, "no vehicle stood on any approach: the totals compared nothing"
    # new tuples on every call are answered by their lanes, not remembered one by one
    assert all(len(split._by_id) <= signal_control._HELD_BY_ID for split in signals._splits.values())


def test_presence_says_who_is_on_the_lanes_as_their_counts_do(grid: ModuleType) -> None:
    sumo = grid
    intersections, _ = read_intersections(sumo, TimingRules())
    signals = SumoSignals(sumo, intersections, {})
    seen = set()
    for _ in range(120):
        sumo.simulationStep()
        for intersection in intersections:
            for lanes in (intersection.incoming_lanes, intersection.incoming_lanes[:2]):
                vehicles = sum(int(sumo.lane.getLastStepVehicleNumber(lane)) for lane in lanes)
                expected = STANDING if halting(sumo, lanes) else MOVING if vehicles else NOBODY
                assert signals.presence(intersection.id, lanes) == expected
                seen.add(expected)
    assert seen == {NOBODY, MOVING, STANDING}, f"the run showed only {seen}: the test compared too little"


def test_each_observation_reads_its_own_instant(grid: ModuleType) -> None:
    sumo = grid
    intersections, _ = read_intersections(sumo, TimingRules())
    signals = SumoSignals(sumo, intersections, {})
    changed = 0
    previous: dict[str, list[int]] = {}
    for _ in range(30):
        sumo.simulationStep()
        now = float(sumo.simulation.getTime())
        for intersection in intersections:
            lanes = intersection.incoming_lanes
            observation = signals.observe(intersection, now, 0, 10.0)
            first = [observation.lane(lane).queue for lane in lanes]  # whole readings, kept for the instant
            assert first == [int(sumo.lane.getLastStepHaltingNumber(lane)) for lane in lanes]
            assert observation.values("queue", lanes) == first
            changed += previous.get(intersection.id, first) != first
            previous[intersection.id] = first
    assert changed, "no queue changed in 30 s: stale readings would have gone unnoticed"
