"""Operations KPIs worked by hand: on-time performance within −1/+5 min, and the excess wait time and headway
regularity of a frequent route."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tamna.domain.transit import StopEvent
from tamna.store import Store
from tamna.transit.kpis import compute_kpis
from tamna.transit.schedule import Schedule
from tamna.transit.service import TransitService
from tests.transit.support import MONDAY, at


def _event(schedule: Schedule, trip_id: str, stop_id: str, delay_s: float) -> StopEvent:
    trip = schedule.trips[trip_id]
    k = trip.stop_ids.index(stop_id)
    planned = at(MONDAY, float(trip.arr[k]))
    return StopEvent(
        feed_id="jeju",
        trip_id=trip_id,
        start_date="20260302",
        stop_sequence=int(trip.seqs[k]),
        stop_id=stop_id,
        route_id=trip.route_id,
        direction_id=trip.direction_id,
        vehicle_id=trip_id,
        scheduled_arrival=planned,
        scheduled_departure=planned,
        observed_arrival=planned + timedelta(seconds=delay_s),
    )


def test_on_time_performance_counts_the_minus_one_plus_five_window(schedule: Schedule) -> None:
    delays = [-90, -30, 0, 120, 299, 301, 600]
    trips = [f"100-0-{m:04d}" for m in (480, 490, 500, 510, 520, 530, 540)]
    events = [_event(schedule, t, "S2", d) for t, d in zip(trips, delays, strict=True)]
    result = compute_kpis(schedule, events)
    overall = next(k for k in result.on_time if k.hour is None)
    assert (overall.route_id, overall.events) == ("R100", 7)
    assert overall.on_time == pytest.approx(4 / 7)
    assert overall.early == pytest.approx(1 / 7)
    assert overall.late == pytest.approx(2 / 7)
    assert overall.mean_delay_s == pytest.approx(sum(delays) / 7)
    assert [k.hour for k in result.on_time] == [None, 8, 9]  # the last bus, 10 min late, came after 09:00


def test_excess_wait_time_of_a_frequent_route(schedule: Schedule) -> None:
    # four buses due at S3 every 10 min; the second comes 5 min early: headways 300, 900, 600 s
    trips = ["100-0-0480", "100-0-0490", "100-0-0500", "100-0-0510"]
    events = [_event(schedule, t, "S3", d) for t, d in zip(trips, [0, -300, 0, 0], strict=True)]
    [overall, hourly] = compute_kpis(schedule, events).headways
    assert overall.hour is None and hourly.hour == 8
    assert overall.scheduled_headway_s == 600
    assert overall.swt_s == pytest.approx(300)  # 3 × 600² / (2 × 1800)
    assert overall.awt_s == pytest.approx(350)  # (300² + 900² + 600²) / (2 × 1800)
    assert overall.ewt_s == pytest.approx(50)
    assert overall.cv == pytest.approx(0.4082, abs=1e-4)


def test_kpis_from_stored_events(feed_store: Store, schedule: Schedule) -> None:
    feed_store.write_stop_events([_event(schedule, "100-0-0480", "S2", 30), _event(schedule, "100-0-0490", "S2", 400)])
    service = TransitService(feed_store, clock=lambda: at(MONDAY, 12 * 3600))
    result = service.kpis(at(MONDAY, 0), at(MONDAY, 24 * 3600))
    assert result.events == 2
    assert next(k for k in result.on_time if k.hour is None).on_time == 0.5
