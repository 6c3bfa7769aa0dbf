"""Bodies of the observation endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tamna.domain.observations import HistoryPoint
from tamna.domain.rejections import Rejection


class IngestAnswer(BaseModel):
    """What happened to a pushed batch."""

    received: int
    stored: int
    rejected: int
    rejections: list[Rejection] = Field(description="up to 20 refused records; all are in /api/v1/rejections")


class History(BaseModel):
    """A sensor's or link's readings over a window, per bucket."""

    sensor_id: str | None = None
    link_id: str | None = None
    start: datetime
    end: datetime
    bucket: str
    points: list[HistoryPoint]
