"""City KPIs (public): the headline figures of the operations center."""

from __future__ import annotations

from fastapi import APIRouter

from tamna.api.deps import PUBLIC
from tamna.api.live import Live
from tamna.traffic.kpis import CityKpis

router = APIRouter(prefix="/api/v1", tags=["live state"])


@router.get("/kpis", openapi_extra=PUBLIC)
def city_kpis(live: Live) -> CityKpis:
    """Mean network speed (length-weighted), congested lane-km, links reporting, open alerts and the twin's
    vehicles, over link states of the last 15 minutes."""
    return live.city.kpis()
