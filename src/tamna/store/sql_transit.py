"""The transit queries of :class:`~tamna.store.sql.SqlStore`, written once for DuckDB and PostgreSQL."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import pyarrow as pa

from tamna.core.errors import NotFoundError, StoreError
from tamna.core.timeutil import ensure_utc
from tamna.domain.transit import FeedSummary, MatchKind, StopEvent, TransitAlert, VehicleState
from tamna.store.gtfs_schema import GTFS_ORDER, GTFS_SCHEMAS

Row = tuple[Any, ...]
_TS = pa.timestamp("us", tz="UTC")

STAGE_VEHICLE_STATES = pa.schema(
    [
        ("feed_id", pa.string()),
        ("vehicle_id", pa.string()),
        ("time", _TS),
        ("source", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("speed_kmh", pa.float64()),
        ("bearing_deg", pa.float64()),
        ("route_id", pa.string()),
        ("trip_id", pa.string()),
        ("direction_id", pa.int16()),
        ("start_date", pa.string()),
        ("start_time", pa.string()),
        ("shape_dist_m", pa.float64()),
        ("stop_sequence", pa.int32()),
        ("stop_id", pa.string()),
        ("at_stop", pa.int16()),
        ("delay_s", pa.float64()),
        ("match_kind", pa.string()),
        ("reason", pa.string()),
    ]
)
STAGE_STOP_EVENTS = pa.schema(
    [
        ("feed_id", pa.string()),
        ("trip_id", pa.string()),
        ("start_date", pa.string()),
        ("stop_sequence", pa.int32()),
        ("stop_id", pa.string()),
        ("route_id", pa.string()),
        ("direction_id", pa.int16()),
        ("vehicle_id", pa.string()),
        ("start_time", pa.string()),
        ("scheduled_arrival", _TS),
        ("scheduled_departure", _TS),
        ("observed_arrival", _TS),
        ("observed_departure", _TS),
    ]
)
_STATE_COLUMNS = ", ".join(STAGE_VEHICLE_STATES.names)
_EVENT_COLUMNS = ", ".join(STAGE_STOP_EVENTS.names)
_FEED_COLUMNS = (
    "feed_id, source, imported_at, timezone, min_lon, min_lat, max_lon, max_lat, start_date, end_date, counts, "
    "errors, warnings, report"
)


def _set_all(columns: Sequence[str]) -> str:
    return ", ".join(f"{column} = excluded.{column}" for column in columns)


class TransitQueries(ABC):
    """Mixed into :class:`~tamna.store.sql.SqlStore`, which provides the connection primitives."""

    _write_lock: AbstractContextManager[Any]

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]: ...

    @abstractmethod
    def _stage(self, name: str, table: pa.Table) -> None: ...

    # ---- GTFS static ---------------------------------------------------------------------------------
    def replace_gtfs(self, summary: FeedSummary, tables: Mapping[str, pa.Table]) -> None:
        unknown = set(tables) - set(GTFS_SCHEMAS)
        if unknown:
            raise StoreError(f"unknown GTFS tables {sorted(unknown)}")
        staged = {}
        for name, schema in GTFS_SCHEMAS.items():
            table = tables.get(name, schema.empty_table()).select(schema.names).cast(schema)
            feed = pa.array([summary.feed_id] * table.num_rows, pa.string())
            staged[name] = table.add_column(0, "feed_id", feed)
        with self._write_lock, self._transaction():
            self.delete_gtfs(summary.feed_id, missing_ok=True)
            self._run(
                f"INSERT INTO transit_feeds ({_FEED_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                (
                    summary.feed_id,
                    summary.source,
                    summary.imported_at,
                    summary.timezone,
                    *summary.bbox,
                    summary.start_date,
                    summary.end_date,
                    json.dumps(summary.counts),
                    summary.errors,
                    summary.warnings,
                    json.dumps(summary.report, ensure_ascii=False),
                ),
            )
            for name, table in staged.items():
                if table.num_rows:
                    columns = ", ".join(table.schema.names)
                    self._stage(f"stage_gtfs_{name}", table)
                    self._run(f"INSERT INTO gtfs_{name} ({columns}) SELECT {columns} FROM stage_gtfs_{name}")

    def gtfs_feeds(self) -> list[FeedSummary]:
        rows = self._rows(f"SELECT {_FEED_COLUMNS} FROM transit_feeds ORDER BY imported_at DESC, feed_id")
        return [_feed_from_row(r) for r in rows]

    def gtfs_feed(self, feed_id: str) -> FeedSummary:
        rows = self._rows(f"SELECT {_FEED_COLUMNS} FROM transit_feeds WHERE feed_id = ?", (feed_id,))
        if not rows:
            raise NotFoundError(f"GTFS feed {feed_id!r} not found")
        return _feed_from_row(rows[0])

    def gtfs_tables(self, feed_id: str) -> dict[str, pa.Table]:
        self.gtfs_feed(feed_id)
        tables = {}
        for name, schema in GTFS_SCHEMAS.items():
            rows = self._rows(
                f"SELECT {', '.join(schema.names)} FROM gtfs_{name} WHERE feed_id = ? ORDER BY "
                + ", ".join(GTFS_ORDER[name]),
                (feed_id,),
            )
            columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
            tables[name] = pa.table(
                [pa.array(list(values), type=column.type) for values, column in zip(columns, schema, strict=True)],
                schema=schema,
            )
        return tables

    def delete_gtfs(self, feed_id: str, *, missing_ok: bool = False) -> None:
        with self._write_lock, self._transaction():
            if not missing_ok and not self._rows("SELECT 1 FROM transit_feeds WHERE feed_id = ?", (feed_id,)):
                raise NotFoundError(f"GTFS feed {feed_id!r} not found")
            for name in GTFS_SCHEMAS:
                self._run(f"DELETE FROM gtfs_{name} WHERE feed_id = ?", (feed_id,))
            self._run("DELETE FROM transit_feeds WHERE feed_id = ?", (feed_id,))

    # ---- vehicles ------------------------------------------------------------------------------------
    def write_vehicle_states(self, states: Sequence[VehicleState]) -> int:
        if not states:
            return 0
        # an upsert must not touch one row twice: keep the last fix of each (feed, vehicle, time)
        unique = list({(s.feed_id, s.vehicle_id, s.time): s for s in states}.values())
        table = _states_table(unique)
        tail = _set_all(STAGE_VEHICLE_STATES.names[3:])
        with self._write_lock, self._transaction():
            self._stage("stage_vehicle_states", table)
            self._run(
                f"INSERT INTO transit_positions ({_STATE_COLUMNS}) SELECT {_STATE_COLUMNS} FROM stage_vehicle_states "
                f"ON CONFLICT (feed_id, vehicle_id, time) DO UPDATE SET {tail}"
            )
            self._run(
                f"INSERT INTO transit_vehicles ({_STATE_COLUMNS}) SELECT DISTINCT ON (feed_id, vehicle_id) "
                f"{_STATE_COLUMNS} FROM stage_vehicle_states ORDER BY feed_id, vehicle_id, time DESC "
                f"ON CONFLICT (feed_id, vehicle_id) DO UPDATE SET time = excluded.time, {tail} "
                "WHERE excluded.time >= transit_vehicles.time"
            )
        return len(unique)

    def latest_vehicle_states(self, feed_id: str, *, since: datetime | None = None) -> list[VehicleState]:
        where, params = ("AND time >= ?", (feed_id, since)) if since else ("", (feed_id,))
        rows = self._rows(
            f"SELECT {_STATE_COLUMNS} FROM transit_vehicles WHERE feed_id = ? {where} ORDER BY vehicle_id", params
        )
        return [_state_from_row(r) for r in rows]

    def vehicle_states(
        self,
        feed_id: str,
        *,
        start: datetime,
        end: datetime,
        matched: bool | None = None,
        limit: int = 10_000,
    ) -> list[VehicleState]:
        which = {None: "", True: "AND match_kind <> 'none'", False: "AND match_kind = 'none'"}[matched]
        rows = self._rows(
            f"SELECT {_STATE_COLUMNS} FROM transit_positions WHERE feed_id = ? AND time >= ? AND time < ? {which} "
            "ORDER BY time, vehicle_id LIMIT ?",
            (feed_id, ensure_utc(start), ensure_utc(end), limit),
        )
        return [_state_from_row(r) for r in rows]

    def count_vehicle_states(self, feed_id: str) -> dict[str, int]:
        rows = self._rows(
            "SELECT match_kind, count(*) FROM transit_positions WHERE feed_id = ? GROUP BY match_kind", (feed_id,)
        )
        return {str(r[0]): int(r[1]) for r in rows}

    # ---- stop events ---------------------------------------------------------------------------------
    def write_stop_events(self, events: Sequence[StopEvent]) -> int:
        if not events:
            return 0
        merged: dict[tuple[str, str, str, int], StopEvent] = {}
        for event in events:
            key = (event.feed_id, event.trip_id, event.start_date, event.stop_sequence)
            merged[key] = _merge_events(merged.get(key), event)
        table = _events_table(list(merged.values()))
        keep = ("observed_arrival", "observed_departure")
        others = [c for c in STAGE_STOP_EVENTS.names[4:] if c not in keep]
        tail = ", ".join(
            [f"{c} = excluded.{c}" for c in others]
            + [f"{c} = coalesce(excluded.{c}, transit_stop_events.{c})" for c in keep]
        )
        with self._write_lock, self._transaction():
            self._stage("stage_stop_events", table)
            self._run(
                f"INSERT INTO transit_stop_events ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM stage_stop_events "
                f"ON CONFLICT (feed_id, trip_id, start_date, stop_sequence) DO UPDATE SET {tail}"
            )
        return len(merged)

    def stop_events(
        self, feed_id: str, *, start: datetime, end: datetime, route_id: str | None = None
    ) -> list[StopEvent]:
        route, params = ("AND route_id = ?", [route_id]) if route_id else ("", [])
        rows = self._rows(
            f"SELECT {_EVENT_COLUMNS} FROM transit_stop_events WHERE feed_id = ? "
            "AND coalesce(observed_arrival, observed_departure) >= ? "
            f"AND coalesce(observed_arrival, observed_departure) < ? {route} "
            "ORDER BY trip_id, start_date, stop_sequence",
            (feed_id, ensure_utc(start), ensure_utc(end), *params),
        )
        return [_event_from_row(r) for r in rows]

    # ---- alerts --------------------------------------------------------------------------------------
    def upsert_transit_alert(self, alert: TransitAlert, at: datetime) -> None:
        with self._write_lock, self._transaction():
            self._run(
                "INSERT INTO transit_alerts (id, body, active_from, active_until, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body, active_from = excluded.active_from, "
                "active_until = excluded.active_until, updated_at = excluded.updated_at",
                (alert.id, alert.model_dump_json(), alert.active_from, alert.active_until, ensure_utc(at)),
            )

    def transit_alerts(self, *, active_at: datetime | None = None) -> list[TransitAlert]:
        if active_at is None:
            rows = self._rows("SELECT body FROM transit_alerts ORDER BY id")
        else:
            rows = self._rows(
                "SELECT body FROM transit_alerts WHERE (active_from IS NULL OR active_from <= ?) "
                "AND (active_until IS NULL OR active_until > ?) ORDER BY id",
                (ensure_utc(active_at), ensure_utc(active_at)),
            )
        return [TransitAlert.model_validate_json(r[0]) for r in rows]

    def delete_transit_alert(self, alert_id: str) -> None:
        with self._write_lock, self._transaction():
            if not self._rows("SELECT 1 FROM transit_alerts WHERE id = ?", (alert_id,)):
                raise NotFoundError(f"alert {alert_id!r} not found")
            self._run("DELETE FROM transit_alerts WHERE id = ?", (alert_id,))


def _feed_from_row(r: Row) -> FeedSummary:
    return FeedSummary(
        feed_id=r[0],
        source=r[1],
        imported_at=ensure_utc(r[2]),
        timezone=r[3],
        bbox=(float(r[4]), float(r[5]), float(r[6]), float(r[7])),
        start_date=r[8],
        end_date=r[9],
        counts=json.loads(r[10]),
        errors=int(r[11]),
        warnings=int(r[12]),
        report=json.loads(r[13]),
    )


def _states_table(states: Sequence[VehicleState]) -> pa.Table:
    columns: dict[str, list[Any]] = {
        "feed_id": [s.feed_id for s in states],
        "vehicle_id": [s.vehicle_id for s in states],
        "time": [ensure_utc(s.time) for s in states],
        "source": [s.source for s in states],
        "lat": [s.lat for s in states],
        "lon": [s.lon for s in states],
        "speed_kmh": [s.speed_kmh for s in states],
        "bearing_deg": [s.bearing_deg for s in states],
        "route_id": [s.route_id for s in states],
        "trip_id": [s.trip_id for s in states],
        "direction_id": [s.direction_id for s in states],
        "start_date": [s.start_date for s in states],
        "start_time": [s.start_time for s in states],
        "shape_dist_m": [s.shape_dist_m for s in states],
        "stop_sequence": [s.stop_sequence for s in states],
        "stop_id": [s.stop_id for s in states],
        "at_stop": [int(s.at_stop) for s in states],
        "delay_s": [s.delay_s for s in states],
        "match_kind": [s.match.value for s in states],
        "reason": [s.reason for s in states],
    }
    return pa.table(columns, schema=STAGE_VEHICLE_STATES)


def _state_from_row(r: Row) -> VehicleState:
    return VehicleState(
        feed_id=r[0],
        vehicle_id=r[1],
        time=ensure_utc(r[2]),
        source=r[3],
        lat=_f(r[4]),
        lon=_f(r[5]),
        speed_kmh=_f(r[6]),
        bearing_deg=_f(r[7]),
        route_id=r[8],
        trip_id=r[9],
        direction_id=None if r[10] is None else int(r[10]),
        start_date=r[11],
        start_time=r[12],
        shape_dist_m=_f(r[13]),
        stop_sequence=None if r[14] is None else int(r[14]),
        stop_id=r[15],
        at_stop=bool(r[16]),
        delay_s=_f(r[17]),
        match=MatchKind(r[18]),
        reason=r[19],
    )


def _merge_events(old: StopEvent | None, new: StopEvent) -> StopEvent:
    if old is None:
        return new
    return StopEvent(
        feed_id=new.feed_id,
        trip_id=new.trip_id,
        start_date=new.start_date,
        stop_sequence=new.stop_sequence,
        stop_id=new.stop_id,
        route_id=new.route_id,
        direction_id=new.direction_id,
        vehicle_id=new.vehicle_id or old.vehicle_id,
        scheduled_arrival=new.scheduled_arrival or old.scheduled_arrival,
        scheduled_departure=new.scheduled_departure or old.scheduled_departure,
        observed_arrival=new.observed_arrival or old.observed_arrival,
        observed_departure=new.observed_departure or old.observed_departure,
        start_time=new.start_time or old.start_time,
    )


def _events_table(events: Sequence[StopEvent]) -> pa.Table:
    def when(value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    columns: dict[str, list[Any]] = {
        "feed_id": [e.feed_id for e in events],
        "trip_id": [e.trip_id for e in events],
        "start_date": [e.start_date for e in events],
        "stop_sequence": [e.stop_sequence for e in events],
        "stop_id": [e.stop_id for e in events],
        "route_id": [e.route_id for e in events],
        "direction_id": [e.direction_id for e in events],
        "vehicle_id": [e.vehicle_id for e in events],
        "start_time": [e.start_time for e in events],
        "scheduled_arrival": [when(e.scheduled_arrival) for e in events],
        "scheduled_departure": [when(e.scheduled_departure) for e in events],
        "observed_arrival": [when(e.observed_arrival) for e in events],
        "observed_departure": [when(e.observed_departure) for e in events],
    }
    return pa.table(columns, schema=STAGE_STOP_EVENTS)


def _event_from_row(r: Row) -> StopEvent:
    def when(value: Any) -> datetime | None:
        return None if value is None else ensure_utc(value)

    return StopEvent(
        feed_id=r[0],
        trip_id=r[1],
        start_date=r[2],
        stop_sequence=int(r[3]),
        stop_id=r[4],
        route_id=r[5],
        direction_id=None if r[6] is None else int(r[6]),
        vehicle_id=r[7],
        start_time=r[8],
        scheduled_arrival=when(r[9]),
        scheduled_departure=when(r[10]),
        observed_arrival=when(r[11]),
        observed_departure=when(r[12]),
    )


def _f(value: Any) -> float | None:
    return None if value is None else float(value)
