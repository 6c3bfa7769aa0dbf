"""What the transit endpoints answer: feeds, vehicles, arrivals at a stop, KPIs, ingest outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tamna.domain.rejections import Rejection
from tamna.domain.transit import FeedSummary, VehicleState
from tamna.transit.arrivals import Arrival
from tamna.transit.kpis import Headways, OnTime, TransitKpis
from tamna.transit.live import TransitResult
from tamna.transit.schedule import Stop


class FeedOut(BaseModel):
    """An imported GTFS feed."""

    feed_id: str
    source: str
    imported_at: datetime
    timezone: str
    bbox: tuple[float, float, float, float] = Field(description="min_lon, min_lat, max_lon, max_lat")
    start_date: str | None
    end_date: str | None
    counts: dict[str, int]
    errors: int
    warnings: int

    @classmethod
    def of(cls, feed: FeedSummary) -> FeedOut:
        """From the domain type."""
        return cls(
            feed_id=feed.feed_id,
            source=feed.source,
            imported_at=feed.imported_at,
            timezone=feed.timezone,
            bbox=feed.bbox,
            start_date=feed.start_date,
            end_date=feed.end_date,
            counts=feed.counts,
            errors=feed.errors,
            warnings=feed.warnings,
        )


class VehicleOut(BaseModel):
    """A vehicle's latest state."""

    vehicle_id: str
    time: datetime
    lat: float | None
    lon: float | None
    speed_kmh: float | None
    bearing_deg: float | None
    route_id: str | None
    trip_id: str | None
    start_date: str | None
    start_time: str | None
    shape_dist_m: float | None
    stop_id: str | None
    stop_sequence: int | None
    at_stop: bool
    delay_s: float | None
    match: str
    reason: str | None = Field(default=None, description="why an unmatched fix was not matched")

    @classmethod
    def of(cls, state: VehicleState) -> VehicleOut:
        """From the domain type."""
        return cls(
            vehicle_id=state.vehicle_id,
            time=state.time,
            lat=state.lat,
            lon=state.lon,
            speed_kmh=state.speed_kmh,
            bearing_deg=state.bearing_deg,
            route_id=state.route_id,
            trip_id=state.trip_id,
            start_date=state.start_date,
            start_time=state.start_time,
            shape_dist_m=state.shape_dist_m,
            stop_id=state.stop_id,
            stop_sequence=state.stop_sequence,
            at_stop=state.at_stop,
            delay_s=state.delay_s,
            match=state.match.value,
            reason=state.reason,
        )


class ArrivalOut(BaseModel):
    """One run's arrival at the stop."""

    route_id: str
    route: str = Field(description="what a sign shows (the short name)")
    color: str | None
    text_color: str | None
    headsign: str | None
    trip_id: str
    start_date: str
    start_time: str | None
    stop_id: str
    stop_sequence: int
    scheduled: datetime
    predicted: datetime
    minutes: int = Field(description="whole minutes from now until the predicted arrival (0: arriving)")
    realtime: bool = Field(description="predicted from a live vehicle or trip update; false: the timetable")
    vehicle_id: str | None
    delay_s: float | None

    @classmethod
    def of(cls, arrival: Arrival, now: datetime) -> ArrivalOut:
        """From the domain type."""
        return cls(
            route_id=arrival.route_id,
            route=arrival.route,
            color=arrival.color,
            text_color=arrival.text_color,
            headsign=arrival.headsign,
            trip_id=arrival.trip_id,
            start_date=arrival.start_date,
            start_time=arrival.start_time,
            stop_id=arrival.stop_id,
            stop_sequence=arrival.stop_sequence,
            scheduled=arrival.scheduled,
            predicted=arrival.predicted,
            minutes=max(0, int((arrival.predicted - now).total_seconds() // 60)),
            realtime=arrival.realtime,
            vehicle_id=arrival.vehicle_id,
            delay_s=arrival.delay_s,
        )


class StopArrivals(BaseModel):
    """A stop and its next arrivals."""

    stop_id: str
    stop_name: str
    stop_code: str | None
    lat: float
    lon: float
    feed_id: str
    timezone: str
    now: datetime = Field(description="the server's time, for a display to count down against")
    arrivals: list[ArrivalOut]

    @classmethod
    def of(cls, stop: Stop, arrivals: list[Arrival], now: datetime, feed_id: str, timezone: str) -> StopArrivals:
        """From the domain types."""
        return cls(
            stop_id=stop.stop_id,
            stop_name=stop.name,
            stop_code=stop.code,
            lat=stop.lat,
            lon=stop.lon,
            feed_id=feed_id,
            timezone=timezone,
            now=now,
            arrivals=[ArrivalOut.of(a, now) for a in arrivals],
        )


class OnTimeOut(BaseModel):
    """On-time performance of a route in an hour (``hour`` null: the whole period)."""

    route_id: str
    hour: int | None
    events: int
    on_time: float | None
    early: float | None
    late: float | None
    mean_delay_s: float | None


class HeadwaysOut(BaseModel):
    """Headway regularity and excess wait time of a frequent route in an hour (``hour`` null: the period)."""

    route_id: str
    hour: int | None
    headways: int
    scheduled_headway_s: float | None
    mean_headway_s: float | None
    cv: float | None = Field(description="coefficient of variation of the observed headways")
    awt_s: float | None = Field(description="average wait time of riders arriving at random")
    swt_s: float | None = Field(description="the same for the scheduled headways")
    ewt_s: float | None = Field(description="excess wait time, AWT − SWT")


class KpisOut(BaseModel):
    """Operations KPIs of a period."""

    feed_id: str
    start: datetime
    end: datetime
    events: int
    early_s: float
    late_s: float
    on_time: list[OnTimeOut]
    headways: list[HeadwaysOut]

    @classmethod
    def of(cls, kpis: TransitKpis, feed_id: str, start: datetime, end: datetime) -> KpisOut:
        """From the domain type."""
        return cls(
            feed_id=feed_id,
            start=start,
            end=end,
            events=kpis.events,
            early_s=kpis.early_s,
            late_s=kpis.late_s,
            on_time=[OnTimeOut(**_fields(k)) for k in kpis.on_time],
            headways=[HeadwaysOut(**_fields(h)) for h in kpis.headways],
        )


def _fields(item: OnTime | Headways) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


class TransitIngestAnswer(BaseModel):
    """What became of pushed fixes or a pushed GTFS-Realtime message."""

    received: int
    matched: int
    unmatched: int
    rejected: int
    trip_updates: int
    stop_events: int
    rejections: list[Rejection]
    unmatched_reasons: dict[str, int]

    @classmethod
    def of(cls, result: TransitResult) -> TransitIngestAnswer:
        """From the ingest result."""
        return cls(
            received=result.received,
            matched=result.matched,
            unmatched=result.unmatched,
            rejected=result.rejected,
            trip_updates=result.trip_updates,
            stop_events=result.stop_events,
            rejections=result.rejections,
            unmatched_reasons=dict(result.unmatched_reasons),
        )


class UnmatchedOut(BaseModel):
    """Fixes that matched no trip, with how many there are by kind."""

    counts: dict[str, int]
    recent: list[VehicleOut]
