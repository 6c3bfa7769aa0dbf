"""Seasonal naive: the value one season before the target (yesterday at the same time, by default).

It reads a season of history before each origin, further back than the one-hour input window of the other models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tamna.traffic.forecasting.base import FitData, Forecaster
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.windows import Windows


@dataclass(frozen=True)
class SeasonalNaiveParams:
    """``season_minutes``: the season's length (1440 = a day, 10080 = a week)."""

    season_minutes: int = 1440


class SeasonalNaive(Forecaster):
    """``y(t + h) = y(t + h - season)``."""

    name = "seasonal-naive"
    description = "the reading one season (default a day) before each target instant"
    Params = SeasonalNaiveParams

    @property
    def context_steps(self) -> int:
        season_s = self.params.season_minutes * 60
        if season_s % self._meta.interval_s:
            raise ForecastError(f"a season of {self.params.season_minutes} min is not a whole number of steps")
        season = season_s // self._meta.interval_s
        if season < self._meta.horizon_steps:
            raise ForecastError(
                f"a season of {self.params.season_minutes} min is shorter than the horizon of "
                f"{self._meta.horizon_steps} steps: its value would lie in the future"
            )
        return int(season)

    def _fit(self, data: FitData, selection: dict[str, Any] | None) -> dict[str, Any]:
        return {}

    def _predict(self, history: np.ndarray, windows: Windows) -> np.ndarray:
        season = self.params.season_minutes * 60 // self._meta.interval_s
        context = history.shape[1]
        # the target origin + h sits at index context - 1 + h; a season earlier is that minus the season
        index = context - 1 + np.arange(1, self._meta.horizon_steps + 1) - season
        return history[:, index, :]
