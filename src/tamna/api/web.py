"""The operations dashboard at ``/``: its sources from ``web/src`` and MapLibre GL JS from
``web/node_modules/maplibre-gl/dist`` (installed from npm by ``make setup``, pinned by ``web/package-lock.json``).

Nothing comes from another origin, so the dashboard works offline, and a Content-Security-Policy holds the page
to that. Only those two folders are read: sources by a checked relative path, the library by an allow-list.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, HTMLResponse, Response

from tamna.api.deps import PUBLIC, State
from tamna.traffic.kpis import LIVE_WINDOW_S

#: ``web/`` of the source checkout (src/tamna/api/web.py → the repository root).
WEB_ROOT = Path(__file__).resolve().parents[3] / "web"
SOURCE_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
#: The library files the page loads (v6 ships ES modules; the worker is found next to the main module).
MAPLIBRE_FILES = {
    "maplibre-gl.mjs": "text/javascript; charset=utf-8",
    "maplibre-gl-worker.mjs": "text/javascript; charset=utf-8",
    "maplibre-gl.css": "text/css; charset=utf-8",
}
#: Relative paths of plain names: no leading dots, so no "..", no hidden files.
SAFE_PATH = re.compile(r"^(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self' blob:",  # MapLibre falls back to a blob worker where module workers are missing
        "style-src 'self' 'unsafe-inline'",  # MapLibre positions its controls with inline styles
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
SETUP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tamna: dashboard not installed</title>
<style>body{{font-family:system-ui,sans-serif;margin:3rem;background:#0f172a;color:#e2e8f0;max-width:46rem}}
code{{background:#1e293b;padding:.1rem .35rem;border-radius:.25rem}}a{{color:#7dd3fc}}</style></head><body>
<h1>The dashboard is not installed</h1>
<p>{reason}</p>
<p>Run <code>make setup</code> in the Tamna checkout (it runs <code>npm ci</code> in <code>web/</code> and installs
MapLibre GL JS from npm), then reload this page.</p>
<p>The API works without it: <a href="/docs">API documentation</a>.</p>
</body></html>"""


def build_router(root: Path = WEB_ROOT) -> APIRouter:
    """The dashboard's routes, serving from ``root`` (a ``web/`` folder)."""
    router = APIRouter(include_in_schema=False)
    sources = root / "src"
    library = root / "node_modules" / "maplibre-gl"

    @router.get("/", openapi_extra=PUBLIC)
    def index(state: State) -> Response:
        """The operations dashboard."""
        if not (library / "dist" / "maplibre-gl.mjs").is_file():
            reason = f"MapLibre GL JS is missing from {html.escape(str(library))}."
            return HTMLResponse(SETUP_PAGE.format(reason=reason), status_code=503)
        if not (sources / "index.html").is_file():
            reason = f"The dashboard's sources are missing from {html.escape(str(sources))}."
            return HTMLResponse(SETUP_PAGE.format(reason=reason), status_code=503)
        version = json.loads((library / "package.json").read_text(encoding="utf-8")).get("version", "")
        page = (sources / "index.html").read_text(encoding="utf-8")
        for name, value in {
            "CITY": state.settings.city,
            "TIMEZONE": state.settings.timezone,
            "LIVE_WINDOW_S": str(LIVE_WINDOW_S),
            "MAPLIBRE_VERSION": str(version),
        }.items():
            page = page.replace("{{" + name + "}}", html.escape(value))
        return HTMLResponse(page, headers={"content-security-policy": CSP, "cache-control": "no-cache"})

    @router.get("/web/{path:path}")
    def source(path: str, request: Request) -> Response:
        """A dashboard source file."""
        media_type = SOURCE_TYPES.get(Path(path).suffix)
        target = _inside(sources, path) if media_type else None
        if target is None or media_type is None:
            return Response(status_code=404)
        return _file(request, target, media_type)

    @router.get("/vendor/maplibre-gl/{name}")
    def maplibre(name: str, request: Request) -> Response:
        """One of MapLibre GL JS's distributed files."""
        media_type = MAPLIBRE_FILES.get(name)
        target = library / "dist" / name
        if media_type is None or not target.is_file():
            return Response(status_code=404)
        return _file(request, target, media_type)

    return router


def _file(request: Request, target: Path, media_type: str) -> Response:
    """``target``, revalidated on every load: an upgraded library or an edited source is seen at once, and an
    unchanged one costs a 304."""
    headers = {"cache-control": "no-cache", "x-content-type-options": "nosniff"}
    response = FileResponse(target, media_type=media_type, headers=headers, stat_result=target.stat())
    etag = response.headers.get("etag")
    wanted = request.headers.get("if-none-match", "")
    if etag and etag in [tag.strip().removeprefix("W/") for tag in wanted.split(",")]:
        return Response(status_code=304, headers={**headers, "etag": etag})
    return response


def _inside(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` when it is a plain file that really lies inside ``folder`` (links included)."""
    if not SAFE_PATH.match(relative):
        return None
    base = folder.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


router = build_router()
