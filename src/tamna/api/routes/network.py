"""The road network as GeoJSON (public), and its replacement by an administrator."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from tamna.api.deps import PUBLIC, Admin, State
from tamna.api.schemas.network import network_geojson, nodes_geojson
from tamna.ingest.network import import_network

router = APIRouter(prefix="/api/v1", tags=["network"])


@router.get("/network", openapi_extra=PUBLIC, response_class=Response)
def get_network(state: State) -> Response:
    """All links as a GeoJSON FeatureCollection (cached until the network changes)."""
    if state.network_geojson is None:
        state.network_geojson = orjson.dumps(network_geojson(state.store.network()))
    return Response(state.network_geojson, media_type="application/geo+json")


@router.get("/network/nodes", openapi_extra=PUBLIC, response_class=Response)
def get_nodes(
    state: State, kind: Annotated[str | None, Query(max_length=64, description="e.g. traffic_light")] = None
) -> Response:
    """Junction nodes as GeoJSON points, all or only those of one kind (the dashboard's signals layer)."""
    return Response(orjson.dumps(nodes_geojson(state.store.network().nodes, kind)), media_type="application/geo+json")


@router.post("/network")
async def post_network(request: Request, state: State, key: Admin) -> dict[str, Any]:
    """Add or replace links and nodes from a GeoJSON FeatureCollection body (admin)."""
    body = await request.body()

    def work() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "network.geojson"
            path.write_bytes(body)
            outcome = import_network(state.store, path, source_name="geojson")
        state.network_geojson = None
        state.bus.publish("network.changed", {"links": outcome.links, "by": key.id})
        return outcome.as_dict()

    return await run_in_threadpool(work)
