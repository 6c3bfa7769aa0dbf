"""The stop arrival board at ``/board/{stop_id}``: a page for a street display (``web/board/``), big text that
counts down and refreshes itself from ``/api/v1/stops/{stop_id}/arrivals``. Nothing comes from another origin."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import FileResponse, HTMLResponse, Response

from tamna.api.routes.transit import Transit

#: ``web/board/`` of the source checkout (src/tamna/api/routes/board.py → the repository root).
BOARD_ROOT = Path(__file__).resolve().parents[4] / "web" / "board"
STATIC = {"board.js": "text/javascript; charset=utf-8", "board.css": "text/css; charset=utf-8"}
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ]
)

router = APIRouter(include_in_schema=False)


@router.get("/board/{stop_id}")
def board(
    stop_id: str,
    service: Transit,
    lang: Annotated[Literal["ko", "en"], Query(description="labels in Korean (default) or English")] = "ko",
    refresh_s: Annotated[int, Query(ge=5, le=300)] = 15,
) -> Response:
    """The board of one stop (404 when the stop is not in the active feed)."""
    stop = service.schedule().stops.get(stop_id)
    page = (BOARD_ROOT / "index.html").read_text(encoding="utf-8")
    if stop is None:
        return HTMLResponse(f"<!doctype html><title>404</title><p>unknown stop {html.escape(stop_id)}</p>", 404)
    for name, value in {
        "STOP_ID": stop.stop_id,
        "STOP_NAME": stop.name,
        "LANG": lang,
        "REFRESH_S": str(refresh_s),
        "TIMEZONE": service.schedule().summary.timezone,
    }.items():
        page = page.replace("{{" + name + "}}", html.escape(value))
    return HTMLResponse(page, headers={"content-security-policy": CSP, "cache-control": "no-cache"})


@router.get("/board-static/{name}")
def static(name: str) -> Response:
    """The board's script and style sheet."""
    media_type = STATIC.get(name)
    if media_type is None:
        return Response(status_code=404)
    return FileResponse(
        BOARD_ROOT / name,
        media_type=media_type,
        headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"},
    )
