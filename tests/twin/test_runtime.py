"""The runtime on real SUMO (libsumo): RESCO scenarios run and feed the store through the ingest road; what arrives
equals what SUMO reported; pause, step and speed work; a second simulation is refused; failures end the run
cleanly, leaving nothing loaded."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tamna.core.events import Event
from tamna.domain.observations import Quality
from tamna.store.base import Bucket
from tamna.twin import sumo
from tamna.twin.errors import TwinConflictError, TwinError, TwinInputError
from tamna.twin.scenario import Scenario, load_scenario
from tamna.twin.status import TwinStatus
from tests.twin.conftest import Twin

pytestmark = pytest.mark.data


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s:g} s in vain for {what}", pytrace=False)
        time.sleep(0.01)


@pytest.mark.parametrize("name", ["cologne1", "grid4x4"])
def test_a_resco_scenario_runs_and_its_readings_are_stored(
    name: str, resco: Callable[[str], Scenario], make_twin: Callable[..., Twin]
) -> None:
    scenario = resco(name)
    twin = make_twin(scenario, until_s=scenario.begin_s + 300)
    summary = twin.runtime.run()
    assert summary.status is TwinStatus.FINISHED and summary.error is None
    assert (summary.steps, summary.ticks, summary.reached_s) == (300, 5, scenario.begin_s + 300)
    assert summary.departed > 0 and summary.teleports == 0
    detectors = len(twin.setup.detectors)
    assert summary.readings == summary.records_stored == 5 * detectors
    assert summary.records_rejected == 0
    assert twin.state.store.count_observations() == 5 * detectors
    latest = twin.state.store.latest_sensor_states()
    assert len(latest) == detectors
    # the last interval, 240–300 s into the run, stamped at its start on the simulated day
    assert {state.time for state in latest} == {twin.clock.at(scenario.begin_s + 240)}
    assert {state.quality for state in latest} == {Quality.SIMULATED}
    assert summary.speed > 1  # faster than real time, whatever the machine


def _expected_from_libsumo(twin: Twin) -> tuple[dict[tuple[str, float], tuple[float, ...]], Callable[[Event], None]]:
    """Collect, on every tick, the detectors' interval values straight from libsumo (in the simulation thread,
    between the same two steps the runtime read them)."""
    expected: dict[tuple[str, float], tuple[float, ...]] = {}
    libsumo = sumo.libsumo()
    loop = libsumo.inductionloop

    def on_tick(event: Event) -> None:
        end = event.payload["sim_seconds"]
        begin = end - 60.0
        for detector in twin.setup.detectors:
            name = detector.sumo_id
            count = loop.getLastIntervalVehicleNumber(name)
            speed = loop.getLastIntervalMeanSpeed(name)
            # seconds of the interval the loop was covered by vehicles still standing on it at its end
            standing = sum(end - max(begin, v[2]) for v in loop.getVehicleData(name) if v[3] == -1.0)
            occupancy = min(loop.getLastIntervalOccupancy(name) + standing / 60 * 100, 100.0)
            expected[(detector.sensor_id, begin)] = (count * 60.0, speed * 3.6 if speed >= 0 else -1.0, occupancy)

    return expected, on_tick


def test_readings_in_the_store_equal_what_sumo_reported(
    resco: Callable[[str], Scenario], make_twin: Callable[..., Twin], tmp_path: Path
) -> None:
    scenario = resco("grid4x4")
    output = tmp_path / "e1.xml"
    twin = make_twin(scenario, until_s=600.0, detector_output=output)
    expected, on_tick = _expected_from_libsumo(twin)
    twin.state.bus.subscribe("twin.tick", on_tick)
    twin.runtime.run()
    assert len(expected) == 10 * len(twin.setup.detectors)
    stored: dict[tuple[str, float], tuple[float, ...]] = {}
    base = twin.clock.at(0)
    for detector in twin.setup.detectors:
        for point in twin.state.store.history(
            start=base, end=base + timedelta(seconds=600), bucket=Bucket.RAW, sensor_id=detector.sensor_id
        ):
            begin = (point.time - base).total_seconds()
            speed = -1.0 if point.speed_kmh is None else point.speed_kmh
            stored[(detector.sensor_id, begin)] = (point.flow_vph or 0.0, speed, point.occupancy_pct or 0.0)
    assert stored.keys() == expected.keys()
    for key, values in expected.items():
        assert stored[key] == pytest.approx(values, rel=1e-6, abs=1e-3), key  # the store keeps float32

    # and against SUMO's own E1 output of the same run (written when SUMO closed)
    by_sensor = {detector.sumo_id: detector.sensor_id for detector in twin.setup.detectors}
    intervals = list(ET.parse(output).getroot().iter("interval"))
    assert len(intervals) == len(expected)
    counts_differ = occupancy_off = 0
    for interval in intervals:
        flow, speed, occupancy = stored[(by_sensor[interval.get("id", "")], float(interval.get("begin", "")))]
        if flow != pytest.approx(float(interval.get("flow", ""))):
            # libsumo counts a vehicle that reached the loop in the interval's last step before it has left
            counts_differ += 1
            assert abs(flow - float(interval.get("flow", ""))) <= 60.0
            continue
        xml_speed = float(interval.get("speed", ""))
        assert speed == pytest.approx(xml_speed * 3.6 if xml_speed >= 0 else -1.0, abs=0.02)
        # SUMO 1.28's interval occupancy starts one step early for vehicles crossing the interval's start, and the
        # XML also counts vehicles that changed lanes over the loop: within a step's share per vehicle seen
        seen = int(interval.get("nVehEntered", "0")) + int(interval.get("nVehContrib", "0")) + 1
        if abs(occupancy - float(interval.get("occupancy", ""))) > seen * 100 / 60 + 0.01:
            occupancy_off += 1
    assert counts_differ <= len(intervals) // 100
    assert occupancy_off <= len(intervals) // 50


def test_pause_step_and_speed(resco: Callable[[str], Scenario], make_twin: Callable[..., Twin]) -> None:
    scenario = resco("cologne1")
    twin = make_twin(scenario, speed=40.0, ingest=False)
    runtime, clock = twin.runtime, twin.clock
    runtime.start()
    assert runtime.snapshot().status is TwinStatus.RUNNING
    started, wall = clock.seconds, time.monotonic()
    time.sleep(1.0)
    rate = (clock.seconds - started) / (time.monotonic() - wall)
    assert 20 <= rate <= 48, f"asked for 40 simulated s a second, ran {rate:.1f}"

    runtime.control("pause")
    held = clock.seconds
    time.sleep(0.3)
    snapshot = runtime.snapshot()
    assert (snapshot.status, snapshot.paused, clock.seconds) == (TwinStatus.PAUSED, True, held)
    runtime.control("step")
    assert clock.seconds == held + 1
    runtime.control("step")
    assert clock.seconds == held + 2 and runtime.snapshot().paused

    runtime.control("resume", speed=0.0)  # as fast as possible
    wait_until(lambda: clock.seconds > held + 600, "the simulation to run flat out")
    assert runtime.snapshot().speed == 0.0
    with pytest.raises(TwinInputError, match="unknown action 'rewind'"):
        runtime.control("rewind")
    with pytest.raises(TwinInputError, match="speed -1"):
        runtime.set_speed(-1)
    summary = runtime.stop()
    assert summary.status is TwinStatus.STOPPED
    with pytest.raises(TwinConflictError, match="stopped, not running"):
        runtime.pause()


def test_a_second_simulation_in_the_process_is_refused(
    resco: Callable[[str], Scenario], make_twin: Callable[..., Twin]
) -> None:
    first = make_twin(resco("cologne1"), speed=1.0, ingest=False)
    first.runtime.start()
    second = make_twin(resco("grid4x4"), ingest=False)
    with pytest.raises(TwinConflictError, match=r"already runs in this process \(scenario cologne1\)"):
        second.runtime.start()
    assert first.runtime.snapshot().status is TwinStatus.RUNNING  # the refusal did not disturb the first
    first.runtime.stop()
    assert sumo.current_owner() is None
    third = make_twin(resco("grid4x4"), ingest=False, until_s=60.0)
    assert third.runtime.run().status is TwinStatus.FINISHED


def _scenario_with_bad_route(folder: Path, shared_data: Path, depart: float) -> Scenario:
    grid = shared_data / "sumo" / "grid4x4"
    # SUMO parses a route file ahead of time only up to the first vehicle beyond its look-ahead (200 s), so
    # vehicles before the broken one put off its discovery until the run gets near its departure
    fine = "".join(
        f'<vehicle id="fine{t}" depart="{t}"><route edges="A0B0"/></vehicle>' for t in range(0, int(depart) - 200, 100)
    )
    (folder / "bad.rou.xml").write_text(
        f'<routes>{fine}<vehicle id="lost" depart="{depart}"><route edges="A0B0 nowhere"/></vehicle></routes>',
        encoding="utf-8",
    )
    config = folder / "bad.sumocfg"
    config.write_text(
        f"""<configuration><input>
    <net-file value="{grid / "grid4x4.net.xml"}"/>
    <route-files value="{grid / "grid4x4_1.rou.xml"},bad.rou.xml"/>
</input><time><begin value="0"/><end value="3600"/></time></configuration>""",
        encoding="utf-8",
    )
    return load_scenario(config)


def test_a_scenario_sumo_refuses_to_load_fails_start_and_leaves_nothing_loaded(
    shared_data: Path, tmp_path: Path, make_twin: Callable[..., Twin], resco: Callable[[str], Scenario]
) -> None:
    twin = make_twin(_scenario_with_bad_route(tmp_path, shared_data, depart=0), ingest=False)
    with pytest.raises(TwinError, match=r"SUMO could not load .*bad\.sumocfg: .*'nowhere'.* not known"):
        twin.runtime.start()
    snapshot = twin.runtime.snapshot()
    assert snapshot.status is TwinStatus.ERROR and "nowhere" in (snapshot.error or "")
    assert sumo.current_owner() is None and not sumo.libsumo().simulation.isLoaded()
    good = make_twin(resco("cologne1"), ingest=False, until_s=25260.0)
    assert good.runtime.run().status is TwinStatus.FINISHED


def test_a_failure_while_running_becomes_the_status(
    shared_data: Path, tmp_path: Path, make_twin: Callable[..., Twin]
) -> None:
    # SUMO reads routes ahead in 200 s chunks: a broken vehicle departing at 900 s breaks the run midway
    twin = make_twin(_scenario_with_bad_route(tmp_path, shared_data, depart=900), until_s=1500.0)
    twin.runtime.start()
    assert twin.runtime.wait(60)
    snapshot = twin.runtime.snapshot()
    assert snapshot.status is TwinStatus.ERROR
    assert "nowhere" in (snapshot.error or "")
    assert 300 < snapshot.sim_seconds < 900
    assert twin.state.store.count_observations() > 0  # what was read before the failure was delivered
    with pytest.raises(TwinConflictError, match="error, not running"):
        twin.runtime.step()
