"""The error tree. Each room raises its own subclass; the API maps them to problem responses in one place."""

from __future__ import annotations


class TamnaError(Exception):
    """Base of every error Tamna raises on purpose."""


class ConfigError(TamnaError):
    """A setting is missing, malformed or unsafe for the chosen environment."""


class NotFoundError(TamnaError):
    """A requested thing (sensor, link, key) does not exist."""


class ConflictError(TamnaError):
    """The request contradicts what is stored (a duplicate name, say)."""


class ValidationError(TamnaError):
    """Input was refused. ``field`` and ``value`` name what was wrong."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class StoreError(TamnaError):
    """The store could not do what was asked (connection lost, schema too new, ...)."""


class IngestError(TamnaError):
    """A whole input (a file, a stream) could not be read at all."""


class AuthError(TamnaError):
    """Missing or unknown credentials."""


class PermissionDeniedError(TamnaError):
    """Known credentials, but the role does not allow the action."""
