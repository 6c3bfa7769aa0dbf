"""The Store interface that every backend implements, and the function that opens one from a URL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tamna.core.errors import ConfigError
from tamna.domain.access import ApiKeyRecord
from tamna.domain.network import Link, RoadNetwork
from tamna.domain.observations import HistoryPoint, LinkState, SensorState
from tamna.domain.rejections import Rejection
from tamna.domain.safety import Incident
from tamna.domain.sensors import Sensor
from tamna.domain.signals import SignalChange
from tamna.store.transit import TransitStore

if TYPE_CHECKING:
    import pyarrow as pa


class Bucket(StrEnum):
    """Time resolution of a history query. ``15m`` and ``1h`` are served from roll-up tables."""

    RAW = "raw"
    MIN_1 = "1m"
    MIN_5 = "5m"
    MIN_15 = "15m"
    HOUR_1 = "1h"

    @property
    def step(self) -> timedelta | None:
        """Length of one bucket (None for raw readings)."""
        return {
            "raw": None,
            "1m": timedelta(minutes=1),
            "5m": timedelta(minutes=5),
            "15m": timedelta(minutes=15),
            "1h": timedelta(hours=1),
        }[self.value]

    @classmethod
    def for_span(cls, span: timedelta) -> Bucket:
        """A bucket that keeps a chart of ``span`` under ~300 points."""
        if span <= timedelta(hours=6):
            return cls.MIN_1
        if span <= timedelta(days=1):
            return cls.MIN_5
        if span <= timedelta(days=3):
            return cls.MIN_15
        return cls.HOUR_1


@runtime_checkable
class Store(TransitStore, Protocol):
    """Everything Tamna keeps. Both backends pass the same test suite (``tests/store``); the transit part is
    declared in :mod:`tamna.store.transit`."""

    backend: str

    def migrate(self) -> int:
        """Apply pending schema migrations; return the schema version now in force."""
        ...

    def schema_version(self) -> int:
        """The applied schema version (0 for an empty database)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...

    # network
    def upsert_network(self, network: RoadNetwork) -> tuple[int, int]:
        """Insert or replace nodes and links by id; return (nodes, links) written."""
        ...

    def network(self) -> RoadNetwork:
        """The whole stored road network."""
        ...

    def link(self, link_id: str) -> Link:
        """One link; raises NotFoundError."""
        ...

    # sensors
    def upsert_sensors(self, sensors: Sequence[Sensor]) -> int:
        """Insert or replace sensors by id; return how many were written."""
        ...

    def sensors(self) -> list[Sensor]:
        """All sensors, ordered by id."""
        ...

    def sensor(self, sensor_id: str) -> Sensor:
        """One sensor; raises NotFoundError."""
        ...

    def sensor_ids(self) -> frozenset[str]:
        """Ids of all known sensors (validation refuses readings from others)."""
        ...

    # observations
    def write_observations(self, batch: pa.Table) -> int:
        """Upsert validated readings by (sensor, time); re-sending a batch changes nothing."""
        ...

    def refresh_rollups(self, start: datetime, end: datetime) -> None:
        """Recompute the 15-min and 1-h roll-ups for buckets overlapping [start, end)."""
        ...

    def count_observations(self) -> int:
        """Number of stored readings."""
        ...

    def latest_sensor_states(self, since: datetime | None = None) -> list[SensorState]:
        """Latest reading of every sensor that has one (only those at or after ``since`` when given)."""
        ...

    def latest_link_states(self, since: datetime | None = None) -> list[LinkState]:
        """Live state of every link that has a sensor with a reading (at or after ``since`` when given)."""
        ...

    def history(
        self,
        *,
        start: datetime,
        end: datetime,
        bucket: Bucket,
        sensor_id: str | None = None,
        link_id: str | None = None,
    ) -> list[HistoryPoint]:
        """Readings of one sensor or link in [start, end), averaged per bucket."""
        ...

    def sensor_series(
        self,
        *,
        start: datetime,
        end: datetime,
        bucket: Bucket,
        measure: str = "speed_kmh",
        sensor_ids: Sequence[str] | None = None,
    ) -> list[tuple[str, datetime, float]]:
        """``(sensor_id, bucket start, mean)`` of ``measure`` for every sensor (or those named) with a reading in
        [start, end), ordered by sensor and time: the sensors x time matrix forecasting trains and predicts on."""
        ...

    # alerts
    def count_open_alerts(self) -> int:
        """Number of alerts raised and not yet closed."""
        ...

    # dead letters
    def add_rejections(self, rejections: Sequence[Rejection]) -> None:
        """Keep refused records with their reasons."""
        ...

    def rejections(self, *, limit: int = 100, source: str | None = None) -> list[Rejection]:
        """Most recent refused records first."""
        ...

    def count_rejections(self) -> int:
        """Number of dead-letter records."""
        ...

    # incidents
    def upsert_incident(self, incident: Incident) -> None:
        """Insert an incident, or replace the one with its id (a status change)."""
        ...

    def incidents(self, *, limit: int = 100) -> list[Incident]:
        """Most recently reported first."""
        ...

    # signal operations (the audit trail)
    def add_signal_change(self, change: SignalChange) -> None:
        """Log one operator command on a signal."""
        ...

    def signal_changes(self, *, limit: int = 100, signal_id: str | None = None) -> list[SignalChange]:
        """The most recent changes first (of one signal when ``signal_id`` is given)."""
        ...

    # access
    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Store a new key (its hash)."""
        ...

    def api_key_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """The key with this hash, revoked or not."""
        ...

    def api_keys(self) -> list[ApiKeyRecord]:
        """All keys, newest first."""
        ...

    def revoke_api_key(self, key_id: str, at: datetime) -> None:
        """Mark a key revoked; raises NotFoundError."""
        ...


def open_store(url: str, *, memory_limit: str = "512MB") -> Store:
    """Open the store at ``url``: ``postgresql://…`` or a DuckDB file (``duckdb:///path`` or a plain path).

    The backend modules are imported here, not at the top, so that importing Tamna loads no database driver.
    """
    if url.startswith(("postgresql://", "postgres://")):
        from tamna.store.postgres.store import PostgresStore

        return PostgresStore(url)
    if url.startswith("duckdb://"):
        path = url.removeprefix("duckdb://")
    elif "://" in url:
        raise ConfigError(f"unsupported store URL scheme in {url.split('://', 1)[0]!r}: use postgresql:// or duckdb://")
    else:
        path = url
    from tamna.store.duckdb.store import DuckDBStore

    return DuckDBStore(Path(path) if path not in ("", ":memory:") else None, memory_limit=memory_limit)
