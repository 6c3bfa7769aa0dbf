"""Source adapters, one folder each, found through the registries below (never by name lookups elsewhere).

A network source turns a file or folder into a :class:`~tamna.domain.network.RoadNetwork` plus the features it
refused; a sensor source does the same for sensors. Each registered adapter runs the shared contract tests in
``tests/ingest/test_source_contract.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tamna.core.errors import IngestError
from tamna.core.registry import Registry
from tamna.domain.network import RoadNetwork
from tamna.domain.rejections import Rejection
from tamna.domain.sensors import Sensor


@dataclass
class NetworkRead:
    """A network read from a source, and the features refused on the way."""

    network: RoadNetwork
    rejections: list[Rejection] = field(default_factory=list)


@dataclass
class SensorRead:
    """Sensors read from a source, and the entries refused on the way."""

    sensors: list[Sensor]
    rejections: list[Rejection] = field(default_factory=list)


class NetworkSource(Protocol):
    """Reads a road network from one format."""

    name: str
    description: str

    def accepts(self, path: Path) -> bool:
        """Whether ``path`` looks like this source's format (by name or a cheap peek)."""
        ...

    def read(self, path: Path) -> NetworkRead:
        """Read the network; bad features become rejections, never exceptions."""
        ...


class SensorSource(Protocol):
    """Reads sensor registrations from one format."""

    name: str
    description: str

    def accepts(self, path: Path) -> bool:
        """Whether ``path`` looks like this source's format."""
        ...

    def read(self, path: Path) -> SensorRead:
        """Read the sensors; bad entries become rejections."""
        ...


network_sources: Registry[NetworkSource] = Registry("network source")
sensor_sources: Registry[SensorSource] = Registry("sensor source")


def _load_builtin() -> None:
    """Register the adapters that ship with Tamna (imported here so that importing this module stays cheap)."""
    if network_sources.names():
        return
    from tamna.ingest.sources.geojson.adapter import GeoJsonNetwork, GeoJsonSensors
    from tamna.ingest.sources.jeju_nodelink.adapter import JejuNodeLink
    from tamna.ingest.sources.sensor_csv.adapter import CsvSensors
    from tamna.ingest.sources.sensor_dataset.adapter import SensorDatasetSensors
    from tamna.ingest.sources.sumo_net.adapter import SumoNetwork

    for network_source in (GeoJsonNetwork(), SumoNetwork(), JejuNodeLink()):
        network_sources.register(network_source.name, network_source)
    for sensor_source in (GeoJsonSensors(), CsvSensors(), SensorDatasetSensors()):
        sensor_sources.register(sensor_source.name, sensor_source)


def network_source_for(path: Path, name: str | None = None) -> NetworkSource:
    """The adapter named ``name``, or the first that accepts ``path``."""
    _load_builtin()
    if name:
        return network_sources.get(name)
    for _, source in network_sources:
        if source.accepts(path):
            return source
    raise IngestError(f"{path}: not a known network format (known: {', '.join(network_sources.names())})")


def sensor_source_for(path: Path, name: str | None = None) -> SensorSource:
    """The adapter named ``name``, or the first that accepts ``path``."""
    _load_builtin()
    if name:
        return sensor_sources.get(name)
    for _, source in sensor_sources:
        if source.accepts(path):
            return source
    raise IngestError(f"{path}: not a known sensor format (known: {', '.join(sensor_sources.names())})")


def all_network_sources() -> list[NetworkSource]:
    """Every registered network adapter."""
    _load_builtin()
    return [source for _, source in network_sources]


def all_sensor_sources() -> list[SensorSource]:
    """Every registered sensor adapter."""
    _load_builtin()
    return [source for _, source in sensor_sources]
