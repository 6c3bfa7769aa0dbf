"""Windows cut from a series by time, the input fill policy, and the calendar of an instant.

A window is the ``context`` rows up to and including its origin (the last observed instant) and the ``horizon``
rows after it. Rows are grid instants, so a window never straddles a gap unnoticed: a missing hour is twelve NaN
rows, not twelve rows from the day before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from tamna.core.timeutil import zone
from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.errors import ForecastError

#: Inputs missing for up to this many steps are carried forward from the last reading; longer gaps take the
#: sensor's training mean. Carrying forward only uses the past, so filling can never leak a target into an input.
FILL_LIMIT_STEPS = 12
DAY_S = 86_400


@dataclass(frozen=True, eq=False)
class Windows:
    """B forecast origins: the readings before each (``history`` is B x context x N, NaN where missing, the last
    row being the origin) and the origin instants (epoch seconds)."""

    history: np.ndarray
    origin_s: np.ndarray
    interval_s: int
    timezone: str

    def __post_init__(self) -> None:
        if self.history.ndim != 3 or self.history.shape[0] != self.origin_s.shape[0]:
            raise ForecastError(
                f"windows: history {self.history.shape} does not match {self.origin_s.shape[0]} origins"
            )

    @property
    def count(self) -> int:
        """Number of origins."""
        return int(self.history.shape[0])

    def target_times(self, horizon: int) -> np.ndarray:
        """B x horizon epoch seconds of the instants forecast."""
        steps = np.arange(1, horizon + 1, dtype=np.int64) * self.interval_s
        return self.origin_s[:, None] + steps[None, :]


def cut(series: SensorSeries, origins: np.ndarray, context: int) -> Windows:
    """The ``context`` rows ending at each origin row; rows before the series' start are NaN."""
    if context < 1:
        raise ForecastError(f"a window needs at least one input step, not {context}")
    rows = origins[:, None] - np.arange(context - 1, -1, -1)[None, :]
    inside = rows >= 0
    history = np.full((len(origins), context, series.values.shape[1]), np.nan)
    history[inside] = series.values[rows[inside]]
    return Windows(
        history=history,
        origin_s=series.start_s + origins.astype(np.int64) * series.interval_s,
        interval_s=series.interval_s,
        timezone=series.timezone,
    )


def targets(series: SensorSeries, origins: np.ndarray, horizon: int) -> np.ndarray:
    """B x horizon x N readings after each origin; instants past the series' end are NaN."""
    rows = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    inside = rows < series.steps
    out = np.full((len(origins), horizon, series.values.shape[1]), np.nan)
    out[inside] = series.values[rows[inside]]
    return out


def fill_causal(history: np.ndarray, fallback: np.ndarray, limit: int = FILL_LIMIT_STEPS) -> np.ndarray:
    """Fill NaN inputs: carry the last reading forward for up to ``limit`` steps, then use ``fallback`` (one value
    per sensor, usually its training mean). ``history`` is B x C x N; a new array is returned."""
    filled = history.copy()
    gap = np.zeros(filled.shape[::2], dtype=np.int64)
    last = np.full(filled.shape[::2], np.nan)
    for step in range(filled.shape[1]):
        now = filled[:, step, :]
        seen = np.isfinite(now)
        gap = np.where(seen, 0, gap + 1)
        last = np.where(seen, now, last)
        carry = ~seen & (gap <= limit) & np.isfinite(last)
        now[carry] = last[carry]
        rest = ~np.isfinite(now)
        if rest.any():
            now[rest] = np.broadcast_to(fallback, now.shape)[rest]
    return filled


def calendar(times_s: np.ndarray, timezone: str, interval_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Local slot of the day (0 .. day/interval - 1) and day of the week (Monday 0) of each instant."""
    if DAY_S % interval_s:
        raise ForecastError(f"an interval of {interval_s} s does not divide a day; time-of-day slots need it to")
    tz = zone(timezone)
    flat = np.asarray(times_s, dtype=np.int64).ravel()
    # the UTC offset changes at most twice a year: look it up once per distinct hour, not per instant
    hours, back = np.unique(flat // 3600, return_inverse=True)
    offsets = np.array(
        [int(datetime.fromtimestamp(int(h) * 3600, UTC).astimezone(tz).utcoffset().total_seconds()) for h in hours],  # type: ignore[union-attr]
        dtype=np.int64,
    )
    local = flat + offsets[back]
    slot = (local % DAY_S) // interval_s
    # 1970-01-01 was a Thursday (weekday 3)
    weekday = (local // DAY_S + 3) % 7
    shape = np.shape(times_s)
    return slot.reshape(shape), weekday.reshape(shape)
