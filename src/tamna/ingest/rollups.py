"""Keeps the roll-up tables up to date: ingest marks the time range it touched, a flush recomputes it.

Roll-ups are refreshed in the background (every few seconds in the server) rather than per batch, so that
thousands of small batches a second do not each pay for an aggregation.
"""

from __future__ import annotations

import threading
from datetime import datetime

from tamna.store.base import Store


class RollupTracker:
    """The span of readings written since the last flush."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start: datetime | None = None
        self._end: datetime | None = None

    def mark(self, start: datetime, end: datetime) -> None:
        """Note that readings between ``start`` and ``end`` (inclusive) were written."""
        with self._lock:
            self._start = start if self._start is None else min(self._start, start)
            self._end = end if self._end is None else max(self._end, end)

    @property
    def pending(self) -> bool:
        """Whether a flush has work to do."""
        return self._start is not None

    def flush(self, store: Store) -> tuple[datetime, datetime] | None:
        """Recompute roll-ups for the marked span; returns it (None when nothing was marked)."""
        with self._lock:
            start, end = self._start, self._end
            self._start = self._end = None
        if start is None or end is None:
            return None
        try:
            store.refresh_rollups(start, end)
        except Exception:
            self.mark(start, end)  # keep the span so that the next flush retries it
            raise
        return start, end
