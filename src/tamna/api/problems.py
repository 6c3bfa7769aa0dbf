"""RFC 9457 problem responses, mapped from Tamna's errors in this one place."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tamna.core.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    IngestError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
    TamnaError,
    ValidationError,
)
from tamna.traffic.forecasting.errors import ForecastError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://tamna.dev/problems/"
STATUS_BY_ERROR: list[tuple[type[TamnaError], int, str]] = [
    (ValidationError, 422, "invalid-input"),
    # a dataset, model or horizon the request asked for that cannot be forecast with
    (ForecastError, 422, "forecast-input-unusable"),
    (NotFoundError, 404, "not-found"),
    (ConflictError, 409, "conflict"),
    (AuthError, 401, "unauthorized"),
    (PermissionDeniedError, 403, "forbidden"),
    (IngestError, 400, "unreadable-input"),
    (ConfigError, 400, "bad-configuration"),
    (StoreError, 503, "store-unavailable"),
]


def problem(status: int, title: str, detail: str, *, kind: str, instance: str | None = None, **extra: Any) -> Response:
    """A ``application/problem+json`` response."""
    body: dict[str, Any] = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="tamna"'} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type="application/problem+json", headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into problems."""

    @app.exception_handler(TamnaError)
    async def tamna_error(request: Request, exc: TamnaError) -> Response:
        for error_type, status, kind in STATUS_BY_ERROR:
            if isinstance(exc, error_type):
                extra: dict[str, Any] = {}
                if isinstance(exc, ValidationError | ForecastError) and exc.field:
                    extra["errors"] = [{"field": exc.field, "value": _show(exc.value), "reason": str(exc)}]
                if status >= 500:
                    log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
                    detail = "the store is unavailable; retry later"
                else:
                    detail = str(exc)
                return problem(status, kind.replace("-", " "), detail, kind=kind, instance=request.url.path, **extra)
        log.exception("unmapped error on %s", request.url.path, exc_info=exc)
        return problem(500, "internal error", "an internal error occurred", kind="internal")

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": _field_of(error),
                "value": _show(error.get("input")),
                "reason": error.get("msg", ""),
            }
            for error in exc.errors()
        ]
        detail = "; ".join(f"{e['field']} {e['value']!r}: {e['reason']}" for e in errors[:5])
        return problem(422, "invalid input", detail, kind="invalid-input", instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return problem(
            exc.status_code,
            str(exc.detail),
            str(exc.detail),
            kind=f"http-{exc.status_code}",
            instance=request.url.path,
        )


def _field_of(error: Any) -> str:
    if error.get("type") == "json_invalid":
        return "body"  # its location ends with a character offset, which is not a field
    return ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()  # not orjson's quoted JSON string
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    return text[:200]
