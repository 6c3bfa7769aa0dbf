"""The transit part of the store on both backends: vehicle states (log and latest), stop events merged from
their arrival and departure halves, alerts, and removing a feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tamna.core.errors import NotFoundError
from tamna.domain.transit import MatchKind, StopEvent, TransitAlert, VehicleState
from tamna.store import Store
from tests.transit.conftest import MORNING


def test_vehicle_states_keep_a_log_and_the_latest(feed_store: Store) -> None:
    first = VehicleState(
        feed_id="jeju",
        vehicle_id="b1",
        time=MORNING,
        source="t",
        lat=33.5,
        lon=126.53,
        trip_id="100-0-0480",
        start_date="20260302",
        delay_s=12.5,
        match=MatchKind.TRIP_ID,
    )
    later = replace(first, time=MORNING + timedelta(seconds=30), delay_s=20.0, at_stop=True)
    older = replace(first, time=MORNING - timedelta(seconds=30), delay_s=-5.0)
    assert feed_store.write_vehicle_states([first, later]) == 2
    feed_store.write_vehicle_states([older])  # late delivery: logged, but not the latest
    [latest] = feed_store.latest_vehicle_states("jeju")
    assert (latest.time, latest.delay_s, latest.at_stop, latest.match) == (later.time, 20.0, True, MatchKind.TRIP_ID)
    assert feed_store.latest_vehicle_states("jeju", since=MORNING + timedelta(minutes=1)) == []
    logged = feed_store.vehicle_states("jeju", start=MORNING - timedelta(hours=1), end=MORNING + timedelta(hours=1))
    assert [s.delay_s for s in logged] == [-5.0, 12.5, 20.0]


def test_stop_event_halves_merge(feed_store: Store) -> None:
    arrival = StopEvent(
        feed_id="jeju",
        trip_id="100-0-0480",
        start_date="20260302",
        stop_sequence=3,
        stop_id="S3",
        route_id="R100",
        direction_id=0,
        vehicle_id="b1",
        scheduled_arrival=MORNING,
        scheduled_departure=MORNING + timedelta(seconds=30),
        observed_arrival=MORNING,
    )
    departure = replace(arrival, observed_arrival=None, observed_departure=MORNING + timedelta(seconds=50))
    feed_store.write_stop_events([arrival])
    feed_store.write_stop_events([departure])
    [event] = feed_store.stop_events("jeju", start=MORNING, end=MORNING + timedelta(minutes=1))
    assert (event.observed_arrival, event.observed_departure) == (MORNING, MORNING + timedelta(seconds=50))
    assert event.delay_s == 0.0
    assert feed_store.stop_events("jeju", start=MORNING, end=MORNING + timedelta(minutes=1), route_id="R200") == []


def test_alerts_and_removing_a_feed(feed_store: Store) -> None:
    alert = TransitAlert(
        id="a1", header="운행 중단", route_ids=["R200"], active_from=MORNING, active_until=MORNING + timedelta(hours=2)
    )
    feed_store.upsert_transit_alert(alert, MORNING)
    feed_store.upsert_transit_alert(alert.model_copy(update={"header": "운행 재개"}), MORNING)
    assert [a.header for a in feed_store.transit_alerts()] == ["운행 재개"]
    assert feed_store.transit_alerts(active_at=MORNING + timedelta(hours=3)) == []
    feed_store.delete_transit_alert("a1")
    with pytest.raises(NotFoundError):
        feed_store.delete_transit_alert("a1")
    feed_store.delete_gtfs("jeju")
    assert feed_store.gtfs_feeds() == []
    with pytest.raises(NotFoundError):
        feed_store.gtfs_tables("jeju")
