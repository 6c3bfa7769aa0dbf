"""The Jeju twin builder on the real data: one build per session (~15–20 s on 2 cores), then checks of what it
wrote and a short libsumo run."""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tamna.twin.build.jeju import TwinBuildError, build_jeju, read_summary

pytestmark = pytest.mark.data

HANGUL = re.compile(r"[가-힣]")
#: Links of the node-link in the centre, with their road names and measured free-flow speeds (road-baseline.json).
KNOWN_LINKS = {"4050017700": ("연삼로", "49"), "4050023701": ("서광로", "33"), "4050007300": ("중앙로", None)}
#: What netconvert's blanket ``--tls.guess`` produced for the centre (notes/jeju-twin.md).
BLANKET_GUESS_SIGNALS = 399


def _data() -> Path:
    override = os.environ.get("TAMNA_DATA")
    folder = Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not (folder / "jeju" / "road-network").is_dir():
        pytest.fail(
            f"the shared data folder {folder} (with jeju/road-network) is missing; set TAMNA_DATA or deselect "
            "with -m 'not data'",
            pytrace=False,
        )
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The default build (centre, seed 1) and how long it took."""
    started = time.perf_counter()
    config = build_jeju(_data(), tmp_path_factory.mktemp("jeju") / "scenario")
    return config, time.perf_counter() - started


@pytest.fixture(scope="module")
def net(built: tuple[Path, float]) -> Any:
    import sumolib

    return sumolib.net.readNet(str(built[0].parent / "jeju.net.xml"), withPrograms=True)


def _root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_build_writes_a_complete_scenario(built: tuple[Path, float]) -> None:
    config, seconds = built
    assert config.name == "jeju.sumocfg"
    folder = config.parent
    for name in ("jeju.net.xml", "detectors.add.xml", "busstops.add.xml", "buses.rou.xml", "cars.rou.xml"):
        assert (folder / name).stat().st_size > 0, name
    options = {child.tag: child.get("value") for section in _root(config) for child in section}
    assert options["net-file"] == "jeju.net.xml"
    assert options["begin"] == "21600"
    assert options["end"] == "36000"
    assert int(options["time-to-teleport"]) > 0
    assert seconds < 120, f"the Jeju build took {seconds:.0f} s"


def test_edges_are_node_link_links_with_korean_names_speeds_and_geography(net: Any) -> None:
    for link_id, (name, freeflow) in KNOWN_LINKS.items():
        edge = net.getEdge(link_id)
        assert edge.getName() == name
        assert edge.getParam("freeflow_speed_kmh") == freeflow
        assert edge.getParam("road_rank") in {"106", "107"}
    named = [e for e in net.getEdges() if HANGUL.search(e.getName() or "")]
    assert len(named) > 0.9 * len(net.getEdges())
    # The projection round-trips: a link's start lies where the node-link puts its start node.
    nodes = {}
    with (_data() / "jeju" / "road-network" / "Jeju_nodes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            nodes[row["Id"]] = (float(row["longitude"]), float(row["latitude"]))
    with (_data() / "jeju" / "road-network" / "Jeju_links.csv").open(encoding="utf-8") as handle:
        source = {row["LINK_ID"]: row["Source"] for row in csv.DictReader(handle)}
    edge = net.getEdge("4050017700")
    lon, lat = net.convertXY2LonLat(*edge.getFromNode().getCoord())
    expected = nodes[source["4050017700"]]
    assert abs(lon - expected[0]) < 2e-4
    assert abs(lat - expected[1]) < 2e-4


def test_signals_follow_the_register(built: tuple[Path, float], net: Any) -> None:
    signals = read_summary(built[0])["signals"]
    assert isinstance(signals, dict)
    lights = len(net.getTrafficLights())
    assert lights == signals["signals"]
    # The register puts ~250 of its 1,025 installations in the centre; at most a handful of big crossings are
    # added, a few mid-block crossings find no node to sit on.
    assert 150 <= signals["register_in_area"] <= 400
    assert 0.85 * signals["register_in_area"] <= lights <= signals["register_in_area"] + 10
    assert lights < 0.75 * BLANKET_GUESS_SIGNALS
    assert signals["placed_by_address"] + signals["placed_by_lot_number"] > 0.7 * signals["placed"]
    programs = [p for tls in net.getTrafficLights() for p in tls.getPrograms().values()]
    assert all(any("r" in phase.state.lower() for phase in p.getPhases()) for p in programs)


def test_detectors_cover_every_signalised_approach_lane(built: tuple[Path, float], net: Any) -> None:
    loops = {d.get("lane"): d for d in _root(built[0].parent / "detectors.add.xml").iter("inductionLoop")}
    approaches = {conn[0].getID() for tls in net.getTrafficLights() for conn in tls.getConnections()}
    assert approaches
    assert set(loops) == approaches
    for lane_id, loop in loops.items():
        assert loop.get("id") == f"e1_{lane_id}"
        assert 0 <= float(loop.get("pos", "-1")) <= net.getLane(lane_id).getLength()
    assert read_summary(built[0])["detectors"] == len(loops)


def test_bus_stops_keep_korean_names_and_lines_serve_them(built: tuple[Path, float], net: Any) -> None:
    folder = built[0].parent
    stops = {s.get("id"): s for s in _root(folder / "busstops.add.xml").iter("busStop")}
    bus = read_summary(built[0])["bus"]
    assert isinstance(bus, dict)
    assert len(stops) == bus["stops_matched"] >= 0.8 * bus["stops_in_area"] > 400
    assert all(HANGUL.search(s.get("name", "")) for s in stops.values())
    assert "제주버스터미널" in {s.get("name") for s in stops.values()}
    for stop in stops.values():
        lane = net.getLane(stop.get("lane"))
        assert lane.allows("bus")
        assert 0 <= float(stop.get("startPos", "-1")) < float(stop.get("endPos", "-1")) <= lane.getLength() + 0.01
    routes = _root(folder / "buses.rou.xml")
    assert {t.get("vClass") for t in routes.iter("vType")} == {"bus"}
    flows = list(routes.iter("flow"))
    assert len(flows) >= 10
    assert all(int(f.get("period", "0")) <= 900 for f in flows)
    for route in routes.iter("route"):
        edges = route.get("edges", "").split()
        served = [stops[s.get("busStop")].get("lane", "").rsplit("_", 1)[0] for s in route.iter("stop")]
        assert len(served) >= 8
        positions = [edges.index(edge) for edge in served]
        assert positions == sorted(positions), route.get("id")
        for a, b in itertools.pairwise(edges):
            assert net.getEdge(b) in net.getEdge(a).getOutgoing(), (route.get("id"), a, b)


def test_bus_lines_are_exported_as_gtfs_through_the_registers_stops(built: tuple[Path, float]) -> None:
    """The twin's GTFS passes Tamna's validator; its stops are the register's: BIS station ids, Korean names and
    the surveyed positions (not the lane positions they were snapped to)."""
    from tamna.transit.gtfs.importer import load_feed

    folder = built[0].parent / "gtfs"
    loaded = load_feed(folder, feed_id="twin-jeju")
    print(loaded.report.render())
    assert loaded.report.errors == 0
    with (_data() / "jeju" / "bus-stops" / "jeju_bus_stops_20221101.utf8.csv").open(encoding="utf-8") as handle:
        register = {row["정류소아이디"]: row for row in csv.DictReader(handle)}
    with (folder / "stops.txt").open(encoding="utf-8") as handle:
        stops = list(csv.DictReader(handle))
    assert len(stops) >= 100
    for stop in stops:
        real = register[stop["stop_id"]]
        assert stop["stop_name"] == real["정류소명"].strip()  # the register pads a few names
        assert HANGUL.search(stop["stop_name"])
        assert abs(float(stop["stop_lon"]) - float(real["경도"])) < 1e-6
        assert abs(float(stop["stop_lat"]) - float(real["위도"])) < 1e-6
    with (folder / "routes.txt").open(encoding="utf-8") as handle:
        lines = {row["route_id"] for row in csv.DictReader(handle)}
    assert lines == {flow.get("line") for flow in _root(built[0].parent / "buses.rou.xml").iter("flow")}


def test_demand_has_a_morning_peak(built: tuple[Path, float]) -> None:
    departures = [float(v.get("depart", "0")) for v in _root(built[0].parent / "cars.rou.xml").iter("vehicle")]
    per_hour = {h: sum(1 for d in departures if h * 3600 <= d < (h + 1) * 3600) for h in range(6, 10)}
    assert per_hour[8] > 2 * per_hour[6]
    assert per_hour[7] > per_hour[6]
    assert per_hour[9] < per_hour[8]
    assert len(departures) == read_summary(built[0])["cars_routed"]


def test_short_run_moves_traffic_without_mass_teleporting(built: tuple[Path, float]) -> None:
    import libsumo

    libsumo.start(["sumo", "-c", str(built[0]), "--end", str(6 * 3600 + 600)])
    try:
        departed = teleports = 0
        speeds: list[float] = []
        while libsumo.simulation.getTime() < 6 * 3600 + 600:
            libsumo.simulationStep()
            departed += libsumo.simulation.getDepartedNumber()
            teleports += libsumo.simulation.getStartingTeleportNumber()
            if int(libsumo.simulation.getTime()) % 60 == 0:
                speeds += [libsumo.vehicle.getSpeed(v) for v in libsumo.vehicle.getIDList()]
        running = libsumo.vehicle.getIDCount()
        buses = [v for v in libsumo.vehicle.getIDList() if libsumo.vehicle.getVehicleClass(v) == "bus"]
    finally:
        libsumo.close()
    assert departed > 500
    assert running > 200
    assert buses
    assert sum(speeds) / len(speeds) > 4.0  # m/s, signals and queues included
    assert teleports <= 0.01 * departed


def test_rebuild_reuses_the_folder(built: tuple[Path, float]) -> None:
    net_file = built[0].parent / "jeju.net.xml"
    before = net_file.stat().st_mtime_ns
    started = time.perf_counter()
    assert build_jeju(_data(), built[0].parent) == built[0]
    assert time.perf_counter() - started < 5
    assert net_file.stat().st_mtime_ns == before


def test_same_seed_same_scenario(tmp_path: Path) -> None:
    # Two light builds (a tenth of the default demand) keep this test short; the code path is the default one.
    first = build_jeju(_data(), tmp_path / "a", peak_vph=1500)
    again = build_jeju(_data(), tmp_path / "b", peak_vph=1500)
    other = build_jeju(_data(), tmp_path / "c", peak_vph=1500, seed=2)

    def digest(path: Path) -> str:
        # SUMO's tools head every file with a comment holding the date and the absolute paths; skip it.
        text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), count=1, flags=re.DOTALL)
        return hashlib.sha256(text.encode()).hexdigest()

    for name in ("jeju.net.xml", "cars.rou.xml", "buses.rou.xml", "busstops.add.xml", "detectors.add.xml"):
        assert digest(again.parent / name) == digest(first.parent / name), name
    assert digest(other.parent / "cars.rou.xml") != digest(first.parent / "cars.rou.xml")


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TwinBuildError, match="missing"):
        build_jeju(tmp_path / "nothing", tmp_path / "out")


def test_refuses_to_write_into_the_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "jeju").mkdir(parents=True)
    with pytest.raises(TwinBuildError, match="inside the input data"):
        build_jeju(data, data / "jeju" / "twin")
