"""SUMO networks: an unprojected sample placed at an origin, and RESCO's real networks projected to WGS84."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tamna.core.errors import IngestError
from tamna.ingest.geo import haversine_m
from tamna.ingest.sources.sumo_net.adapter import SumoNetwork
from tests.ingest import samples


def test_an_unprojected_network_is_placed_at_its_origin(tmp_path: Path) -> None:
    read = SumoNetwork(origin=samples.SUMO_ORIGIN).read(samples.sumo_net(tmp_path))
    nodes = {node.id: node for node in read.network.nodes}
    assert sorted(nodes) == ["J0", "J1", "J2"]  # the internal junction is not a node
    # J1 sits at x=100, y=0 and the net offset is (100, 200): 200 m south of the origin, on its meridian
    lon0, lat0 = samples.SUMO_ORIGIN
    assert nodes["J1"].lon == pytest.approx(lon0, abs=1e-9)
    assert nodes["J1"].lat == pytest.approx(lat0 - math.degrees(200 / 6_371_008.8), abs=1e-9)
    assert haversine_m((nodes["J0"].lon, nodes["J0"].lat), (nodes["J1"].lon, nodes["J1"].lat)) == pytest.approx(
        100, abs=0.01
    )
    assert nodes["J1"].kind == "traffic_light"
    assert read.rejections == []


def test_road_edges_become_links_and_footpaths_do_not(tmp_path: Path) -> None:
    read = SumoNetwork(origin=samples.SUMO_ORIGIN).read(samples.sumo_net(tmp_path))
    links = {link.id: link for link in read.network.links}
    assert sorted(links) == ["E0", "E1"]
    e0, e1 = links["E0"], links["E1"]
    assert (e0.from_node, e0.to_node, e0.lanes, e0.length_m) == ("J0", "J1", 2, 100.0)
    assert e0.speed_limit_kmh == pytest.approx(50.0, abs=0.01)  # 13.89 m/s
    assert (e0.name, e0.road_class) == ("Main Street", "highway.primary")
    assert len(e0.geometry) == 2
    assert len(e1.geometry) == 3  # the edge's own shape, with its bend
    assert e1.geometry[1][1] > e1.geometry[0][1]  # the bend is 20 m north
    assert e1.speed_limit_kmh == 29.99  # 8.33 m/s, rounded to 0.01 km/h


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<net><edge", "not a readable SUMO network"),
        ("<routes/>", "not <net>"),
        ("<net><edge id='E'/></net>", "no <location>"),
    ],
)
def test_files_that_are_not_networks_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "odd.net.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        SumoNetwork(origin=samples.SUMO_ORIGIN).read(path)


@pytest.mark.data
def test_resco_cologne1_is_projected_to_cologne(shared_data: Path) -> None:
    read = SumoNetwork().read(shared_data / "sumo" / "cologne1" / "cologne1.net.xml")
    assert read.rejections == []
    assert len(read.network.links) >= 8
    assert read.network.dangling_links() == []
    points = [point for link in read.network.links for point in link.geometry]
    assert all(6.85 < lon < 6.95 and 50.88 < lat < 50.98 for lon, lat in points)
    assert all(link.speed_limit_kmh is not None for link in read.network.links)


@pytest.mark.data
@pytest.mark.parametrize("name", ["cologne3", "cologne8", "grid4x4", "arterial4x4"])
def test_every_resco_network_reads_cleanly(shared_data: Path, name: str) -> None:
    read = SumoNetwork(origin=samples.SUMO_ORIGIN).read(shared_data / "sumo" / name / f"{name}.net.xml")
    assert read.rejections == []
    assert len(read.network.links) >= 40
    assert read.network.dangling_links() == []
    lon, lat = read.network.nodes[0].lon, read.network.nodes[0].lat
    near = (6.95, 50.95) if name.startswith("cologne") else samples.SUMO_ORIGIN
    assert haversine_m((lon, lat), near) < 5_000
