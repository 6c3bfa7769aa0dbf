"""Importing road networks and sensor registrations through the source adapters, with dead letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tamna.core.errors import IngestError
from tamna.domain.rejections import Rejection
from tamna.ingest.sources import NetworkSource, network_source_for, sensor_source_for
from tamna.ingest.sources.sumo_net.adapter import SumoNetwork
from tamna.store.base import Store


@dataclass
class ImportOutcome:
    """What an import stored and refused."""

    source: str
    nodes: int = 0
    links: int = 0
    sensors: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """How many features were refused."""
        return len(self.rejections)

    def as_dict(self) -> dict[str, Any]:
        """For JSON answers."""
        return {
            "source": self.source,
            "nodes": self.nodes,
            "links": self.links,
            "sensors": self.sensors,
            "rejected": self.rejected,
            "rejections": [r.model_dump(mode="json") for r in self.rejections[:20]],
        }


def import_network(
    store: Store, path: Path, *, source_name: str | None = None, origin: tuple[float, float] | None = None
) -> ImportOutcome:
    """Read a network with the matching adapter and upsert it; refused features go to the dead letters."""
    if not path.exists():
        raise IngestError(f"no such file or folder: {path}")
    source: NetworkSource = network_source_for(path, source_name)
    if origin is not None and isinstance(source, SumoNetwork):
        source = SumoNetwork(origin=origin)
    read = source.read(path)
    dangling = set(read.network.dangling_links())
    if dangling:
        raise IngestError(f"{path.name}: {len(dangling)} links end at unknown nodes, e.g. {sorted(dangling)[0]!r}")
    nodes, links = store.upsert_network(read.network)
    store.add_rejections(read.rejections)
    return ImportOutcome(source=source.name, nodes=nodes, links=links, rejections=read.rejections)


def import_sensors(store: Store, path: Path, *, source_name: str | None = None) -> ImportOutcome:
    """Register sensors from a file or dataset folder; refused entries go to the dead letters."""
    if not path.exists():
        raise IngestError(f"no such file or folder: {path}")
    source = sensor_source_for(path, source_name)
    read = source.read(path)
    written = store.upsert_sensors(read.sensors)
    store.add_rejections(read.rejections)
    return ImportOutcome(source=source.name, sensors=written, rejections=read.rejections)
