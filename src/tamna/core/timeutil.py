"""Time helpers. Tamna keeps every instant timezone-aware in UTC; the city's zone is for display only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tamna.core.errors import ConfigError, ValidationError


def utcnow() -> datetime:
    """Return the current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def ensure_utc(value: datetime, *, field: str = "time") -> datetime:
    """Return ``value`` converted to UTC; a naive datetime is refused because its zone is unknowable.

    >>> from datetime import timezone, timedelta
    >>> ensure_utc(datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{field} {value.isoformat()!r} has no UTC offset", field=field, value=value)
    return value.astimezone(UTC)


def parse_instant(text: str, *, field: str = "time") -> datetime:
    """Parse an ISO 8601 instant that carries an offset (``Z`` or ``+09:00``) into UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError) as err:
        raise ValidationError(f"{field} {text!r} is not an ISO 8601 time", field=field, value=text) from err
    return ensure_utc(parsed, field=field)


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise a ConfigError that names it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(f"unknown time zone {name!r}") from err


def floor_time(value: datetime, step: timedelta) -> datetime:
    """Floor ``value`` to a multiple of ``step`` counted from the Unix epoch.

    >>> floor_time(datetime(2026, 1, 1, 10, 17, tzinfo=UTC), timedelta(minutes=15)).isoformat()
    '2026-01-01T10:15:00+00:00'
    """
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((value - epoch) // step) * step
