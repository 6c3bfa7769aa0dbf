"""The transit part of the :class:`~tamna.store.base.Store` protocol: GTFS feeds, vehicle states, stop events,
service alerts. Implemented once for both SQL backends in :mod:`tamna.store.sql_transit`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from tamna.domain.transit import FeedSummary, StopEvent, TransitAlert, VehicleState

if TYPE_CHECKING:
    import pyarrow as pa


class TransitStore(Protocol):
    """What ``tamna.transit`` keeps."""

    # GTFS static
    def replace_gtfs(self, summary: FeedSummary, tables: Mapping[str, pa.Table]) -> None:
        """Store a feed's tables (schemas of :data:`~tamna.store.gtfs_schema.GTFS_SCHEMAS`) in one transaction,
        replacing a feed of the same id."""
        ...

    def gtfs_feeds(self) -> list[FeedSummary]:
        """Every stored feed, the most recently imported first."""
        ...

    def gtfs_feed(self, feed_id: str) -> FeedSummary:
        """One feed's summary; raises NotFoundError."""
        ...

    def gtfs_tables(self, feed_id: str) -> dict[str, pa.Table]:
        """A stored feed's tables by logical name; raises NotFoundError."""
        ...

    def delete_gtfs(self, feed_id: str) -> None:
        """Remove a feed and its tables (vehicle states and stop events stay as history)."""
        ...

    # vehicles
    def write_vehicle_states(self, states: Sequence[VehicleState]) -> int:
        """Append fixes to the position log (upsert by feed, vehicle, time) and keep each vehicle's latest."""
        ...

    def latest_vehicle_states(self, feed_id: str, *, since: datetime | None = None) -> list[VehicleState]:
        """Each vehicle's latest state (at or after ``since`` when given), ordered by vehicle id."""
        ...

    def vehicle_states(
        self,
        feed_id: str,
        *,
        start: datetime,
        end: datetime,
        matched: bool | None = None,
        limit: int = 10_000,
    ) -> list[VehicleState]:
        """Logged states in [start, end) by time; ``matched`` False lists only the fixes that matched no trip."""
        ...

    def count_vehicle_states(self, feed_id: str) -> dict[str, int]:
        """Logged fixes by match kind (``none`` counts the unmatched)."""
        ...

    # stop events
    def write_stop_events(self, events: Sequence[StopEvent]) -> int:
        """Upsert observed stop events by (feed, trip, service day, stop sequence); a known time is kept when the
        new event lacks it."""
        ...

    def stop_events(
        self, feed_id: str, *, start: datetime, end: datetime, route_id: str | None = None
    ) -> list[StopEvent]:
        """Stop events observed in [start, end), ordered by trip instance and stop sequence."""
        ...

    # alerts
    def upsert_transit_alert(self, alert: TransitAlert, at: datetime) -> None:
        """Create or replace a service alert by id."""
        ...

    def transit_alerts(self, *, active_at: datetime | None = None) -> list[TransitAlert]:
        """All alerts, or those active at ``active_at``, ordered by id."""
        ...

    def delete_transit_alert(self, alert_id: str) -> None:
        """Remove an alert; raises NotFoundError."""
        ...
