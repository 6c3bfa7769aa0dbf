"""Korea's standard node-link for Jeju: the centre's area, free-flow speeds joined by LINK_ID."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamna.core.errors import IngestError
from tamna.ingest.sources.jeju_nodelink.adapter import JEJU_CITY_BBOX, JejuNodeLink
from tests.ingest import samples


def test_the_centre_only_and_free_flow_where_measured(tmp_path: Path) -> None:
    read = JejuNodeLink().read(samples.jeju_nodelink(tmp_path))
    links = {link.id: link for link in read.network.links}
    assert sorted(links) == ["K1", "K2"]  # K3 runs to Seogwipo, outside the centre
    k1, k2 = links["K1"], links["K2"]
    assert k1.geometry == [(126.522, 33.513), (126.53, 33.51)]
    assert (k1.lanes, k1.length_m, k1.speed_limit_kmh, k1.freeflow_speed_kmh) == (2, 830.5, 60.0, 47.0)
    assert (k1.name, k1.road_class) == ("Jungang-ro", "103")
    assert (k2.speed_limit_kmh, k2.freeflow_speed_kmh, k2.name) == (None, None, None)  # 0 and "-" mean unknown
    assert sorted(node.id for node in read.network.nodes) == ["N1", "N2", "N3"]
    [rejection] = read.rejections
    assert rejection.position == 5
    assert "'x'" in rejection.reason


def test_no_bbox_takes_the_whole_island(tmp_path: Path) -> None:
    read = JejuNodeLink(bbox=None).read(samples.jeju_nodelink(tmp_path))
    assert sorted(link.id for link in read.network.links) == ["K1", "K2", "K3"]
    assert next(link for link in read.network.links if link.id == "K3").freeflow_speed_kmh == 70.0


def test_a_folder_without_the_extract_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Jeju_links.csv").write_text("LINK_ID\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"Jeju_nodes\.csv"):
        JejuNodeLink().read(tmp_path)


@pytest.mark.data
def test_jeju_city_centre(shared_data: Path) -> None:
    read = JejuNodeLink().read(shared_data / "jeju" / "road-network")
    network = read.network
    assert read.rejections == []
    assert len(network.links) == 1934
    assert network.dangling_links() == []
    west, south, east, north = JEJU_CITY_BBOX
    assert all(west <= node.lon <= east and south <= node.lat <= north for node in network.nodes)
    freeflow = [link.freeflow_speed_kmh for link in network.links if link.freeflow_speed_kmh is not None]
    assert len(freeflow) > 800
    assert all(30 <= speed <= 84 for speed in freeflow)  # the published range of the baseline
    assert sum(1 for link in network.links if link.reference_speed_kmh is None) < len(network.links) / 10


@pytest.mark.data
def test_free_flow_joins_as_documented_for_the_island(shared_data: Path) -> None:
    read = JejuNodeLink(bbox=None).read(shared_data / "jeju" / "road-network")
    # SOURCE.md of the baseline: 8,482 of its 8,522 keys match the 2023-05-19 link table
    assert sum(1 for link in read.network.links if link.freeflow_speed_kmh is not None) == 8482
    assert len(read.network.links) > 10_000
