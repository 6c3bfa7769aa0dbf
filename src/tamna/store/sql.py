"""Behaviour shared by the SQL backends. Backends supply connections, staging of Arrow batches and a few
dialect expressions; the queries and rules live here once, so DuckDB and PostgreSQL cannot drift apart.

Queries are written with ``?`` placeholders; a backend that uses another style translates them.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tamna.core.errors import NotFoundError, StoreError
from tamna.core.timeutil import ensure_utc, floor_time
from tamna.domain.access import ApiKeyRecord, Role
from tamna.domain.network import Link, Node, RoadNetwork
from tamna.domain.observations import HistoryPoint, LinkState, Quality, SensorState
from tamna.domain.rejections import MAX_RECORD_CHARS, Rejection
from tamna.domain.safety import Incident, IncidentStatus
from tamna.domain.sensors import Sensor, SensorKind
from tamna.store.base import Bucket
from tamna.store.sql_signals import SignalQueries
from tamna.store.sql_transit import TransitQueries

Row = tuple[Any, ...]

#: The staged form of an observation batch, as both backends receive it.
STAGE_OBSERVATIONS = pa.schema(
    [
        ("sensor_key", pa.int32()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("speed_kmh", pa.float32()),
        ("flow_vph", pa.float32()),
        ("occupancy_pct", pa.float32()),
        ("quality", pa.int16()),
    ]
)
STAGE_LINKS = pa.schema(
    [
        ("id", pa.string()),
        ("from_node", pa.string()),
        ("to_node", pa.string()),
        ("geometry", pa.string()),
        ("lanes", pa.int32()),
        ("length_m", pa.float64()),
        ("speed_limit_kmh", pa.float64()),
        ("freeflow_speed_kmh", pa.float64()),
        ("name", pa.string()),
        ("road_class", pa.string()),
    ]
)
STAGE_NODES = pa.schema(
    [("id", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()), ("name", pa.string()), ("kind", pa.string())]
)

_ROLLUP_MEASURES = ("speed_kmh", "flow_vph", "occupancy_pct")
_ROLLUP_COUNTS = ("speed_n", "flow_n", "occupancy_n")


def _upsert_tail(key: str, columns: Sequence[str]) -> str:
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns)
    return f"ON CONFLICT ({key}) DO UPDATE SET {updates}"


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


class SqlStore(TransitQueries, SignalQueries, ABC):
    """A :class:`~tamna.store.base.Store` over SQL; subclasses are thin adapters to one database."""

    backend = "sql"
    dialect = ""
    #: Longest span one roll-up refresh statement covers (None: the whole span at once).
    rollup_window: timedelta | None = None

    def __init__(self) -> None:
        self._write_lock = threading.RLock()
        self._key_lock = threading.Lock()
        self._sensor_ids: pa.Array = pa.array([], pa.string())
        self._sensor_keys: pa.Array = pa.array([], pa.int32())

    # ---- what a backend provides -------------------------------------------------------------------
    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """A write transaction; statements run inside it share one connection."""

    @abstractmethod
    def _stage(self, name: str, table: pa.Table) -> None:
        """Make ``table`` readable as relation ``name`` inside the current transaction."""

    @abstractmethod
    def _bucket_sql(self, column: str, step: timedelta) -> str:
        """SQL expression flooring ``column`` to multiples of ``step`` from the epoch."""

    @abstractmethod
    def close(self) -> None: ...

    # ---- schema --------------------------------------------------------------------------------------
    def _migrations(self) -> list[tuple[int, str]]:
        folder = resources.files("tamna.store") / "migrations" / self.dialect
        return sorted(
            (int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir()
            if entry.name.endswith(".sql")
        )

    def schema_version(self) -> int:
        try:
            rows = self._rows("SELECT max(version) FROM schema_migrations")
        except StoreError:
            return 0
        return int(rows[0][0] or 0)

    def migrate(self) -> int:
        with self._write_lock:
            self._run(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)"
            )
            current = self.schema_version()
            known = self._migrations()
            newest = known[-1][0] if known else 0
            if current > newest:
                raise StoreError(f"database schema {current} is newer than this Tamna ({newest}); upgrade Tamna")
            for version, script in known:
                if version <= current:
                    continue
                with self._transaction():
                    for statement in _split_sql(script):
                        self._run(statement)
                    self._run("INSERT INTO schema_migrations VALUES (?, now())", (version,))
            return self.schema_version()

    # ---- network -------------------------------------------------------------------------------------
    def upsert_network(self, network: RoadNetwork) -> tuple[int, int]:
        nodes = pa.Table.from_pylist([node.model_dump() for node in network.nodes], schema=STAGE_NODES)
        links = pa.Table.from_pylist(
            [
                {**link.model_dump(exclude={"geometry"}), "geometry": json.dumps(link.geometry)}
                for link in network.links
            ],
            schema=STAGE_LINKS,
        )
        with self._write_lock, self._transaction():
            if nodes.num_rows:
                self._stage("stage_nodes", nodes)
                self._run(f"INSERT INTO nodes SELECT * FROM stage_nodes {_upsert_tail('id', STAGE_NODES.names[1:])}")
            if links.num_rows:
                self._stage("stage_links", links)
                self._run(f"INSERT INTO links SELECT * FROM stage_links {_upsert_tail('id', STAGE_LINKS.names[1:])}")
        return nodes.num_rows, links.num_rows

    def network(self) -> RoadNetwork:
        nodes = [
            Node(id=r[0], lon=r[1], lat=r[2], name=r[3], kind=r[4])
            for r in self._rows("SELECT id, lon, lat, name, kind FROM nodes ORDER BY id")
        ]
        links = [_link_from_row(r) for r in self._rows(f"SELECT {_LINK_COLUMNS} FROM links ORDER BY id")]
        return RoadNetwork(nodes=nodes, links=links)

    def link(self, link_id: str) -> Link:
        rows = self._rows(f"SELECT {_LINK_COLUMNS} FROM links WHERE id = ?", (link_id,))
        if not rows:
            raise NotFoundError(f"link {link_id!r} not found")
        return _link_from_row(rows[0])

    # ---- sensors -------------------------------------------------------------------------------------
    def upsert_sensors(self, sensors: Sequence[Sensor]) -> int:
        with self._write_lock, self._transaction():
            for sensor in sensors:
                self._run(
                    "INSERT INTO sensors (id, kind, link_id, lon, lat, name) VALUES (?, ?, ?, ?, ?, ?) "
                    + _upsert_tail("id", ("kind", "link_id", "lon", "lat", "name")),
                    (sensor.id, sensor.kind.value, sensor.link_id, sensor.lon, sensor.lat, sensor.name),
                )
        self._load_sensor_keys()
        return len(sensors)

    def sensors(self) -> list[Sensor]:
        rows = self._rows("SELECT id, kind, link_id, lon, lat, name FROM sensors ORDER BY id")
        return [_sensor_from_row(r) for r in rows]

    def sensor(self, sensor_id: str) -> Sensor:
        rows = self._rows("SELECT id, kind, link_id, lon, lat, name FROM sensors WHERE id = ?", (sensor_id,))
        if not rows:
            raise NotFoundError(f"sensor {sensor_id!r} not found")
        return _sensor_from_row(rows[0])

    def sensor_ids(self) -> frozenset[str]:
        self._load_sensor_keys()
        return frozenset(self._sensor_ids.to_pylist())

    def _load_sensor_keys(self) -> None:
        rows = self._rows("SELECT id, key FROM sensors ORDER BY id")
        with self._key_lock:
            self._sensor_ids = pa.array([r[0] for r in rows], pa.string())
            self._sensor_keys = pa.array([r[1] for r in rows], pa.int32())

    def _keys_for(self, sensor_ids: pa.Array) -> pa.Array:
        """Map sensor ids to integer keys, vectorised; unknown ids raise (validation should have caught them)."""
        with self._key_lock:
            ids, keys = self._sensor_ids, self._sensor_keys
        index = pc.index_in(sensor_ids, value_set=ids)
        if index.null_count:
            self._load_sensor_keys()
            with self._key_lock:
                ids, keys = self._sensor_ids, self._sensor_keys
            index = pc.index_in(sensor_ids, value_set=ids)
            if index.null_count:
                missing = pc.filter(sensor_ids, pc.is_null(index))[0].as_py()
                raise StoreError(f"sensor {missing!r} is not registered")
        return keys.take(index)

    # ---- observations --------------------------------------------------------------------------------
    def write_observations(self, batch: pa.Table) -> int:
        if batch.num_rows == 0:
            return 0
        staged = _dedupe_last(
            pa.table(
                {
                    "sensor_key": self._keys_for(batch.column("sensor_id").combine_chunks()),
                    "time": batch.column("time"),
                    "speed_kmh": batch.column("speed_kmh"),
                    "flow_vph": batch.column("flow_vph"),
                    "occupancy_pct": batch.column("occupancy_pct"),
                    "quality": batch.column("quality"),
                }
            ).cast(STAGE_OBSERVATIONS)
        )
        measures = ("speed_kmh", "flow_vph", "occupancy_pct", "quality")
        with self._write_lock, self._transaction():
            self._stage("stage_observations", staged)
            self._run(
                "INSERT INTO observations SELECT * FROM stage_observations "
                + _upsert_tail("sensor_key, time", measures)
            )
            self._run(
                "INSERT INTO sensor_latest SELECT DISTINCT ON (sensor_key) * FROM stage_observations "
                "ORDER BY sensor_key, time DESC "
                + _upsert_tail("sensor_key", ("time", *measures))
                + " WHERE excluded.time >= sensor_latest.time"
            )
        return int(staged.num_rows)

    def refresh_rollups(self, start: datetime, end: datetime) -> None:
        hour = timedelta(hours=1)
        lo = floor_time(ensure_utc(start), hour)
        hi = floor_time(ensure_utc(end), hour) + hour
        # Windows are whole hours, so each 1-h bucket sees all its 15-min buckets.
        while lo < hi:
            upto = min(lo + self.rollup_window, hi) if self.rollup_window else hi
            self._refresh_rollup_window(lo, upto)
            lo = upto

    def _refresh_rollup_window(self, lo: datetime, hi: datetime) -> None:
        hour = timedelta(hours=1)
        means = ", ".join(f"avg({m}), count({m})" for m in _ROLLUP_MEASURES)
        columns = ("samples", *[c for pair in zip(_ROLLUP_MEASURES, _ROLLUP_COUNTS, strict=True) for c in pair])
        tail = _upsert_tail("sensor_key, bucket", columns)
        weighted = ", ".join(
            f"sum({m} * {n}) / nullif(sum({n}), 0), sum({n})"
            for m, n in zip(_ROLLUP_MEASURES, _ROLLUP_COUNTS, strict=True)
        )
        with self._write_lock, self._transaction():
            self._run(
                f"INSERT INTO obs_15m SELECT sensor_key, {self._bucket_sql('time', timedelta(minutes=15))} AS b, "
                f"count(*), {means} FROM observations WHERE time >= ? AND time < ? GROUP BY 1, 2 {tail}",
                (lo, hi),
            )
            self._run(
                f"INSERT INTO obs_1h SELECT sensor_key, {self._bucket_sql('bucket', hour)} AS b, "
                f"sum(samples), {weighted} FROM obs_15m WHERE bucket >= ? AND bucket < ? GROUP BY 1, 2 {tail}",
                (lo, hi),
            )

    def count_observations(self) -> int:
        return int(self._rows("SELECT count(*) FROM observations")[0][0])

    def latest_sensor_states(self, since: datetime | None = None) -> list[SensorState]:
        where, params = ("WHERE l.time >= ?", (since,)) if since else ("", ())
        rows = self._rows(
            "SELECT s.id, s.link_id, l.time, l.speed_kmh, l.flow_vph, l.occupancy_pct, l.quality "
            f"FROM sensor_latest l JOIN sensors s ON s.key = l.sensor_key {where} ORDER BY s.id",
            params,
        )
        return [
            SensorState(
                sensor_id=r[0],
                link_id=r[1],
                time=ensure_utc(r[2]),
                speed_kmh=_f(r[3]),
                flow_vph=_f(r[4]),
                occupancy_pct=_f(r[5]),
                quality=Quality(r[6]),
            )
            for r in rows
        ]

    def latest_link_states(self, since: datetime | None = None) -> list[LinkState]:
        where, params = ("WHERE l.time >= ?", (since,)) if since else ("", ())
        rows = self._rows(
            "SELECT s.link_id, max(l.time), avg(l.speed_kmh), avg(l.flow_vph), avg(l.occupancy_pct), count(*), "
            "coalesce(k.freeflow_speed_kmh, k.speed_limit_kmh) "
            "FROM sensor_latest l JOIN sensors s ON s.key = l.sensor_key JOIN links k ON k.id = s.link_id "
            f"{where} GROUP BY s.link_id, k.freeflow_speed_kmh, k.speed_limit_kmh ORDER BY s.link_id",
            params,
        )
        states = []
        for r in rows:
            speed, reference = _f(r[2]), _f(r[6])
            ratio = speed / reference if speed is not None and reference else None
            states.append(
                LinkState(
                    link_id=r[0],
                    time=ensure_utc(r[1]),
                    speed_kmh=speed,
                    flow_vph=_f(r[3]),
                    occupancy_pct=_f(r[4]),
                    sensors=int(r[5]),
                    reference_speed_kmh=reference,
                    speed_ratio=ratio,
                )
            )
        return states

    def history(
        self,
        *,
        start: datetime,
        end: datetime,
        bucket: Bucket,
        sensor_id: str | None = None,
        link_id: str | None = None,
    ) -> list[HistoryPoint]:
        bucket = Bucket(bucket)
        keys = self._history_keys(sensor_id, link_id)
        if not keys:
            return []
        start, end = ensure_utc(start), ensure_utc(end)
        in_keys = f"sensor_key IN ({_placeholders(len(keys))})"
        if bucket in (Bucket.MIN_15, Bucket.HOUR_1):
            table = "obs_15m" if bucket is Bucket.MIN_15 else "obs_1h"
            weighted = ", ".join(
                f"sum({m} * {n}) / nullif(sum({n}), 0)" for m, n in zip(_ROLLUP_MEASURES, _ROLLUP_COUNTS, strict=True)
            )
            sql = (
                f"SELECT bucket, {weighted}, sum(samples) FROM {table} "
                f"WHERE {in_keys} AND bucket >= ? AND bucket < ? GROUP BY bucket ORDER BY bucket"
            )
        else:
            step = bucket.step
            when = self._bucket_sql("time", step) if step else "time"
            sql = (
                f"SELECT {when} AS b, avg(speed_kmh), avg(flow_vph), avg(occupancy_pct), count(*) "
                f"FROM observations WHERE {in_keys} AND time >= ? AND time < ? GROUP BY b ORDER BY b"
            )
        rows = self._rows(sql, (*keys, start, end))
        return [
            HistoryPoint(
                time=ensure_utc(r[0]),
                speed_kmh=_f(r[1]),
                flow_vph=_f(r[2]),
                occupancy_pct=_f(r[3]),
                samples=int(r[4]),
            )
            for r in rows
        ]

    def sensor_series(
        self,
        *,
        start: datetime,
        end: datetime,
        bucket: Bucket,
        measure: str = "speed_kmh",
        sensor_ids: Sequence[str] | None = None,
    ) -> list[tuple[str, datetime, float]]:
        if measure not in _ROLLUP_MEASURES:  # the name becomes part of the SQL, so only known columns pass
            raise StoreError(f"unknown measure {measure!r}; one of {', '.join(_ROLLUP_MEASURES)}")
        bucket = Bucket(bucket)
        params: list[Any] = [ensure_utc(start), ensure_utc(end)]
        only = ""
        if sensor_ids is not None:
            if not sensor_ids:
                return []
            only = f" AND s.id IN ({_placeholders(len(sensor_ids))})"
            params.extend(sensor_ids)
        if bucket in (Bucket.MIN_15, Bucket.HOUR_1):
            table = "obs_15m" if bucket is Bucket.MIN_15 else "obs_1h"
            sql = (
                f"SELECT s.id, r.bucket, r.{measure} FROM {table} r JOIN sensors s ON s.key = r.sensor_key "
                f"WHERE r.bucket >= ? AND r.bucket < ? AND r.{measure} IS NOT NULL{only} ORDER BY s.id, r.bucket"
            )
        else:
            step = bucket.step
            when = self._bucket_sql("o.time", step) if step else "o.time"
            sql = (
                f"SELECT s.id, {when} AS b, avg(o.{measure}) FROM observations o "
                f"JOIN sensors s ON s.key = o.sensor_key WHERE o.time >= ? AND o.time < ? "
                f"AND o.{measure} IS NOT NULL{only} GROUP BY s.id, b ORDER BY s.id, b"
            )
        return [(str(r[0]), ensure_utc(r[1]), float(r[2])) for r in self._rows(sql, params)]

    def _history_keys(self, sensor_id: str | None, link_id: str | None) -> list[int]:
        if (sensor_id is None) == (link_id is None):
            raise StoreError("history needs exactly one of sensor_id and link_id")
        if sensor_id is not None:
            rows = self._rows("SELECT key FROM sensors WHERE id = ?", (sensor_id,))
            if not rows:
                raise NotFoundError(f"sensor {sensor_id!r} not found")
        else:
            if not self._rows("SELECT 1 FROM links WHERE id = ?", (link_id,)):
                raise NotFoundError(f"link {link_id!r} not found")
            rows = self._rows("SELECT key FROM sensors WHERE link_id = ?", (link_id,))
        return [int(r[0]) for r in rows]

    # ---- alerts --------------------------------------------------------------------------------------
    def count_open_alerts(self) -> int:
        return int(self._rows("SELECT count(*) FROM alerts WHERE closed_at IS NULL")[0][0])

    # ---- dead letters --------------------------------------------------------------------------------
    def add_rejections(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        with self._write_lock, self._transaction():
            for item in rejections:
                self._run(
                    "INSERT INTO rejections (source, received_at, reason, field, value, record, position) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.source,
                        item.received_at,
                        item.reason,
                        item.field,
                        None if item.value is None else item.value[:MAX_RECORD_CHARS],
                        None if item.record is None else item.record[:MAX_RECORD_CHARS],
                        item.position,
                    ),
                )

    def rejections(self, *, limit: int = 100, source: str | None = None) -> list[Rejection]:
        where, params = ("WHERE source = ?", [source]) if source else ("", [])
        rows = self._rows(
            "SELECT source, received_at, reason, field, value, record, position FROM rejections "
            f"{where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            Rejection(
                source=r[0],
                received_at=ensure_utc(r[1]),
                reason=r[2],
                field=r[3],
                value=r[4],
                record=r[5],
                position=r[6],
            )
            for r in rows
        ]

    def count_rejections(self) -> int:
        return int(self._rows("SELECT count(*) FROM rejections")[0][0])

    # ---- incidents -----------------------------------------------------------------------------------
    def upsert_incident(self, incident: Incident) -> None:
        columns = _INCIDENT_COLUMNS.split(", ")
        with self._write_lock, self._transaction():
            self._run(
                f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) VALUES ({_placeholders(len(columns))}) "
                f"{_upsert_tail('id', columns[1:])}",
                (
                    incident.id,
                    incident.kind,
                    incident.status.value,
                    incident.reported_at,
                    incident.lon,
                    incident.lat,
                    incident.link_id,
                    incident.description,
                ),
            )

    def incidents(self, *, limit: int = 100) -> list[Incident]:
        rows = self._rows(f"SELECT {_INCIDENT_COLUMNS} FROM incidents ORDER BY reported_at DESC, id LIMIT ?", (limit,))
        return [
            Incident(
                id=r[0],
                kind=r[1],
                status=IncidentStatus(r[2]),
                reported_at=ensure_utc(r[3]),
                lon=r[4],
                lat=r[5],
                link_id=r[6],
                description=r[7],
            )
            for r in rows
        ]

    # ---- access --------------------------------------------------------------------------------------
    def add_api_key(self, record: ApiKeyRecord) -> None:
        with self._write_lock, self._transaction():
            self._run(
                "INSERT INTO api_keys (id, name, role, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
                (record.id, record.name, record.role.value, record.key_hash, record.created_at, record.revoked_at),
            )

    def api_key_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        rows = self._rows(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", (key_hash,))
        return _key_from_row(rows[0]) if rows else None

    def api_keys(self) -> list[ApiKeyRecord]:
        return [_key_from_row(r) for r in self._rows(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC")]

    def revoke_api_key(self, key_id: str, at: datetime) -> None:
        if not self._rows("SELECT 1 FROM api_keys WHERE id = ?", (key_id,)):
            raise NotFoundError(f"API key {key_id!r} not found")
        with self._write_lock, self._transaction():
            self._run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (at, key_id))


_LINK_COLUMNS = (
    "id, from_node, to_node, geometry, lanes, length_m, speed_limit_kmh, freeflow_speed_kmh, name, road_class"
)
_KEY_COLUMNS = "id, name, role, key_hash, created_at, revoked_at"
_INCIDENT_COLUMNS = "id, kind, status, reported_at, lon, lat, link_id, description"


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def _link_from_row(r: Row) -> Link:
    return Link(
        id=r[0],
        from_node=r[1],
        to_node=r[2],
        geometry=[tuple(p) for p in json.loads(r[3])],
        lanes=r[4],
        length_m=r[5],
        speed_limit_kmh=r[6],
        freeflow_speed_kmh=r[7],
        name=r[8],
        road_class=r[9],
    )


def _sensor_from_row(r: Row) -> Sensor:
    return Sensor(id=r[0], kind=SensorKind(r[1]), link_id=r[2], lon=r[3], lat=r[4], name=r[5])


def _key_from_row(r: Row) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=r[0],
        name=r[1],
        role=Role(r[2]),
        key_hash=r[3],
        created_at=ensure_utc(r[4]),
        revoked_at=None if r[5] is None else ensure_utc(r[5]),
    )


def _dedupe_last(table: pa.Table) -> pa.Table:
    """Keep the last row of each (sensor_key, time): an upsert must not touch one row twice."""
    keys = table.column("sensor_key").to_numpy()
    times = table.column("time").cast(pa.int64()).to_numpy()
    step_key, step_time = np.diff(keys), np.diff(times)
    # Batches usually arrive sorted sensor-major or time-major; then a linear check proves there are no twins.
    if np.all((step_key > 0) | ((step_key == 0) & (step_time > 0))) or np.all(
        (step_time > 0) | ((step_time == 0) & (step_key > 0))
    ):
        return table
    order = np.lexsort((np.arange(len(keys)), times, keys))
    sorted_keys, sorted_times = keys[order], times[order]
    same_as_next = (sorted_keys[:-1] == sorted_keys[1:]) & (sorted_times[:-1] == sorted_times[1:])
    if not same_as_next.any():
        return table
    keep = order[np.append(~same_as_next, True)]
    return table.take(pa.array(np.sort(keep)))


def _split_sql(script: str) -> Iterator[str]:
    """Split a migration into statements (no semicolons inside our statements), dropping comments."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            yield statement.strip()
