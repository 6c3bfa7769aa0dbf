"""The live stream (public): Server-Sent Events that keep the operations dashboard current.

Messages: ``links`` (states of links whose sensors just reported), ``kpis`` (city KPIs), ``vehicles`` (latest
positions), ``twin`` (simulation tick) and ``incidents`` (created or cleared). Each carries one JSON object.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tamna.api.deps import PUBLIC
from tamna.api.live import Live, live_lifespan
from tamna.api.problems import problem
from tamna.api.sse import EventStreamResponse

router = APIRouter(prefix="/api/v1", tags=["live state"], lifespan=live_lifespan)

STREAM_DOC = {
    **PUBLIC,
    "responses": {
        "200": {"description": "an endless text/event-stream", "content": {"text/event-stream": {}}},
        "503": {"description": "too many clients are connected; retry later"},
    },
}


@router.get("/stream", openapi_extra=STREAM_DOC, response_class=Response)
async def stream(live: Live) -> Response:
    """Live updates as Server-Sent Events, with a heartbeat comment every 15 s."""
    if live.closing:
        return problem(503, "stopping", "this server is stopping; retry in a moment", kind="stopping")
    if live.hub.full:
        return problem(503, "too many clients", "the live stream is full; retry later", kind="stream-full")
    return EventStreamResponse(live.hub)
