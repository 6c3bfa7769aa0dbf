"""Observations: what a sensor measured at an instant, with the physical limits that make a value absurd."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

#: Column order of an observation batch, in Arrow and in the store.
OBSERVATION_COLUMNS = ("sensor_id", "time", "speed_kmh", "flow_vph", "occupancy_pct", "quality")
MEASURE_COLUMNS = ("speed_kmh", "flow_vph", "occupancy_pct")

#: Inclusive plausible ranges. Faster than 250 km/h on a city road is a broken sensor, not a car;
#: 10,000 veh/h is well above a four-lane detector's capacity (~2,200 veh/h/lane).
LIMITS: dict[str, tuple[float, float]] = {
    "speed_kmh": (0.0, 250.0),
    "flow_vph": (0.0, 10_000.0),
    "occupancy_pct": (0.0, 100.0),
}

#: Readings older than this are refused as absurd (a clock reset to 1970 is the usual cause).
EARLIEST_YEAR = 1990


class Quality(IntEnum):
    """How far an observation can be trusted. Stored as a small integer."""

    OK = 0
    SUSPECT = 1
    IMPUTED = 2
    SIMULATED = 3


QUALITY_BY_NAME = {quality.name.lower(): quality for quality in Quality}


class Observation(BaseModel):
    """One reading. At least one of the three measures is present."""

    model_config = ConfigDict(frozen=True)

    sensor_id: str
    time: AwareDatetime
    speed_kmh: float | None = Field(default=None, ge=LIMITS["speed_kmh"][0], le=LIMITS["speed_kmh"][1])
    flow_vph: float | None = Field(default=None, ge=LIMITS["flow_vph"][0], le=LIMITS["flow_vph"][1])
    occupancy_pct: float | None = Field(default=None, ge=LIMITS["occupancy_pct"][0], le=LIMITS["occupancy_pct"][1])
    quality: Quality = Quality.OK


class SensorState(BaseModel):
    """The latest reading of a sensor."""

    sensor_id: str
    link_id: str | None
    time: datetime
    speed_kmh: float | None
    flow_vph: float | None
    occupancy_pct: float | None
    quality: Quality


class LinkState(BaseModel):
    """The live state of a link, merged from the latest readings of its sensors."""

    link_id: str
    time: datetime
    speed_kmh: float | None
    flow_vph: float | None
    occupancy_pct: float | None
    reference_speed_kmh: float | None
    speed_ratio: float | None = Field(description="speed / reference speed; below 0.5 is congested")
    sensors: int


class HistoryPoint(BaseModel):
    """One time bucket of a sensor's or link's history (means over the bucket)."""

    time: datetime
    speed_kmh: float | None
    flow_vph: float | None
    occupancy_pct: float | None
    samples: int
