"""Health and Prometheus metrics (public, read-only)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tamna import __version__
from tamna.api.deps import PUBLIC, State
from tamna.api.metrics import render_metrics
from tamna.api.schemas.health import Health
from tamna.core.errors import StoreError

router = APIRouter(tags=["health"])


@router.get("/healthz", openapi_extra=PUBLIC)
def health(state: State) -> Health:
    """Liveness and readiness: answers 200 when the store answers."""
    try:
        version = state.store.schema_version()
    except StoreError as err:
        raise StoreError("store unreachable") from err
    mqtt = "off"
    if state.mqtt is not None:
        mqtt = "connected" if state.mqtt.connected.is_set() else "reconnecting"
    return Health(status="ok", version=__version__, store=state.store.backend, schema_version=version, mqtt=mqtt)


@router.get("/metrics", openapi_extra=PUBLIC, response_class=Response)
def metrics(state: State) -> Response:
    """Prometheus text exposition: ingest counters by path and refused field, HTTP request counts."""
    return Response(render_metrics(state), media_type="text/plain; version=0.0.4; charset=utf-8")
