"""History of a sensor or a link in time buckets (viewer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from tamna.api.deps import State, Viewer
from tamna.api.schemas.observations import History
from tamna.core.errors import ValidationError
from tamna.core.timeutil import ensure_utc
from tamna.store.base import Bucket

router = APIRouter(prefix="/api/v1", tags=["history"])

MAX_SPAN = timedelta(days=400)
Start = Annotated[datetime | None, Query(description="ISO 8601 with offset; default: 24 h before end")]
End = Annotated[datetime | None, Query(description="ISO 8601 with offset; default: now")]
BucketQuery = Annotated[Bucket | None, Query(description="raw, 1m, 5m, 15m or 1h; default by span")]


def _window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    end = ensure_utc(end, field="end") if end else now
    start = ensure_utc(start, field="start") if start else end - timedelta(hours=24)
    if start >= end:
        raise ValidationError(
            f"start {start.isoformat()} is not before end {end.isoformat()}", field="start", value=start
        )
    if end - start > MAX_SPAN:
        raise ValidationError(
            f"window of {(end - start).days} days exceeds {MAX_SPAN.days}", field="start", value=start
        )
    return start, end


@router.get("/sensors/{sensor_id}/history")
def sensor_history(
    sensor_id: str, state: State, key: Viewer, start: Start = None, end: End = None, bucket: BucketQuery = None
) -> History:
    """A sensor's readings, averaged per bucket."""
    lo, hi = _window(start, end, state.clock())
    chosen = bucket or Bucket.for_span(hi - lo)
    points = state.store.history(sensor_id=sensor_id, start=lo, end=hi, bucket=chosen)
    return History(sensor_id=sensor_id, start=lo, end=hi, bucket=chosen.value, points=points)


@router.get("/links/{link_id}/history")
def link_history(
    link_id: str, state: State, key: Viewer, start: Start = None, end: End = None, bucket: BucketQuery = None
) -> History:
    """A link's readings (mean over its sensors), per bucket."""
    lo, hi = _window(start, end, state.clock())
    chosen = bucket or Bucket.for_span(hi - lo)
    points = state.store.history(link_id=link_id, start=lo, end=hi, bucket=chosen)
    return History(link_id=link_id, start=lo, end=hi, bucket=chosen.value, points=points)
