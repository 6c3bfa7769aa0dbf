"""Traffic forecasts per link and horizon (public, as live state is)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tamna.api.deps import PUBLIC, State
from tamna.api.schemas.forecasts import Forecast
from tamna.core.errors import ValidationError

router = APIRouter(prefix="/api/v1", tags=["forecasts"])


@router.get("/forecasts", openapi_extra=PUBLIC)
def forecasts(
    state: State,
    link_id: Annotated[str | None, Query(description="only this link")] = None,
    horizon_min: Annotated[int | None, Query(description="only this horizon (15, 30, 45 or 60)")] = None,
) -> list[Forecast]:
    """Forecast speed of every link with recent readings, 15 to 60 minutes ahead, with band and model."""
    service = state.forecasts
    if service is None:
        return []
    if horizon_min is not None and horizon_min not in service.horizons_min:
        allowed = ", ".join(str(h) for h in service.horizons_min)
        raise ValidationError(
            f"horizon_min {horizon_min} is not one of {allowed}", field="horizon_min", value=horizon_min
        )
    return [Forecast.model_validate(f) for f in service.current(link_id=link_id, horizon_min=horizon_min)]
