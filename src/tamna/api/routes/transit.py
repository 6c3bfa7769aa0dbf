"""Public transport: feeds, live vehicles, arrivals at a stop, KPIs, service alerts, and pushing fixes or
GTFS-Realtime messages in. The router's lifespan starts the transit inputs (the twin's bus positions, MQTT)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool

from tamna.api.deps import PUBLIC, Operator, State, Viewer
from tamna.api.schemas.transit import (
    FeedOut,
    KpisOut,
    StopArrivals,
    TransitIngestAnswer,
    UnmatchedOut,
    VehicleOut,
)
from tamna.api.state import AppState
from tamna.core.errors import ValidationError
from tamna.core.timeutil import ensure_utc
from tamna.domain.rejections import Rejection
from tamna.domain.transit import TransitAlert
from tamna.transit.matching import Ping
from tamna.transit.positions import ping_from_json
from tamna.transit.runtime import TransitRuntime
from tamna.transit.service import TransitService

MAX_PUSH = 10_000


def service_of(app: FastAPI) -> TransitService:
    """The app's transit service, made on first use."""
    service: TransitService | None = getattr(app.state, "transit", None)
    if service is None:
        shared: AppState = app.state.tamna
        service = TransitService(shared.store, shared.bus, clock=shared.clock)
        app.state.transit = service
    return service


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the transit inputs with the app and stop them with it."""
    shared: AppState = app.state.tamna
    service = service_of(app)
    runtime = TransitRuntime(service.ingest, shared.bus, city=shared.settings.city, mqtt_url=shared.settings.mqtt)
    runtime.start()
    try:
        yield
    finally:
        runtime.stop()


def transit(request: Request) -> TransitService:
    """Dependency: the transit service."""
    return service_of(request.app)


Transit = Annotated[TransitService, Depends(transit)]
router = APIRouter(prefix="/api/v1", tags=["transit"], lifespan=lifespan)


@router.get("/transit/feeds", openapi_extra=PUBLIC)
def list_feeds(state: State) -> list[FeedOut]:
    """Imported GTFS feeds, the active one (the most recently imported) first."""
    return [FeedOut.of(feed) for feed in state.store.gtfs_feeds()]


@router.get("/transit/feeds/{feed_id}/report", openapi_extra=PUBLIC)
def feed_report(feed_id: str, state: State) -> dict[str, Any]:
    """The validation report of a feed's import: notices by code, with counts and first examples."""
    return state.store.gtfs_feed(feed_id).report


@router.get("/transit/vehicles", openapi_extra=PUBLIC)
def vehicles(service: Transit) -> list[VehicleOut]:
    """Every vehicle seen in the last five minutes: where it is, its trip, progress and delay."""
    return [VehicleOut.of(s) for s in service.live_states() if s.lat is not None]


@router.get("/transit/unmatched")
def unmatched(service: Transit, key: Viewer, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> UnmatchedOut:
    """Fixes of the last day that matched no trip (kept, with the reason), and counts by match kind."""
    feed_id = service.schedule().feed_id
    now = service.clock()
    states = service.store.vehicle_states(
        feed_id, start=now - timedelta(days=1), end=now + timedelta(minutes=5), matched=False, limit=limit
    )
    return UnmatchedOut(counts=service.store.count_vehicle_states(feed_id), recent=[VehicleOut.of(s) for s in states])


@router.get("/stops/{stop_id}/arrivals", openapi_extra=PUBLIC)
def arrivals(stop_id: str, service: Transit, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> StopArrivals:
    """The next arrivals at a stop (a station: at its platforms) within 90 minutes: predicted where a vehicle
    or trip update is live, else from the timetable (``realtime`` false)."""
    now = service.clock()
    schedule = service.schedule()
    stop, found = service.arrivals(stop_id, limit=limit, now=now)
    return StopArrivals.of(stop, found, now, schedule.feed_id, schedule.summary.timezone)


@router.get("/transit/kpis", openapi_extra=PUBLIC)
def kpis(
    service: Transit,
    start: Annotated[datetime | None, Query(description="ISO 8601 with offset; default: 24 h before end")] = None,
    end: Annotated[datetime | None, Query(description="ISO 8601 with offset; default: now")] = None,
    route_id: str | None = None,
) -> KpisOut:
    """On-time performance (−1/+5 min) per route and hour; headway regularity and excess wait time of frequent
    routes, from the stop events observed in [start, end)."""
    end = ensure_utc(end, field="end") if end else service.clock()
    start = ensure_utc(start, field="start") if start else end - timedelta(days=1)
    if end <= start or end - start > timedelta(days=92):
        raise ValidationError("the period must be positive and at most 92 days", field="start", value=start)
    result = service.kpis(start, end, route_id=route_id)
    return KpisOut.of(result, service.schedule().feed_id, start, end)


@router.get("/transit/alerts", openapi_extra=PUBLIC)
def list_alerts(state: State) -> list[TransitAlert]:
    """Every service alert (the GTFS-Realtime Alerts feed carries the active ones)."""
    return state.store.transit_alerts()


@router.put("/transit/alerts/{alert_id}")
def put_alert(alert_id: str, alert: TransitAlert, state: State, key: Operator) -> TransitAlert:
    """Create or replace a service alert."""
    if alert.id != alert_id:
        raise ValidationError(f"the body's id {alert.id!r} differs from the path's", field="id", value=alert.id)
    if not (alert.route_ids or alert.stop_ids or alert.trip_ids):
        raise ValidationError("an alert names at least one route, stop or trip", field="route_ids")
    state.store.upsert_transit_alert(alert, state.clock())
    state.bus.publish("transit.alerts", {"id": alert.id, "by": key.id})
    return alert


@router.delete("/transit/alerts/{alert_id}", status_code=204)
def delete_alert(alert_id: str, state: State, key: Operator) -> None:
    """Remove a service alert."""
    state.store.delete_transit_alert(alert_id)
    state.bus.publish("transit.alerts", {"id": alert_id, "by": key.id, "deleted": True})


@router.post("/transit/positions")
async def push_positions(request: Request, service: Transit, key: Operator) -> TransitIngestAnswer:
    """Vehicle fixes as a JSON array of ``{vehicle_id, time, lat, lon, speed_kmh?, bearing_deg?, trip_id?,
    route_id?}``. Plausible fixes are matched and stored; the others are refused with their reason."""
    body = await request.body()

    def work() -> TransitIngestAnswer:
        import orjson

        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError as err:
            raise ValidationError(f"the body is not JSON: {err}", field="body") from err
        items = items if isinstance(items, list) else [items]
        if len(items) > MAX_PUSH:
            raise ValidationError(f"{len(items)} fixes exceed the limit of {MAX_PUSH}", field="body")
        pings: list[Ping] = []
        refused: list[Rejection] = []
        source = f"http:{key.id}"
        for position, item in enumerate(items):
            try:
                if not isinstance(item, dict) or not isinstance(item.get("vehicle_id"), str):
                    raise ValidationError("each fix is an object with a vehicle_id string", field="vehicle_id")
                pings.append(ping_from_json(item["vehicle_id"], item, source=source))
            except ValidationError as err:
                refused.append(
                    Rejection(
                        source=source,
                        received_at=service.clock(),
                        reason=str(err),
                        field=err.field,
                        record=orjson.dumps(item).decode()[:4000],
                        position=position,
                    )
                )
        return TransitIngestAnswer.of(service.ingest.ingest_pings(pings, source=source, refused=refused))

    return await run_in_threadpool(work)


@router.post("/transit/realtime")
async def push_realtime(request: Request, service: Transit, key: Operator) -> TransitIngestAnswer:
    """A GTFS-Realtime FeedMessage (protobuf body): VehiclePositions and/or TripUpdates. A body that does not
    parse is dead-lettered and answered 400."""
    body = await request.body()
    result = await run_in_threadpool(service.ingest.ingest_realtime, body, source=f"http:{key.id}")
    return TransitIngestAnswer.of(result)
