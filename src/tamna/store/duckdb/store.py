"""The DuckDB store. Writes are serialised by the base class; reads use a cursor per thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tamna.core.errors import StoreError
from tamna.store.sql import Row, SqlStore


class DuckDBStore(SqlStore):
    """Tamna's store in a DuckDB file (or in memory when ``path`` is None)."""

    backend = "duckdb"
    dialect = "duckdb"
    # A month of a city's readings rolled up in one statement passes the memory limit (512 MB by default).
    rollup_window = timedelta(days=1)

    def __init__(self, path: Path | None, *, memory_limit: str = "512MB") -> None:
        super().__init__()
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path) if path else ":memory:")
            self._con.execute("SET TimeZone = 'UTC'")
            self._con.execute(f"SET memory_limit = '{_safe_size(memory_limit)}'")
        except duckdb.Error as err:
            raise StoreError(f"cannot open DuckDB store at {path}: {err}") from err
        self._local = threading.local()
        self._writer: duckdb.DuckDBPyConnection | None = None
        self._writer_thread = 0
        self._closed = False

    @property
    def url(self) -> str:
        """Where this store lives, for logs."""
        return f"duckdb:///{self.path}" if self.path else "duckdb:///:memory:"

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise StoreError("the store is closed")
        if self._writer is not None and self._writer_thread == threading.get_ident():
            return self._writer
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._con.cursor()
            self._local.cursor = cursor
        return cursor

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            self._cursor().execute(sql, list(params))
        except duckdb.Error as err:
            raise StoreError(f"DuckDB: {err}") from err

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return self._cursor().execute(sql, list(params)).fetchall()
        except duckdb.Error as err:
            raise StoreError(f"DuckDB: {err}") from err

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._write_lock:
            if self._writer is not None:  # nested: the outer transaction commits
                yield
                return
            writer = self._con.cursor()
            self._writer, self._writer_thread = writer, threading.get_ident()
            try:
                writer.execute("BEGIN TRANSACTION")
                yield
                writer.execute("COMMIT")
            except BaseException:
                writer.execute("ROLLBACK")
                raise
            finally:
                self._writer = None
                writer.close()

    def _stage(self, name: str, table: pa.Table) -> None:
        if self._writer is None:
            raise StoreError("staging needs a transaction")
        self._writer.register(name, table)

    def _bucket_sql(self, column: str, step: timedelta) -> str:
        return f"time_bucket(INTERVAL '{int(step.total_seconds())} seconds', {column}, TIMESTAMPTZ '1970-01-01')"

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._con.close()


def _safe_size(text: str) -> str:
    """Accept only sizes like '512MB' so the SET statement cannot be abused."""
    cleaned = text.strip().upper()
    if not cleaned[:-2].replace(".", "", 1).isdigit() or cleaned[-2:] not in ("KB", "MB", "GB"):
        raise StoreError(f"duckdb_memory_limit {text!r} is not a size such as '512MB'")
    return cleaned
