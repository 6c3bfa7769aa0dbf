"""The OpenStreetMap twin builder: a tiny synthetic extract made here (no data needed), a real Seoul district
extract (``data``), and broken inputs."""

from __future__ import annotations

import hashlib
import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tamna.twin.build.osm import TwinBuildError, build_from_osm, read_summary

#: Grid spacing of the synthetic city, in degrees (~250 m north-south, ~200 m east-west at 37.5° N).
STEP_DEG = 0.00225


def synthetic_osm(path: Path) -> Path:
    """A 4 × 4 grid near Seoul: two primary and two secondary roads crossing at signal nodes, residential streets
    around them, a footway (which must not become a road), and a bus line with one stop."""
    lat0, lon0 = 37.5, 126.95
    nodes, ways = [], []

    def node_id(i: int, j: int) -> int:
        return 1000 + 10 * i + j

    for i in range(4):
        for j in range(4):
            tag = '<tag k="highway" v="traffic_signals"/>' if 0 < i < 3 and 0 < j < 3 else ""
            nodes.append(
                f'<node id="{node_id(i, j)}" lat="{lat0 + i * STEP_DEG:.7f}" lon="{lon0 + j * STEP_DEG:.7f}">{tag}</node>'  # noqa: E501
            )
    stop_lat, stop_lon = lat0 + STEP_DEG, lon0 + STEP_DEG / 2
    nodes.append(
        f'<node id="5001" lat="{stop_lat:.7f}" lon="{stop_lon:.7f}"><tag k="public_transport" v="stop_position"/>'
        '<tag k="bus" v="yes"/><tag k="name" v="시청앞"/></node>'
    )
    nodes.append(
        f'<node id="5000" lat="{stop_lat + 0.00008:.7f}" lon="{stop_lon:.7f}"><tag k="highway" v="bus_stop"/>'
        '<tag k="public_transport" v="platform"/><tag k="name" v="시청앞"/></node>'
    )
    for i in range(4):
        kind = "primary" if i in (1, 2) else "residential"
        refs = "".join(
            f'<nd ref="{node_id(i, j)}"/>' + ('<nd ref="5001"/>' if (i, j) == (1, 0) else "") for j in range(4)
        )
        ways.append(f'<way id="{100 + i}">{refs}<tag k="highway" v="{kind}"/><tag k="name" v="가로{i}길"/></way>')
    for j in range(4):
        kind = "secondary" if j in (1, 2) else "residential"
        refs = "".join(f'<nd ref="{node_id(i, j)}"/>' for i in range(4))
        ways.append(f'<way id="{104 + j}">{refs}<tag k="highway" v="{kind}"/><tag k="name" v="세로{j}길"/></way>')
    ways.append(
        f'<way id="200"><nd ref="{node_id(0, 0)}"/><nd ref="{node_id(1, 1)}"/><tag k="highway" v="footway"/></way>'
    )
    relation = (
        '<relation id="9000"><member type="node" ref="5001" role="stop"/><member type="node" ref="5000" role="platform"/>'  # noqa: E501
        '<member type="way" ref="101" role=""/><tag k="type" v="route"/><tag k="route" v="bus"/><tag k="ref" v="7"/>'
        '<tag k="name" v="7번"/></relation>'
    )
    text = "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<osm version="0.6" generator="tamna-test">',
            f'<bounds minlat="{lat0 - 0.001}" minlon="{lon0 - 0.001}" maxlat="{lat0 + 0.008}" maxlon="{lon0 + 0.008}"/>',  # noqa: E501
            *nodes,
            *ways,
            relation,
            "</osm>",
        ]
    )
    path.write_text(text, encoding="utf-8")
    return path


def _run(config: Path, seconds: int) -> dict[str, float]:
    import libsumo

    libsumo.start(["sumo", "-c", str(config), "--end", str(6 * 3600 + seconds)])
    try:
        departed = teleports = arrived = 0
        speeds: list[float] = []
        while libsumo.simulation.getTime() < 6 * 3600 + seconds:
            libsumo.simulationStep()
            departed += libsumo.simulation.getDepartedNumber()
            arrived += libsumo.simulation.getArrivedNumber()
            teleports += libsumo.simulation.getStartingTeleportNumber()
            speeds += [libsumo.vehicle.getSpeed(v) for v in libsumo.vehicle.getIDList()]
    finally:
        libsumo.close()
    return {
        "departed": departed,
        "arrived": arrived,
        "teleports": teleports,
        "mean_speed": sum(speeds) / max(1, len(speeds)),
    }


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("osm")
    return build_from_osm(synthetic_osm(folder / "grid.osm"), folder / "scenario")


def test_synthetic_extract_builds_a_runnable_scenario(synthetic: Path) -> None:
    import sumolib

    folder = synthetic.parent
    net = sumolib.net.readNet(str(folder / "osm.net.xml"), withPrograms=True)
    assert net.hasGeoProj()
    names = {e.getName() for e in net.getEdges()}
    assert {"가로1길", "세로2길"} <= names
    # The footway is gone; sidewalks are lanes of the roads, never edges of their own.
    assert all(e.allows("passenger") or e.allows("bus") for e in net.getEdges())
    assert len(net.getTrafficLights()) >= 1
    loops = {d.get("lane") for d in ET.parse(folder / "detectors.add.xml").getroot().iter("inductionLoop")}
    approaches = {c[0].getID() for t in net.getTrafficLights() for c in t.getConnections() if c[0].allows("passenger")}
    assert loops == approaches
    stops = list(ET.parse(folder / "ptstops.add.xml").getroot().iter("busStop"))
    assert [s.get("name") for s in stops] == ["시청앞"]
    summary = read_summary(synthetic)
    assert summary["bus_stops"] == 1
    assert summary["cars_routed"] > 0
    stats = _run(synthetic, 900)
    assert stats["departed"] > 0
    assert stats["arrived"] > 0
    assert stats["teleports"] <= 0.05 * stats["departed"]


def test_same_seed_same_scenario_and_reuse(synthetic: Path, tmp_path: Path) -> None:
    osm = synthetic.parent.parent / "grid.osm"
    again = build_from_osm(osm, tmp_path / "again")

    def digest(path: Path) -> str:
        text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), count=1, flags=re.DOTALL)
        return hashlib.sha256(text.encode()).hexdigest()

    for name in ("osm.net.xml", "cars.rou.xml", "detectors.add.xml"):
        assert digest(again.parent / name) == digest(synthetic.parent / name), name
    other = build_from_osm(osm, tmp_path / "other", seed=2)
    assert digest(other.parent / "cars.rou.xml") != digest(synthetic.parent / "cars.rou.xml")
    before = (again.parent / "osm.net.xml").stat().st_mtime_ns
    started = time.perf_counter()
    assert build_from_osm(osm, tmp_path / "again") == again
    assert time.perf_counter() - started < 2
    assert (again.parent / "osm.net.xml").stat().st_mtime_ns == before


def test_garbage_is_a_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.osm"
    garbage.write_bytes(b"\x00\x01 this is not a map at all")
    with pytest.raises(TwinBuildError, match="not an OpenStreetMap"):
        build_from_osm(garbage, tmp_path / "out")
    with pytest.raises(TwinBuildError, match="does not exist"):
        build_from_osm(tmp_path / "missing.osm", tmp_path / "out")


def test_broken_xml_reports_netconvert_stderr(tmp_path: Path) -> None:
    broken = tmp_path / "broken.osm"
    broken.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6">\n<node id="1" lat="37.5" lon="126.9">\n<way id=', "utf-8"
    )
    with pytest.raises(TwinBuildError, match="netconvert") as caught:
        build_from_osm(broken, tmp_path / "out")
    assert "rror" in str(caught.value)  # netconvert's own message is in the error
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_extract_without_roads_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "buildings.osm"
    empty.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        '<node id="1" lat="37.5" lon="126.9"/><node id="2" lat="37.5005" lon="126.9"/>'
        '<node id="3" lat="37.5005" lon="126.9005"/>'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/></way>\n</osm>\n',
        "utf-8",
    )
    with pytest.raises(TwinBuildError):
        build_from_osm(empty, tmp_path / "out")


def _data() -> Path:
    override = os.environ.get("TAMNA_DATA")
    folder = Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not (folder / "osm" / "seoul-dongjak" / "cauH.osm").is_file():
        pytest.fail(
            f"the shared data folder {folder} (with osm/seoul-dongjak/cauH.osm) is missing; set TAMNA_DATA or "
            "deselect with -m 'not data'",
            pytrace=False,
        )
    return folder


@pytest.mark.data
def test_seoul_dongjak_extract_builds_and_runs(tmp_path: Path) -> None:
    import sumolib

    config = build_from_osm(_data() / "osm" / "seoul-dongjak" / "cauH.osm", tmp_path / "dongjak")
    net = sumolib.net.readNet(str(config.parent / "osm.net.xml"), withPrograms=True)
    assert net.hasGeoProj()
    lon, lat = net.convertXY2LonLat(*net.getNodes()[0].getCoord())
    assert 126.93 < lon < 126.97
    assert 37.48 < lat < 37.52
    assert any(re.search(r"[가-힣]", e.getName() or "") for e in net.getEdges())
    summary = read_summary(config)
    assert summary["traffic_lights"] == len(net.getTrafficLights()) >= 1
    assert summary["detectors"] > 0
    assert summary["cars_routed"] > 100
    stats = _run(config, 600)
    assert stats["departed"] > 30  # 06:00-06:10 is before the peak: a light but moving start
    assert stats["mean_speed"] > 3.0
    assert stats["teleports"] <= 0.02 * stats["departed"]
