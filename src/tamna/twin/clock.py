"""The simulation clock: simulated seconds mapped to UTC instants. Scenario time ``t`` is ``t`` seconds after
local midnight of a base date in the city's zone, so a scenario that begins at 25200 s starts at 07:00 there.

While the twin drives the city this clock is the platform's "now": the ingest pipeline checks readings against
it, so the twin's readings are never in the future, whatever the speed.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

from tamna.core.timeutil import zone


class SimClock:
    """Thread-safe: the simulation thread advances it, API requests read it."""

    def __init__(self, begin_s: float, *, timezone: str = "Asia/Seoul", base_date: date | None = None) -> None:
        tz = zone(timezone)
        day = base_date or datetime.now(tz).date()
        self.base = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        self.timezone = timezone
        self._seconds = float(begin_s)
        self._lock = threading.Lock()

    @property
    def seconds(self) -> float:
        """Simulated seconds since the base date's local midnight."""
        with self._lock:
            return self._seconds

    def advance(self, seconds: float) -> None:
        """Set the simulated time (the runtime calls this after every step)."""
        with self._lock:
            self._seconds = float(seconds)

    def at(self, seconds: float) -> datetime:
        """The UTC instant of simulated time ``seconds``.

        >>> SimClock(0, base_date=date(2026, 11, 25)).at(25200).isoformat()
        '2026-11-24T22:00:00+00:00'
        """
        return self.base + timedelta(seconds=seconds)

    def now(self) -> datetime:
        """The current simulated instant, in UTC; pass this as the platform's clock."""
        return self.at(self.seconds)

    __call__ = now
