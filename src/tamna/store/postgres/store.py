"""The PostgreSQL store. Arrow batches reach the server by COPY into temporary staging tables."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg_pool import ConnectionPool

from tamna.core.errors import StoreError
from tamna.core.settings import redact_url
from tamna.store.sql import Row, SqlStore

_PG_TYPES = {
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float32(): "REAL",
    pa.float64(): "DOUBLE PRECISION",
    pa.string(): "TEXT",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


class PostgresStore(SqlStore):
    """Tamna's store in PostgreSQL (``postgresql://user@host:port/db``)."""

    backend = "postgresql"
    dialect = "postgres"

    def __init__(self, url: str, *, max_connections: int = 8) -> None:
        super().__init__()
        self.url = redact_url(url)
        try:
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max_connections,
                open=True,
                timeout=10,
                kwargs={"autocommit": True},
                configure=_configure,
            )
            self._pool.wait(timeout=10)
        except (psycopg.Error, Exception) as err:
            raise StoreError(f"cannot connect to PostgreSQL at {self.url}: {err}") from err
        self._local = threading.local()

    def _current(self) -> psycopg.Connection[Any] | None:
        connection: psycopg.Connection[Any] | None = getattr(self._local, "connection", None)
        return connection

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._execute(sql, params, fetch=False)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._execute(sql, params, fetch=True)

    def _execute(self, sql: str, params: Sequence[Any], *, fetch: bool) -> list[Row]:
        query = sql.replace("?", "%s")
        try:
            current = self._current()
            if current is not None:
                cursor = current.execute(query, list(params))
                return cursor.fetchall() if fetch else []
            with self._pool.connection() as connection:
                cursor = connection.execute(query, list(params))
                return cursor.fetchall() if fetch else []
        except psycopg.Error as err:
            raise StoreError(f"PostgreSQL: {err}") from err

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._current() is not None:  # nested: the outer transaction commits
            yield
            return
        try:
            with self._pool.connection() as connection:
                self._local.connection = connection
                try:
                    with connection.transaction():
                        yield
                finally:
                    self._local.connection = None
        except psycopg.Error as err:
            raise StoreError(f"PostgreSQL: {err}") from err

    def _stage(self, name: str, table: pa.Table) -> None:
        connection = self._current()
        if connection is None:
            raise StoreError("staging needs a transaction")
        columns = ", ".join(f"{field.name} {_PG_TYPES[field.type]}" for field in table.schema)
        connection.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DELETE ROWS")
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False))
        with connection.cursor().copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getbuffer())

    def _bucket_sql(self, column: str, step: timedelta) -> str:
        return f"date_bin(INTERVAL '{int(step.total_seconds())} seconds', {column}, TIMESTAMPTZ '1970-01-01')"

    def close(self) -> None:
        self._pool.close()


def _configure(connection: psycopg.Connection[Any]) -> None:
    connection.execute("SET TIME ZONE 'UTC'")
