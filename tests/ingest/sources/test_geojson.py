"""GeoJSON networks and sensors: geometry and properties as given, bad features refused by field and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamna.core.errors import IngestError
from tamna.ingest.sources.geojson.adapter import GeoJsonNetwork, GeoJsonSensors
from tests.ingest import samples


def test_links_keep_their_properties_and_curved_geometry(tmp_path: Path) -> None:
    read = GeoJsonNetwork().read(samples.geojson_network(tmp_path))
    links = {link.id: link for link in read.network.links}
    l1 = links["L1"]
    assert l1.geometry == [(126.5, 33.5), (126.505, 33.5004), (126.51, 33.5)]
    assert (l1.from_node, l1.to_node, l1.lanes) == ("A", "B", 2)
    assert (l1.speed_limit_kmh, l1.freeflow_speed_kmh, l1.name, l1.road_class) == (50.0, 55.5, "Jungang-ro", "101")
    # no length given: measured along the line (0.01° of latitude is 1,111.95 km / 1,000)
    assert links["L2"].length_m == pytest.approx(1111.95, abs=0.01)
    assert links["L2"].lanes == 1


def test_link_ends_become_nodes(tmp_path: Path) -> None:
    read = GeoJsonNetwork().read(samples.geojson_network(tmp_path))
    nodes = {node.id: node for node in read.network.nodes}
    assert nodes["A"].name == "Gwandeokjeong"  # the Point feature wins over the line's end
    assert (nodes["B"].lon, nodes["B"].lat) == (126.51, 33.5)
    l2 = next(link for link in read.network.links if link.id == "L2")
    assert (l2.from_node, l2.to_node) == ("pt:126.510000,33.500000", "pt:126.510000,33.510000")
    assert read.network.dangling_links() == []


def test_bad_features_are_refused_naming_the_field(tmp_path: Path) -> None:
    read = GeoJsonNetwork().read(samples.geojson_network(tmp_path))
    found = [(r.position, r.field, r.value) for r in read.rejections]
    assert found == [
        (3, "lanes", "0"),
        (4, "speed_limit_kmh", "fast"),
        (5, "record", None),
        (6, "geometry", None),
        (7, "geometry", None),
    ]
    reasons = [r.reason for r in read.rejections]
    assert "greater than or equal to 1" in reasons[0]
    assert "'fast'" in reasons[1]
    assert "no id" in reasons[2]
    assert "'Polygon'" in reasons[3]
    assert all(r.source == "file:roads.geojson" for r in read.rejections)
    assert read.rejections[0].record is not None
    assert '"bad-lanes"' in read.rejections[0].record


def test_coordinates_off_the_globe_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "far.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "X"},'
        '"geometry": {"type": "LineString", "coordinates": [[126.5, 33.5], [226.5, 33.5]]}}]}',
        encoding="utf-8",
    )
    [rejection] = GeoJsonNetwork().read(path).rejections
    assert rejection.field == "geometry"
    assert "226.5" in rejection.reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "Feature", "geometry": null}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": {}}', "'features' is not a list"),
    ],
)
def test_a_file_that_is_not_a_feature_collection_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "odd.geojson"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        GeoJsonNetwork().read(path)


def test_sensors_from_points(tmp_path: Path) -> None:
    read = GeoJsonSensors().read(samples.geojson_sensors(tmp_path))
    g1, g2 = read.sensors
    assert (g1.id, g1.kind.value, g1.link_id, g1.lon, g1.lat, g1.name) == (
        "g1",
        "radar",
        "L1",
        126.502,
        33.5002,
        "radar 1",
    )
    assert (g2.id, g2.kind.value, g2.link_id) == ("g2", "loop", None)  # the feature id, the default kind
    [rejection] = read.rejections
    assert (rejection.field, rejection.value, rejection.position) == ("kind", "laser", 2)
