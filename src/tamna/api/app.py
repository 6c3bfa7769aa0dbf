"""The app factory: one FastAPI app per settings object, with its store, pipeline and workers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import Response

from tamna import __version__
from tamna.api import problems
from tamna.api.keys import ensure_key
from tamna.api.limits import BodySizeLimit
from tamna.api.routes import (
    board,
    forecasts,
    gtfsrt,
    health,
    history,
    keys,
    kpis,
    network,
    observations,
    recent,
    sensors,
    signals,
    state,
    stream,
    transit,
    twin,
    vehicles,
)
from tamna.api.state import AppState
from tamna.api.web import router as web_router
from tamna.core.events import EventBus
from tamna.core.settings import Settings, load_settings
from tamna.core.timeutil import utcnow
from tamna.domain.access import Role
from tamna.ingest.pipeline import IngestPipeline
from tamna.store.base import Store, open_store
from tamna.traffic.forecasting.live import LiveForecasts

DESCRIPTION = """Tamna's city data hub: road network, sensors, live state, history and ingest.

Reads marked **public** need no key. Others need an API key (`Authorization: Bearer tmn_…` or `X-API-Key`)
with a role: *viewer* reads history, *operator* pushes data and registers sensors, *admin* manages keys and
the network. Errors are RFC 9457 problem documents."""


def build_state(
    settings: Settings,
    store: Store | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    forecast_model: Path | None = None,
) -> AppState:
    """Open the store (migrating it) and wire the pipeline and the bus. ``clock`` is the platform's "now" (the
    simulation clock when the digital twin drives the city). ``forecast_model`` is the artifact live forecasts use
    (default: ``settings.forecast_model``, then the newest under data_dir/models, else persistence)."""
    store = store or open_store(settings.database_url, memory_limit=settings.duckdb_memory_limit)
    store.migrate()
    if settings.admin_key:
        ensure_key(store, settings.admin_key, Role.ADMIN, "TAMNA_ADMIN_KEY")
    bus = EventBus()
    pipeline = IngestPipeline(store, bus, future_tolerance_s=settings.future_tolerance_s, clock=clock)
    app_state = AppState(settings=settings, store=store, bus=bus, pipeline=pipeline, clock=clock)
    bus.subscribe("network.changed", lambda _event: setattr(app_state, "network_geojson", None))
    app_state.forecasts = LiveForecasts(
        store,
        clock=clock,
        artifact=forecast_model or settings.forecast_model,
        models_dir=settings.data_dir / "models",
    )
    return app_state


def create_app(
    settings: Settings | None = None, *, app_state: AppState | None = None, background: bool = True
) -> FastAPI:
    """Build the API. ``background`` starts the roll-up worker and MQTT subscriber with the app."""
    settings = settings or load_settings()
    owns_state = app_state is None
    shared = app_state or build_state(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if background:
            shared.start_background()
        try:
            yield
        finally:
            if background:
                shared.stop_background()
            if owns_state:  # a caller that passed its own state closes its own store
                shared.store.close()

    app = FastAPI(title="Tamna", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.tamna = shared
    problems.install(app)
    for module in (
        health, network, sensors, state, history, recent, observations, keys, kpis, stream, twin, vehicles,
        transit, gtfsrt, board, forecasts, signals,
    ):  # fmt: skip
        app.include_router(module.router)
    app.include_router(web_router)

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        shared.requests.add(request.method, template, response.status_code, time.perf_counter() - started)
        return response

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several workers: settings from ``TAMNA_*``."""
    return create_app(load_settings())
