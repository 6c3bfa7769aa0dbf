"""Sensors: anything that reports observations about a place on the network."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SensorKind(StrEnum):
    """How a sensor measures traffic."""

    LOOP = "loop"
    RADAR = "radar"
    PROBE = "probe"
    CAMERA = "camera"


class Sensor(BaseModel):
    """A sensor, optionally placed on a link. Observations refer to it by ``id``."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: SensorKind
    link_id: str | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    name: str | None = None
