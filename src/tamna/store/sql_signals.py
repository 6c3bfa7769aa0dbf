"""The signal-operation queries of :class:`~tamna.store.sql.SqlStore` (the audit trail of operators' signal
commands), written once for DuckDB and PostgreSQL."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from tamna.core.timeutil import ensure_utc
from tamna.domain.signals import SignalAction, SignalChange

Row = tuple[Any, ...]
_COLUMNS = "id, changed_at, sim_time, scenario, signal_id, action, previous, controller, phase, key_id, key_name, role"


class SignalQueries(ABC):
    """Mixed into :class:`~tamna.store.sql.SqlStore`, which provides the connection primitives."""

    _write_lock: AbstractContextManager[Any]

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def add_signal_change(self, change: SignalChange) -> None:
        """Log one operator command on a signal."""
        c = change
        with self._write_lock:
            self._run(
                f"INSERT INTO signal_changes ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.id, c.at, c.sim_time, c.scenario, c.signal_id, c.action.value, c.previous, c.controller,
                    c.phase, c.key_id, c.key_name, c.role,
                ),
            )  # fmt: skip

    def signal_changes(self, *, limit: int = 100, signal_id: str | None = None) -> list[SignalChange]:
        """The most recent changes first (of one signal when ``signal_id`` is given)."""
        where, params = ("WHERE signal_id = ?", [signal_id]) if signal_id is not None else ("", [])
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM signal_changes {where} ORDER BY changed_at DESC, id DESC LIMIT ?", (*params, limit)
        )
        return [
            SignalChange(
                id=r[0],
                at=ensure_utc(r[1]),
                sim_time=ensure_utc(r[2]) if r[2] is not None else None,
                scenario=r[3],
                signal_id=r[4],
                action=SignalAction(r[5]),
                previous=r[6],
                controller=r[7],
                phase=r[8],
                key_id=r[9],
                key_name=r[10],
                role=r[11],
            )
            for r in rows
        ]
