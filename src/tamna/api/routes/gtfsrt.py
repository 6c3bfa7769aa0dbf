"""The GTFS-Realtime feeds (public): TripUpdates, VehiclePositions and Alerts as protobuf, or as JSON with
``?format=json`` for people reading them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from tamna.api.deps import PUBLIC
from tamna.api.routes.transit import Transit

router = APIRouter(prefix="/gtfs-rt", tags=["transit"])
PROTOBUF = "application/x-protobuf"
Format = Annotated[Literal["pb", "json"], Query(alias="format", description="pb (default) or json")]


async def _answer(service: Transit, kind: str, fmt: str) -> Response:
    data = await run_in_threadpool(service.feed, kind)
    headers = {"cache-control": "no-cache", "access-control-allow-origin": "*"}
    if fmt == "json":
        from google.protobuf import json_format
        from google.transit import gtfs_realtime_pb2

        message = gtfs_realtime_pb2.FeedMessage()
        message.ParseFromString(data)
        return Response(json_format.MessageToJson(message), media_type="application/json", headers=headers)
    return Response(data, media_type=PROTOBUF, headers=headers)


@router.get("/trip-updates.pb", openapi_extra=PUBLIC, response_class=Response)
async def trip_updates(service: Transit, fmt: Format = "pb") -> Response:
    """GTFS-Realtime TripUpdates: predicted times at the stops ahead of each live trip run."""
    return await _answer(service, "trip-updates", fmt)


@router.get("/vehicle-positions.pb", openapi_extra=PUBLIC, response_class=Response)
async def vehicle_positions(service: Transit, fmt: Format = "pb") -> Response:
    """GTFS-Realtime VehiclePositions: every vehicle seen in the last five minutes."""
    return await _answer(service, "vehicle-positions", fmt)


@router.get("/alerts.pb", openapi_extra=PUBLIC, response_class=Response)
async def alerts(service: Transit, fmt: Format = "pb") -> Response:
    """GTFS-Realtime Alerts: the service alerts active now."""
    return await _answer(service, "alerts", fmt)
