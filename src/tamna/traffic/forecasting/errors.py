"""The forecasting room's error."""

from __future__ import annotations

from tamna.core.errors import TamnaError


class ForecastError(TamnaError):
    """A dataset, a model or an artifact cannot be used for forecasting; the message names what is wrong, and
    ``field`` and ``value``, when given, the input that was refused (the API shows them in its problem)."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
