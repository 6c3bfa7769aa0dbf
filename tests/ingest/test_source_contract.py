"""The checks every registered source adapter passes, discovered from the registries. A new adapter must add a
sample below (the completeness test fails until it does), then gets every check for free."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tamna.core.errors import IngestError
from tamna.ingest.sources import (
    NetworkRead,
    NetworkSource,
    SensorRead,
    SensorSource,
    all_network_sources,
    all_sensor_sources,
)
from tamna.ingest.sources.sumo_net.adapter import SumoNetwork
from tests.ingest import samples

NETWORK_SOURCES = {source.name: source for source in all_network_sources()}
SENSOR_SOURCES = {source.name: source for source in all_sensor_sources()}

#: name → (write a sample into a folder, links or sensors the sample must yield, rejections it must yield)
NETWORK_SAMPLES: dict[str, tuple[Callable[[Path], Path], set[str], int]] = {
    "geojson": (samples.geojson_network, {"L1", "L2"}, 5),
    "sumo-net": (samples.sumo_net, {"E0", "E1"}, 0),
    "jeju-nodelink": (samples.jeju_nodelink, {"K1", "K2"}, 1),
}
SENSOR_SAMPLES: dict[str, tuple[Callable[[Path], Path], set[str], int]] = {
    "geojson-sensors": (samples.geojson_sensors, {"g1", "g2"}, 1),
    "csv-sensors": (samples.csv_sensors, {"c1", "c2"}, 2),
    "sensor-dataset": (samples.sensor_dataset, {"tiny-a", "tiny-b", "tiny-c"}, 0),
}


def network_source(name: str) -> NetworkSource:
    """The registered adapter, placed at an origin when it needs one to read an unprojected sample."""
    if name == "sumo-net":
        return SumoNetwork(origin=samples.SUMO_ORIGIN)
    return NETWORK_SOURCES[name]


def test_every_adapter_has_a_unique_name_and_a_description() -> None:
    adapters: list[NetworkSource | SensorSource] = [*all_network_sources(), *all_sensor_sources()]
    names = [adapter.name for adapter in adapters]
    assert len(names) == len(set(names)), names
    for adapter in adapters:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", adapter.name), adapter.name
        assert len(adapter.description.strip()) >= 10, adapter.name


def test_every_adapter_has_a_contract_sample() -> None:
    assert set(NETWORK_SAMPLES) == set(NETWORK_SOURCES)
    assert set(SENSOR_SAMPLES) == set(SENSOR_SOURCES)


@pytest.mark.parametrize("name", sorted(NETWORK_SAMPLES))
def test_a_network_adapter_reads_its_sample(name: str, tmp_path: Path) -> None:
    write, expected_links, expected_rejections = NETWORK_SAMPLES[name]
    path = write(tmp_path)
    source = network_source(name)
    assert source.accepts(path)
    read = source.read(path)
    assert isinstance(read, NetworkRead)
    assert {link.id for link in read.network.links} == expected_links
    assert read.network.dangling_links() == []
    assert len({node.id for node in read.network.nodes}) == len(read.network.nodes)
    assert all(link.length_m > 0 and len(link.geometry) >= 2 for link in read.network.links)
    assert len(read.rejections) == expected_rejections
    for rejection in read.rejections:
        assert rejection.field, rejection
        assert rejection.reason, rejection
        assert rejection.source.startswith("file:"), rejection


@pytest.mark.parametrize("name", sorted(SENSOR_SAMPLES))
def test_a_sensor_adapter_reads_its_sample(name: str, tmp_path: Path) -> None:
    write, expected_sensors, expected_rejections = SENSOR_SAMPLES[name]
    path = write(tmp_path)
    source = SENSOR_SOURCES[name]
    assert source.accepts(path)
    read = source.read(path)
    assert isinstance(read, SensorRead)
    assert {sensor.id for sensor in read.sensors} == expected_sensors
    assert len(read.rejections) == expected_rejections
    for rejection in read.rejections:
        assert rejection.field, rejection
        assert rejection.value, rejection
        assert rejection.value in rejection.reason, rejection
        assert rejection.source.startswith("file:"), rejection


def foreign_paths(folder: Path) -> list[Path]:
    """Paths no adapter should take: a file of another kind, a missing file, an empty folder."""
    notes = folder / "notes.txt"
    notes.write_text("these are not roads\n", encoding="utf-8")
    empty = folder / "empty"
    empty.mkdir()
    return [notes, folder / "missing.geojson", folder / "missing.net.xml", folder / "missing.csv", empty]


@pytest.mark.parametrize("name", sorted([*NETWORK_SOURCES, *SENSOR_SOURCES]))
def test_an_adapter_refuses_what_it_does_not_accept(name: str, tmp_path: Path) -> None:
    source = network_source(name) if name in NETWORK_SOURCES else SENSOR_SOURCES[name]
    for path in foreign_paths(tmp_path):
        if source.accepts(path):
            continue  # a name that looks right; reading it must still fail cleanly below
        with pytest.raises(IngestError):
            source.read(path)
    assert not source.accepts(tmp_path / "notes.txt")
    assert not source.accepts(tmp_path / "empty")


def test_an_unprojected_sumo_network_needs_an_origin(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="origin"):
        NETWORK_SOURCES["sumo-net"].read(samples.sumo_net(tmp_path))
