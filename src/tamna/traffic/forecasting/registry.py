"""The ``forecasters`` registry: every model folder under ``models/``, by name.

Filled on first use, not on import, so that importing Tamna loads no model code; the contract tests iterate it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tamna.core.errors import NotFoundError
from tamna.core.registry import Registry
from tamna.traffic.forecasting.base import Forecaster
from tamna.traffic.forecasting.errors import ForecastError

#: what ``--model best`` means: the model Tamna recommends (best on the validation slices of Los-loop, see
#: docs/forecasting.md)
RECOMMENDED = "graph-mlp"
BEST = "best"


@cache
def forecasters() -> Registry[type[Forecaster]]:
    """All registered forecasting models."""
    from tamna.traffic.forecasting.models.graph_mlp import GraphMlp
    from tamna.traffic.forecasting.models.historical_average import HistoricalAverage
    from tamna.traffic.forecasting.models.last_value import LastValue
    from tamna.traffic.forecasting.models.ridge import Ridge
    from tamna.traffic.forecasting.models.seasonal_naive import SeasonalNaive

    registry: Registry[type[Forecaster]] = Registry("forecaster")
    for model in (LastValue, HistoricalAverage, SeasonalNaive, Ridge, GraphMlp):
        registry.register(model.name, model)
    return registry


def resolve(name: str) -> str:
    """``best`` becomes the recommended model's name; other names are checked."""
    chosen = RECOMMENDED if name == BEST else name
    if chosen not in forecasters():
        raise ForecastError(f"unknown model {name!r}; known: {', '.join([*forecasters().names(), BEST])}")
    return chosen


def create(name: str, params: dict[str, Any] | None = None) -> Forecaster:
    """A new, unfitted model called ``name`` (or ``best``) with ``params``."""
    try:
        kind = forecasters().get(resolve(name))
    except NotFoundError as err:  # pragma: no cover - resolve() checked the name
        raise ForecastError(str(err)) from err
    return kind(**(params or {}))
