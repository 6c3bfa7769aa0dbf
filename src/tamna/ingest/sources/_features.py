"""Turning loosely typed features into domain objects, with pydantic errors rendered as rejections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from tamna.core.timeutil import utcnow
from tamna.domain.rejections import Rejection

M = TypeVar("M", bound=BaseModel)


def build_or_reject(
    factory: Callable[[], M], *, source: str, position: int, raw: Any, rejections: list[Rejection]
) -> M | None:
    """Call ``factory``; on a validation error record a rejection naming the first bad field and value."""
    try:
        return factory()
    except PydanticValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "record"
        value = first.get("input")
        rejections.append(
            Rejection(
                source=source,
                received_at=utcnow(),
                field=field,
                value=_short(value),
                reason=f"{field} {_short(value)!r}: {first['msg']}",
                record=_short(raw, 4000),
                position=position,
            )
        )
        return None
    except (ValueError, TypeError, KeyError) as err:
        rejections.append(
            Rejection(
                source=source,
                received_at=utcnow(),
                field="record",
                reason=str(err),
                record=_short(raw, 4000),
                position=position,
            )
        )
        return None


def _short(value: Any, limit: int = 200) -> str:
    if isinstance(value, str):
        return value[:limit]
    try:
        return orjson.dumps(value, default=str).decode()[:limit]
    except TypeError:
        return repr(value)[:limit]
