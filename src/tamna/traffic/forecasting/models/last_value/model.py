"""Persistence: tomorrow's traffic is today's. The bar every other model must clear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tamna.traffic.forecasting.base import FitData, Forecaster
from tamna.traffic.forecasting.windows import Windows


@dataclass(frozen=True)
class LastValueParams:
    """No parameters."""


class LastValue(Forecaster):
    """Every horizon gets the latest reading (gaps carried forward, as for every model)."""

    name = "last-value"
    description = "the last observed value at every horizon (persistence baseline)"
    Params = LastValueParams

    def _fit(self, data: FitData, selection: dict[str, Any] | None) -> dict[str, Any]:
        return {}

    def _predict(self, history: np.ndarray, windows: Windows) -> np.ndarray:
        horizon = self._meta.horizon_steps
        return np.repeat(history[:, -1:, :], horizon, axis=1)
