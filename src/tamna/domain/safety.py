"""Cameras, incidents and alerts. Their tables exist from the start; the safety issues fill them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Camera(BaseModel):
    """A CCTV camera in the city's registry."""

    id: str = Field(min_length=1, max_length=128)
    name: str | None = None
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    link_id: str | None = None
    stream_url: str | None = None


class IncidentStatus(StrEnum):
    """Life cycle of an incident."""

    REPORTED = "reported"
    VERIFIED = "verified"
    DISPATCHED = "dispatched"
    CLEARED = "cleared"


class Incident(BaseModel):
    """A crash, breakdown, hazard or emergency call at a place."""

    id: str
    kind: str
    status: IncidentStatus = IncidentStatus.REPORTED
    reported_at: datetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    link_id: str | None = None
    description: str | None = None


class AlertSeverity(StrEnum):
    """How urgently an operator should look."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Alert(BaseModel):
    """Something an operator should see: congestion, a detected incident, a sensor gone quiet."""

    id: str
    kind: str
    severity: AlertSeverity
    raised_at: datetime
    message: str
    link_id: str | None = None
    sensor_id: str | None = None
    closed_at: datetime | None = None
