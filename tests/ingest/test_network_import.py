"""Network and sensor imports through the adapters into the store, refused features into the dead letters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamna.core.errors import IngestError
from tamna.ingest.network import import_network, import_sensors
from tamna.store import Store
from tests.ingest import samples


def test_a_geojson_network_is_stored_and_its_bad_features_kept(store: Store, tmp_path: Path) -> None:
    outcome = import_network(store, samples.geojson_network(tmp_path))
    assert (outcome.source, outcome.nodes, outcome.links, outcome.rejected) == ("geojson", 4, 2, 5)
    assert sorted(link.id for link in store.network().links) == ["L1", "L2"]
    assert store.link("L1").geometry == [(126.5, 33.5), (126.505, 33.5004), (126.51, 33.5)]
    assert store.count_rejections() == 5
    assert {r.field for r in store.rejections(source="file:roads.geojson")} == {
        "lanes",
        "speed_limit_kmh",
        "record",
        "geometry",
    }


def test_an_unprojected_sumo_network_is_placed_at_the_given_origin(store: Store, tmp_path: Path) -> None:
    path = samples.sumo_net(tmp_path)
    with pytest.raises(IngestError, match="origin"):
        import_network(store, path)
    outcome = import_network(store, path, origin=samples.SUMO_ORIGIN)
    assert (outcome.source, outcome.links) == ("sumo-net", 2)
    assert store.link("E0").from_node == "J0"


def test_links_to_unknown_nodes_refuse_the_import(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.net.xml"
    path.write_text(samples.SUMO_NET.replace('from="J1" to="J2"', 'from="J1" to="J9"'), encoding="utf-8")
    with pytest.raises(IngestError, match=r"1 links end at unknown nodes, e\.g\. 'E1'"):
        import_network(store, path, origin=samples.SUMO_ORIGIN)
    assert store.network().links == []  # nothing half-imported


def test_a_missing_path_is_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        import_network(store, tmp_path / "absent.geojson")
    with pytest.raises(IngestError, match="no such file"):
        import_sensors(store, tmp_path / "absent.csv")


def test_sensors_are_registered_from_a_dataset_folder(store: Store, tmp_path: Path) -> None:
    outcome = import_sensors(store, samples.sensor_dataset(tmp_path))
    assert (outcome.source, outcome.sensors, outcome.rejected) == ("sensor-dataset", 3, 0)
    assert store.sensor_ids() == frozenset({"tiny-a", "tiny-b", "tiny-c"})
    assert store.sensor("tiny-a").lon == 126.52
