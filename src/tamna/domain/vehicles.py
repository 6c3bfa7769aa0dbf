"""Vehicles seen on the network: buses (and, in the twin, any vehicle) with GPS positions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class VehicleKind(StrEnum):
    """What kind of vehicle reports its position."""

    BUS = "bus"
    CAR = "car"
    EMERGENCY = "emergency"
    OTHER = "other"


class VehiclePosition(BaseModel):
    """One GPS fix of a vehicle."""

    vehicle_id: str = Field(min_length=1, max_length=128)
    kind: VehicleKind = VehicleKind.BUS
    time: datetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    speed_kmh: float | None = Field(default=None, ge=0, le=250)
    bearing_deg: float | None = Field(default=None, ge=0, lt=360)
    route_id: str | None = None
    #: the GTFS trip the vehicle runs, when it knows (a bus's on-board unit logged into its duty)
    trip_id: str | None = None
    link_id: str | None = None
