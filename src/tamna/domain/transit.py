"""Public transport: what a GTFS import leaves behind, where each vehicle is on its trip, observed stop events and
service alerts. Plain types; the rules that make them live in ``tamna.transit``.

Vehicle states and stop events are dataclasses rather than pydantic models because the matcher makes thousands of
them a second; the API turns them into schemas at its edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field


class MatchKind(StrEnum):
    """How a position was tied to a trip (``none``: it was not, and ``reason`` says why)."""

    TRIP_ID = "trip_id"  # the vehicle named its trip
    SCHEDULE = "schedule"  # route (or position) and the timetable picked the trip
    TRIP_UPDATE = "trip_update"  # a GTFS-RT TripUpdate gave the trip's delay, without a position
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """One imported GTFS feed: where it came from, its extent, its counts and its validation report (JSON)."""

    feed_id: str
    source: str
    imported_at: datetime
    timezone: str
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
    start_date: str | None  # YYYYMMDD, first day with service
    end_date: str | None
    counts: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VehicleState:
    """A vehicle's fix and, when matched, its trip instance and progress along the trip's shape."""

    feed_id: str
    vehicle_id: str
    time: datetime
    source: str
    lat: float | None = None
    lon: float | None = None
    speed_kmh: float | None = None
    bearing_deg: float | None = None
    route_id: str | None = None
    trip_id: str | None = None
    direction_id: int | None = None
    start_date: str | None = None  # service day, YYYYMMDD
    start_time: str | None = None  # HH:MM:SS, set for frequency-based trips
    shape_dist_m: float | None = None  # metres travelled along the trip's shape
    stop_sequence: int | None = None  # the stop the vehicle is at or heading to
    stop_id: str | None = None
    at_stop: bool = False
    delay_s: float | None = None
    match: MatchKind = MatchKind.NONE
    reason: str | None = None  # why an unmatched fix could not be matched

    @property
    def matched(self) -> bool:
        """Whether the fix is tied to a trip."""
        return self.match is not MatchKind.NONE


@dataclass(frozen=True, slots=True)
class StopEvent:
    """A vehicle observed at a stop of a trip instance: scheduled and observed times (UTC)."""

    feed_id: str
    trip_id: str
    start_date: str
    stop_sequence: int
    stop_id: str
    route_id: str
    direction_id: int | None
    vehicle_id: str | None
    scheduled_arrival: datetime | None
    scheduled_departure: datetime | None
    observed_arrival: datetime | None
    observed_departure: datetime | None = None
    start_time: str | None = None

    @property
    def delay_s(self) -> float | None:
        """Observed minus scheduled arrival (departure when the arrival is unknown), in seconds."""
        if self.observed_arrival is not None and self.scheduled_arrival is not None:
            return (self.observed_arrival - self.scheduled_arrival).total_seconds()
        if self.observed_departure is not None and self.scheduled_departure is not None:
            return (self.observed_departure - self.scheduled_departure).total_seconds()
        return None


class AlertCause(StrEnum):
    """GTFS-Realtime Alert.Cause."""

    UNKNOWN_CAUSE = "UNKNOWN_CAUSE"
    OTHER_CAUSE = "OTHER_CAUSE"
    TECHNICAL_PROBLEM = "TECHNICAL_PROBLEM"
    STRIKE = "STRIKE"
    DEMONSTRATION = "DEMONSTRATION"
    ACCIDENT = "ACCIDENT"
    HOLIDAY = "HOLIDAY"
    WEATHER = "WEATHER"
    MAINTENANCE = "MAINTENANCE"
    CONSTRUCTION = "CONSTRUCTION"
    POLICE_ACTIVITY = "POLICE_ACTIVITY"
    MEDICAL_EMERGENCY = "MEDICAL_EMERGENCY"


class AlertEffect(StrEnum):
    """GTFS-Realtime Alert.Effect."""

    NO_SERVICE = "NO_SERVICE"
    REDUCED_SERVICE = "REDUCED_SERVICE"
    SIGNIFICANT_DELAYS = "SIGNIFICANT_DELAYS"
    DETOUR = "DETOUR"
    ADDITIONAL_SERVICE = "ADDITIONAL_SERVICE"
    MODIFIED_SERVICE = "MODIFIED_SERVICE"
    OTHER_EFFECT = "OTHER_EFFECT"
    UNKNOWN_EFFECT = "UNKNOWN_EFFECT"
    STOP_MOVED = "STOP_MOVED"
    NO_EFFECT = "NO_EFFECT"
    ACCESSIBILITY_ISSUE = "ACCESSIBILITY_ISSUE"


class TransitAlert(BaseModel):
    """A service alert for riders (published in the GTFS-Realtime Alerts feed). At least one of route, stop or
    trip names what it is about."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    header: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=4000)
    url: str | None = Field(default=None, max_length=2000)
    language: str | None = Field(default=None, max_length=16, description="BCP 47 tag of the texts, e.g. 'ko'")
    cause: AlertCause = AlertCause.UNKNOWN_CAUSE
    effect: AlertEffect = AlertEffect.UNKNOWN_EFFECT
    active_from: AwareDatetime | None = None
    active_until: AwareDatetime | None = None
    route_ids: list[str] = Field(default_factory=list, max_length=500)
    stop_ids: list[str] = Field(default_factory=list, max_length=500)
    trip_ids: list[str] = Field(default_factory=list, max_length=500)
