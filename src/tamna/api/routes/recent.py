"""Recent history of a link or a sensor (public): the last hours at a fixed, coarse resolution, for the
operations dashboard and anyone else who reads the live state. Arbitrary windows and raw readings stay with
the viewer-only history endpoints (see docs/adr/0005-dashboard-access.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from tamna.api.deps import PUBLIC, State
from tamna.api.schemas.observations import History
from tamna.store.base import Bucket

router = APIRouter(prefix="/api/v1", tags=["history"])

#: The most a public read returns: 24 h at 5 minutes (288 points) or 6 h at 1 minute (360 points).
MAX_HOURS = 24
Hours = Annotated[int, Query(ge=1, le=MAX_HOURS, description="how many hours back from now (1–24)")]


def _bucket(hours: int) -> Bucket:
    # never finer than a minute, so a public answer stays under ~360 points whatever is stored
    return Bucket.MIN_1 if hours <= 6 else Bucket.MIN_5


@router.get("/links/{link_id}/recent", openapi_extra=PUBLIC)
def link_recent(link_id: str, state: State, hours: Hours = 6) -> History:
    """A link's last ``hours`` (mean over its sensors), per minute up to 6 h, per 5 minutes beyond."""
    end = state.clock()
    start, bucket = end - timedelta(hours=hours), _bucket(hours)
    points = state.store.history(link_id=link_id, start=start, end=end, bucket=bucket)
    return History(link_id=link_id, start=start, end=end, bucket=bucket.value, points=points)


@router.get("/sensors/{sensor_id}/recent", openapi_extra=PUBLIC)
def sensor_recent(sensor_id: str, state: State, hours: Hours = 6) -> History:
    """A sensor's last ``hours``, per minute up to 6 h, per 5 minutes beyond."""
    end = state.clock()
    start, bucket = end - timedelta(hours=hours), _bucket(hours)
    points = state.store.history(sensor_id=sensor_id, start=start, end=end, bucket=bucket)
    return History(sensor_id=sensor_id, start=start, end=end, bucket=bucket.value, points=points)
