"""Live state: the latest reading per sensor and the merged state per link (public, as a traffic centre's
open data is)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from tamna.api.deps import PUBLIC, State
from tamna.domain.observations import LinkState, SensorState

router = APIRouter(prefix="/api/v1/state", tags=["live state"])

MaxAge = Annotated[int | None, Query(ge=1, le=7 * 86400, description="only readings younger than this many seconds")]


@router.get("/links", openapi_extra=PUBLIC)
def link_states(state: State, max_age_s: MaxAge = None) -> list[LinkState]:
    """Every link with a recent reading: speed, flow, occupancy and speed relative to free flow."""
    since = state.clock() - timedelta(seconds=max_age_s) if max_age_s else None
    return state.store.latest_link_states(since=since)


@router.get("/sensors", openapi_extra=PUBLIC)
def sensor_states(state: State, max_age_s: MaxAge = None) -> list[SensorState]:
    """The latest reading of every sensor."""
    since = state.clock() - timedelta(seconds=max_age_s) if max_age_s else None
    return state.store.latest_sensor_states(since=since)
