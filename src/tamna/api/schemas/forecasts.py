"""Bodies of the forecast endpoint."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Forecast(BaseModel):
    """The forecast speed of a link (or of a sensor on no link) at one horizon, with an 80 % band."""

    model_config = ConfigDict(from_attributes=True)

    link_id: str | None = Field(description="the link; null for a sensor placed on no link")
    sensor_ids: list[str] = Field(description="the sensors whose forecasts were merged")
    horizon_min: int
    time: datetime = Field(description="the instant forecast (origin + horizon)")
    speed_kmh: float
    lower_kmh: float = Field(description="10th percentile of the model's validation errors around the forecast")
    upper_kmh: float = Field(description="90th percentile")
    model: str
    fallback: bool = Field(description="true when the forecast is the last reading because no model could be used")
    fallback_reason: str | None = None
    issued_at: datetime
