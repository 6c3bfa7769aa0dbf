"""The forecasting room's error."""

from __future__ import annotations

from tamna.core.errors import TamnaError


class ForecastError(TamnaError):
    """A dataset, a model or an artifact cannot be used for forecasting; the message names what is wrong."""
