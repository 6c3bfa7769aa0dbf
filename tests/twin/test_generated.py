"""The generated city: the same seed gives the same files; 30–60 signals, arterials wider and faster than local
streets, four bus lines with stops, detectors on the signalised approaches, placed on the globe; it runs without
gridlock."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from tamna.domain.vehicles import VehicleKind
from tamna.ingest.geo import haversine_m
from tamna.twin.build.generated import build_generated_city
from tamna.twin.geo import DEFAULT_ORIGIN
from tamna.twin.netfile import read_net
from tamna.twin.scenario import load_scenario
from tamna.twin.status import TwinStatus
from tests.twin.conftest import Twin


def files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_same_seed_builds_the_same_city(generated_city: Path, tmp_path: Path) -> None:
    again = build_generated_city(tmp_path / "again", seed=1)
    assert again.name == generated_city.name == "generated-1.sumocfg"
    assert files(again.parent) == files(generated_city.parent)
    other = build_generated_city(tmp_path / "other", seed=2)
    assert (other.parent / "generated-2.net.xml").read_bytes() == (again.parent / "generated-1.net.xml").read_bytes()
    assert (other.parent / "cars.rou.xml").read_bytes() != (again.parent / "cars.rou.xml").read_bytes()


def test_a_built_city_is_reused(generated_city: Path) -> None:
    stamps = {path.name: path.stat().st_mtime_ns for path in generated_city.parent.iterdir()}
    assert build_generated_city(generated_city.parent, seed=1) == generated_city
    assert {path.name: path.stat().st_mtime_ns for path in generated_city.parent.iterdir()} == stamps


def test_the_city_has_signals_arterials_bus_lines_and_detectors(generated_city: Path) -> None:
    scenario = load_scenario(generated_city)
    net = read_net(scenario.net_file)
    assert 30 <= net.signals <= 60
    assert net.projection.geographic
    root = ET.parse(scenario.net_file).getroot()
    edges = {e.get("id"): e for e in root.iter("edge") if e.get("function") is None}
    arterial = [e for e in edges.values() if e.get("type") == "arterial"]
    local = [e for e in edges.values() if e.get("type") == "local"]
    assert arterial and local
    lanes = {kind: {len(e.findall("lane")) for e in group} for kind, group in (("a", arterial), ("l", local))}
    speeds = {
        kind: {float(e.find("lane").get("speed", "0")) for e in group}
        for kind, group in (("a", arterial), ("l", local))
    }
    assert min(lanes["a"]) > max(lanes["l"])
    assert min(speeds["a"]) > max(speeds["l"])
    # centred on the shared origin
    lon, lat = net.projection.lonlat(0.0, 0.0)
    assert haversine_m(DEFAULT_ORIGIN, (lon, lat)) < 1.0

    stops = {s.get("id"): s.get("lane") for s in ET.parse(scenario.folder / "stops.add.xml").getroot().iter("busStop")}
    buses = ET.parse(scenario.folder / "buses.rou.xml").getroot()
    lines = {flow.get("line") for flow in buses.iter("flow")}
    assert lines == {"1", "2", "3", "4"}
    for route in buses.iter("route"):
        route_edges = (route.get("edges") or "").split()
        for stop in route.iter("stop"):
            assert stops[stop.get("busStop")].rsplit("_", 1)[0] in route_edges
        assert len(list(route.iter("stop"))) >= 3

    detectors = list(ET.parse(scenario.folder / "detectors.add.xml").getroot().iter("inductionLoop"))
    assert len(detectors) == len(net.signal_lanes) and {d.get("lane") for d in detectors} == set(net.signal_lanes)


def test_the_city_runs_free_of_gridlock_with_buses(generated_city: Path, make_twin: Callable[..., Twin]) -> None:
    twin = make_twin(load_scenario(generated_city), until_s=25200.0 + 900)
    kinds: set[VehicleKind] = set()
    twin.state.bus.subscribe(
        "vehicles.positions", lambda event: kinds.update(VehicleKind(p["kind"]) for p in event.payload["positions"])
    )
    summary = twin.runtime.run()
    assert summary.status is TwinStatus.FINISHED
    assert summary.teleports == 0
    assert summary.departed > 400 and summary.arrived > 0.6 * summary.departed
    assert summary.positions > 0 and kinds == {VehicleKind.BUS}
    assert summary.records_stored == summary.readings == 15 * len(twin.setup.detectors)
    assert not twin.setup.generated  # the city brings its own loops
