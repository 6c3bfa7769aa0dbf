"""``tamna import observations|network|sensors``: what is printed, what is stored, and the exit codes."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pytest

from tamna.store import Store, open_store
from tests.cli.conftest import Tamna

SENSORS_CSV = """id,kind,link_id,lon,lat,name
s1,loop,L1,126.502,33.5001,Gwandeok loop
s2,radar,L1,,,
s3,,L2,,,
"""

OBSERVATIONS_CSV = """sensor_id,time,speed_kmh,flow_vph,occupancy_pct,quality
s1,2025-03-02T12:00:00Z,42.5,900,12.5,ok
s1,2025-03-02T12:05:00Z,38,,,
s2,2025-03-02T12:00:00+09:00,55,,,suspect
s3,2025-03-02T12:00:00Z,30,400,,
"""

NETWORK_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.50, 33.50], [126.51, 33.50]]},
            "properties": {"id": "L1", "from_node": "A", "to_node": "B", "lanes": 2, "speed_limit_kmh": 50},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.51, 33.50], [126.51, 33.51]]},
            "properties": {"id": "L2", "from_node": "B", "to_node": "C"},
        },
    ],
}

#: A hand-made SUMO network without a projection, as netgenerate writes them: two edges east, 100 m each.
UNPROJECTED_NET = """<?xml version="1.0" encoding="UTF-8"?>
<net version="1.9" junctionCornerDetail="5" limitTurnSpeed="5.50">
    <location netOffset="0.00,0.00" convBoundary="0.00,0.00,200.00,0.00" origBoundary="0.00,0.00,200.00,0.00"
              projParameter="!"/>
    <edge id=":J1_0" function="internal">
        <lane id=":J1_0_0" index="0" speed="13.89" length="0.10" shape="100.00,-1.60 100.00,-1.60"/>
    </edge>
    <edge id="E1" from="J0" to="J1" priority="-1">
        <lane id="E1_0" index="0" speed="13.89" length="100.00" shape="0.00,-1.60 100.00,-1.60"/>
    </edge>
    <edge id="E2" from="J1" to="J2" priority="-1" name="Harbour road">
        <lane id="E2_0" index="0" speed="16.67" length="100.00" shape="100.00,-4.80 200.00,-4.80"/>
        <lane id="E2_1" index="1" speed="16.67" length="100.00" shape="100.00,-1.60 200.00,-1.60"/>
    </edge>
    <junction id="J0" type="dead_end" x="0.00" y="0.00"/>
    <junction id="J1" type="priority" x="100.00" y="0.00"/>
    <junction id="J2" type="dead_end" x="200.00" y="0.00"/>
</net>
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _open(db: Path) -> Store:
    return open_store(str(db))


@pytest.fixture
def sensors_csv(tmp_path: Path) -> Path:
    return _write(tmp_path / "sensors.csv", SENSORS_CSV)


@pytest.fixture
def registered(tamna: Tamna, sensors_csv: Path) -> None:
    """s1, s2 and s3 registered through the CLI."""
    result = tamna("import", "sensors", sensors_csv)
    assert result.exit_code == 0, result.output


def test_import_sensors_from_csv(tamna: Tamna, db: Path, sensors_csv: Path, tmp_path: Path) -> None:
    result = tamna("import", "sensors", sensors_csv)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "sensors.csv (csv-sensors): 3 sensors stored, 0 refused"
    store = _open(db)
    try:
        assert [(s.id, s.kind.value, s.link_id, s.lon) for s in store.sensors()] == [
            ("s1", "loop", "L1", 126.502),
            ("s2", "radar", "L1", None),
            ("s3", "loop", "L2", None),
        ]
    finally:
        store.close()
    bad = _write(tmp_path / "bad-sensors.csv", SENSORS_CSV + "s4,laser,,,,\n")
    refused = tamna("import", "sensors", bad)
    assert refused.exit_code == 1
    assert "3 sensors stored, 1 refused" in refused.stdout
    assert "refused row 5: kind 'laser'" in refused.stderr
    assert tamna("import", "sensors", bad, "--allow-rejects").exit_code == 0


def test_clean_observations_import_exits_0(tamna: Tamna, db: Path, registered: None, tmp_path: Path) -> None:
    result = tamna("import", "observations", _write(tmp_path / "obs.csv", OBSERVATIONS_CSV))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "obs.csv: 4 records, 4 stored, 0 refused"
    assert result.stderr == ""
    store = _open(db)
    try:
        assert store.count_observations() == 4
        assert store.count_rejections() == 0
        latest = {s.sensor_id: s for s in store.latest_sensor_states()}
        assert latest["s2"].time.isoformat() == "2025-03-02T03:00:00+00:00"  # +09:00 converted to UTC
        assert latest["s1"].speed_kmh == pytest.approx(38.0)
    finally:
        store.close()


def test_an_observation_file_with_a_bad_row_exits_1(tamna: Tamna, db: Path, registered: None, tmp_path: Path) -> None:
    bad = _write(tmp_path / "obs.csv", OBSERVATIONS_CSV + "s1,2025-03-02T12:10:00Z,999,,,\n")
    result = tamna("import", "observations", bad)
    assert result.exit_code == 1
    assert result.stdout.strip() == "obs.csv: 5 records, 4 stored, 1 refused"
    assert "refused line 6: speed_kmh 999 is outside 0–250" in result.stderr
    store = _open(db)
    try:
        assert store.count_observations() == 4  # the good rows are stored all the same
        (letter,) = store.rejections()
        assert (letter.field, letter.value, letter.source) == ("speed_kmh", "999", "file:obs.csv")
    finally:
        store.close()
    allowed = tamna("import", "observations", bad, "--allow-rejects")
    assert allowed.exit_code == 0
    assert "1 refused" in allowed.stdout
    assert "refused line 6" in allowed.stderr


def test_unreadable_observation_files_are_clear_errors(tamna: Tamna, registered: None, tmp_path: Path) -> None:
    no_time = tamna("import", "observations", _write(tmp_path / "obs.csv", "sensor_id,speed_kmh\ns1,40\n"))
    assert no_time.exit_code == 2
    assert "error: obs.csv: missing column(s) time" in no_time.stderr
    wrong_kind = tamna("import", "observations", _write(tmp_path / "obs.xlsx", "x"))
    assert wrong_kind.exit_code == 2
    assert "unsupported observation file type '.xlsx'" in wrong_kind.stderr


@pytest.mark.parametrize("what", ["observations", "network", "sensors"])
def test_a_missing_file_is_a_clear_error_with_exit_code_2(tamna: Tamna, tmp_path: Path, what: str) -> None:
    missing = tmp_path / "nowhere" / "data.csv"
    result = tamna("import", what, missing)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no such file")
    assert str(missing) in result.stderr
    assert "Traceback" not in result.output


def test_import_a_geojson_network(tamna: Tamna, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    path.write_bytes(orjson.dumps(NETWORK_GEOJSON))
    result = tamna("import", "network", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "roads.geojson (geojson): 3 nodes, 2 links stored, 0 refused"
    store = _open(db)
    try:
        network = store.network()
        assert sorted(link.id for link in network.links) == ["L1", "L2"]
        assert sorted(node.id for node in network.nodes) == ["A", "B", "C"]
    finally:
        store.close()
    broken = _write(tmp_path / "broken.geojson", '{"type": "FeatureCollection", "features": [')
    refused = tamna("import", "network", broken)
    assert refused.exit_code == 2
    assert "error: broken.geojson: not valid JSON" in refused.stderr


def test_an_unprojected_sumo_network_needs_an_origin(tamna: Tamna, db: Path, tmp_path: Path) -> None:
    net = _write(tmp_path / "grid.net.xml", UNPROJECTED_NET)
    without = tamna("import", "network", net)
    assert without.exit_code == 2
    assert "no geographic projection" in without.stderr
    assert "--origin" in without.stderr
    bad_origin = tamna("import", "network", net, "--origin", "Jeju")
    assert bad_origin.exit_code == 2
    assert "--origin 'Jeju' is not LON,LAT" in bad_origin.stderr

    placed = tamna("import", "network", net, "--origin", "126.53,33.50")
    assert placed.exit_code == 0, placed.output
    assert placed.stdout.strip() == "grid.net.xml (sumo-net): 3 nodes, 2 links stored, 0 refused"
    store = _open(db)
    try:
        network = store.network()
    finally:
        store.close()
    nodes = {node.id: node for node in network.nodes}
    assert (nodes["J0"].lon, nodes["J0"].lat) == pytest.approx((126.53, 33.50))
    metres_per_degree = 6_371_008.8 * math.pi / 180 * math.cos(math.radians(33.5))
    assert (nodes["J2"].lon - 126.53) * metres_per_degree == pytest.approx(200.0, rel=1e-6)
    links = {link.id: link for link in network.links}
    assert not any(link_id.startswith(":") for link_id in links)  # internal edges are not roads
    assert (links["E2"].lanes, links["E2"].name, links["E2"].speed_limit_kmh) == (2, "Harbour road", 60.01)
    assert links["E1"].length_m == 100.0


@pytest.mark.data
def test_import_the_jeju_road_network(tamna: Tamna, db: Path, shared_data: Path) -> None:
    folder = shared_data / "jeju" / "road-network"
    if not (folder / "Jeju_links.csv").is_file():
        pytest.fail(f"{folder} lacks Jeju_links.csv; the shared data folder is incomplete", pytrace=False)
    result = tamna("import", "network", folder)
    assert result.exit_code == 0, result.output
    summary = result.stdout.strip()
    assert summary.startswith("road-network (jeju-nodelink): ")
    nodes, links = (int(part.split()[0]) for part in summary.split(": ", 1)[1].split(", ")[:2])
    assert summary.endswith(f"{nodes} nodes, {links} links stored, 0 refused")
    store = _open(db)
    try:
        network = store.network()
    finally:
        store.close()
    assert (len(network.nodes), len(network.links)) == (nodes, links)
    assert 1_000 < links < 12_075  # Jeju-si's centre of the island's 12,075 links
    assert network.dangling_links() == []
    for link in network.links:  # all inside the centre's box, ids of Jeju-si (405…)
        assert link.id.startswith("405")
        for lon, lat in link.geometry:
            assert 126.470 <= lon <= 126.540
            assert 33.475 <= lat <= 33.520
