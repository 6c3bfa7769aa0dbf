"""Detectors as sensors: generated stop-line loops when a scenario has none (written to the cache, never beside
the scenario), the scenario's own E1/E2 detectors otherwise, placed where the store's network puts their link."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tamna.domain.sensors import SensorKind
from tamna.ingest.geo import haversine_m
from tamna.store import open_store
from tamna.store.base import Bucket
from tamna.twin.detectors import STOPLINE_SETBACK_M, DetectorKind
from tamna.twin.geo import DEFAULT_ORIGIN
from tamna.twin.scenario import Scenario, load_scenario
from tamna.twin.setup import GENERATED_DETECTORS, prepare_twin, register_twin
from tests.twin.conftest import Twin

pytestmark = pytest.mark.data


def distance_to_line_m(point: tuple[float, float], line: list[tuple[float, float]]) -> float:
    """Metres from a (lon, lat) point to a short (lon, lat) polyline, on a local plane."""
    lat0 = math.radians(point[1])

    def plane(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] * 111_320 * math.cos(lat0), p[1] * 110_574)

    px, py = plane(point)
    best = math.inf
    for a, b in itertools.pairwise(line):
        (ax, ay), (bx, by) = plane(a), plane(b)
        dx, dy = bx - ax, by - ay
        share = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy or 1)))
        best = min(best, math.hypot(px - (ax + share * dx), py - (ay + share * dy)))
    return best


def test_loops_are_generated_on_every_signalised_approach_lane(
    resco: Callable[[str], Scenario], tmp_path: Path
) -> None:
    scenario = resco("grid4x4")
    before = sorted(p.name for p in scenario.folder.iterdir())
    setup = prepare_twin(scenario, tmp_path / "cache")
    assert setup.generated
    assert sorted(p.name for p in scenario.folder.iterdir()) == before  # nothing written beside the scenario
    generated = tmp_path / "cache" / GENERATED_DETECTORS
    assert setup.additional_files == (generated.resolve(),)
    loops = setup.detectors
    assert len(loops) == len(setup.net.signal_lanes) == len({loop.lane for loop in loops})
    for loop in loops:
        lane = setup.net.lanes[loop.lane]
        assert loop.kind is DetectorKind.E1
        assert loop.edge == lane.edge
        assert loop.pos_m == pytest.approx(lane.length_m - STOPLINE_SETBACK_M, abs=0.01)
        assert loop.period_s == 60.0
        assert loop.sensor_id == f"grid4x4-loop_{loop.lane}"
    text = generated.read_text(encoding="utf-8")
    assert text.count("<inductionLoop ") == len(loops) and 'file="NUL"' in text


def test_sensors_sit_on_their_links_as_the_store_places_them(resco: Callable[[str], Scenario], tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "t.duckdb"))
    store.migrate()
    try:
        for name in ("grid4x4", "cologne1"):
            setup = prepare_twin(resco(name), tmp_path / name)
            registered = register_twin(store, setup)
            assert registered.sensors == len(setup.detectors) > 0
            links = {link.id: link for link in store.network().links}
            for detector in setup.detectors:
                sensor = store.sensor(detector.sensor_id)
                assert sensor.kind is SensorKind.LOOP
                assert sensor.link_id == detector.edge and sensor.link_id in links
                assert sensor.lon is not None and sensor.lat is not None
                # on the link drawn by the store's SUMO adapter (lanes sit a few metres beside the edge's axis)
                assert distance_to_line_m((sensor.lon, sensor.lat), links[sensor.link_id].geometry) < 12
    finally:
        store.close()


def test_unprojected_networks_are_placed_at_the_shared_origin(resco: Callable[[str], Scenario], tmp_path: Path) -> None:
    setup = prepare_twin(resco("grid4x4"), tmp_path)
    for detector in setup.detectors:
        assert detector.lon is not None and detector.lat is not None
        # the 1.5 km grid lies north-east of the origin, its (0, 0) corner
        assert 0 < haversine_m(DEFAULT_ORIGIN, (detector.lon, detector.lat)) < 2_200


def test_ids_a_sensor_may_not_hold_are_made_safe(resco: Callable[[str], Scenario], tmp_path: Path) -> None:
    setup = prepare_twin(resco("cologne1"), tmp_path)
    hashed = [d for d in setup.detectors if "#" in d.sumo_id]
    assert hashed, "cologne1's edges carry '#' in their ids"
    for detector in hashed:
        assert "#" not in detector.sensor_id
        assert detector.sensor_id == f"cologne1-{detector.sumo_id.replace('#', '_')}"
    assert 6.9 < (setup.detectors[0].lon or 0) < 7.0  # Cologne, through the network's UTM projection


def test_a_scenario_with_its_own_detectors_keeps_them(
    shared_data: Path, tmp_path: Path, make_twin: Callable[..., Twin]
) -> None:
    folder = shared_data / "sumo" / "grid4x4"
    (tmp_path / "own.add.xml").write_text(
        """<additional>
    <inductionLoop id="loop#1" lane="A0B0_0" pos="-10" period="60" file="NUL"/>
    <laneAreaDetector id="area 2" lane="B0C0_1" pos="20" length="50" period="120" file="NUL"/>
    <instantInductionLoop id="instant" lane="A0B0_0" pos="5" file="NUL"/>
</additional>
""",
        encoding="utf-8",
    )
    config = tmp_path / "own.sumocfg"
    config.write_text(
        f"""<configuration><input>
    <net-file value="{folder / "grid4x4.net.xml"}"/>
    <route-files value="{folder / "grid4x4_1.rou.xml"}"/>
    <additional-files value="own.add.xml"/>
</input><time><begin value="0"/><end value="600"/></time></configuration>""",
        encoding="utf-8",
    )
    setup = prepare_twin(load_scenario(config), tmp_path / "cache")
    assert not setup.generated
    assert not (tmp_path / "cache" / GENERATED_DETECTORS).exists()
    loop, area = setup.detectors
    lane_length = setup.net.lanes["A0B0_0"].length_m
    assert (loop.sensor_id, loop.kind, loop.edge, loop.period_s) == ("own-loop_1", DetectorKind.E1, "A0B0", 60.0)
    assert loop.pos_m == pytest.approx(lane_length - 10)  # negative positions count from the lane's end
    assert (area.sensor_id, area.kind, area.length_m, area.period_s) == ("own-area_2", DetectorKind.E2, 50.0, 120.0)

    # each reports at its own period: the loop every minute, the lane-area detector every two
    twin = make_twin(load_scenario(config), until_s=240.0)
    assert twin.runtime.run().readings == 4 + 2
    store = twin.state.store
    assert store.count_observations() == 6
    day = twin.clock.at(0)
    times = {
        sensor: [
            p.time for p in store.history(start=day, end=day + timedelta(hours=1), bucket=Bucket.RAW, sensor_id=sensor)
        ]
        for sensor in ("own-loop_1", "own-area_2")
    }
    assert times == {
        "own-loop_1": [twin.clock.at(t) for t in (0, 60, 120, 180)],
        "own-area_2": [twin.clock.at(t) for t in (0, 120)],
    }
