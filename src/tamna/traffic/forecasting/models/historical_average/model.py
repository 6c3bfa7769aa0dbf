"""Historical average by time of week: what this sensor usually reads at this weekday and time.

Ignores the recent readings entirely, which is why it loses at short horizons and is hard to beat on regular days
far ahead. T-GCN's "HA" is of this kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tamna.traffic.forecasting.base import FitData, Forecaster, fitted
from tamna.traffic.forecasting.profile import Profile
from tamna.traffic.forecasting.windows import Windows


@dataclass(frozen=True)
class HistoricalAverageParams:
    """``finest``: the finest profile key used (``week``, ``daytype`` or ``day``)."""

    finest: str = "week"


class HistoricalAverage(Forecaster):
    """The profile's value at each target instant."""

    name = "historical-average"
    description = "training mean by time of week, falling back to weekday/weekend, then time of day"
    Params = HistoricalAverageParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.profile: Profile | None = None

    @property
    def context_steps(self) -> int:
        return 1

    def _fit(self, data: FitData, selection: dict[str, Any] | None) -> dict[str, Any]:
        part = data.fit_part()
        self.profile = Profile(part.interval_s, part.timezone, len(part.sensor_ids)).add(part.times_s(), part.values)
        return {}

    def _predict(self, history: np.ndarray, windows: Windows) -> np.ndarray:
        return fitted(self.profile, self.name).lookup(
            windows.target_times(self._meta.horizon_steps), finest=self.params.finest
        )

    def _save(self, folder: Path) -> None:
        np.savez(folder / "profile.npz", **fitted(self.profile, self.name).state())

    def _load(self, folder: Path) -> None:
        with np.load(folder / "profile.npz") as arrays:
            self.profile = Profile.from_state(self._meta.interval_s, self._meta.timezone, dict(arrays))
