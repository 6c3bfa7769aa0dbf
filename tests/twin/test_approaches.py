"""How far back a signal's detectors see: a short approach lane read with the lanes behind it, through junctions
without a signal, up to 50 m before the stop line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tamna.signals.program import TimingRules
from tamna.twin.approaches import lanes_behind
from tamna.twin.scenario import Scenario
from tamna.twin.signal_control import SumoSignals, read_intersections
from tests.sumo_fixtures import loaded

Resco = Callable[[str], Scenario]

LENGTHS = {"stop": 10.0, "merge": 20.0, "side": 5.0, "road": 30.0, "far": 100.0, "long": 60.0, "feeder": 40.0}


def test_a_short_lane_reaches_back_along_every_branch_until_the_reach() -> None:
    feeders = {
        "stop": ["merge", "side"],
        "merge": ["road"],
        "side": ["stop"],  # a loop back to the stop line's own lane: counted once, and the walk ends
        "road": ["far"],  # 10 + 20 + 30 m already reach 50 m: nothing further back
        "long": ["feeder"],  # a lane of 60 m holds its own queue: read alone
    }
    behind = lanes_behind(["stop", "long"], LENGTHS.__getitem__, feeders, reach_m=50.0)
    assert behind == {"stop": ("merge", "side", "road")}


def test_the_reach_decides_how_far_back() -> None:
    feeders = {"stop": ["merge"], "merge": ["road"], "road": ["far"]}
    assert lanes_behind(["stop"], LENGTHS.__getitem__, feeders, reach_m=25.0) == {"stop": ("merge",)}
    assert lanes_behind(["stop"], LENGTHS.__getitem__, feeders, reach_m=61.0) == {"stop": ("merge", "road", "far")}
    assert lanes_behind(["stop"], LENGTHS.__getitem__, feeders, reach_m=10.0) == {}


@pytest.mark.data
def test_cologne3s_short_approaches_are_read_with_the_queue_behind_them(resco: Resco, tmp_path: Path) -> None:
    # the cluster signal's approach 200818108#0 is 9.7 m long; its queue stands on 31864804 behind a priority
    # junction. Under the network's own plan, the observation must count that queue, and other lanes as they are
    with loaded(resco("cologne3"), tmp_path, "approach test") as sumo:
        intersections, _ = read_intersections(sumo, TimingRules())
        signals = SumoSignals(sumo, intersections, {})
        cluster = next(i for i in intersections if i.id.startswith("GS_cluster"))
        behind = signals._behind[cluster.id]
        assert "31864804_1" in behind["200818108#0_1"]
        assert "241660957#0_0" not in behind  # 98 m: long enough to be read alone
        # nothing behind a lane is reached through another signal: those lanes are that signal's approaches
        others = {lane for i in intersections if i.id != cluster.id for lane in i.incoming_lanes}
        assert not others & {lane for lanes in behind.values() for lane in lanes}
        halting = sumo.lane.getLastStepHaltingNumber
        seen_behind = 0
        for _ in range(1800):
            sumo.simulationStep()
            now = float(sumo.simulation.getTime())
            queued_behind = sum(halting(lane) for lane in behind["200818108#0_1"])
            if not queued_behind:
                continue
            seen_behind += 1
            observation = signals.observe(cluster, now, 0, 0.0)
            expected = [halting(lane) + sum(map(halting, behind.get(lane, ()))) for lane in cluster.incoming_lanes]
            assert observation.values("queue", cluster.incoming_lanes) == expected
            assert observation.total("queue", cluster.incoming_lanes) == sum(expected)
            fresh = signals.observe(cluster, now, 0, 0.0)  # lane by lane, as a whole reading
            assert [fresh.lane(lane).queue for lane in cluster.incoming_lanes] == expected
            if seen_behind >= 20:
                break
        assert seen_behind >= 20, "no queue stood behind the short approach in the first half hour"
