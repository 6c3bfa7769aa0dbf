"""Matching fixes to trips, with and without trip ids, on the small feed (hand-worked numbers) and on the real
Caltrain (with trip ids) and USF Bull Runner (without) GTFS-Realtime samples."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from tamna.domain.transit import MatchKind
from tamna.transit.gtfs.importer import load_feed
from tamna.transit.matching import Matcher, Ping
from tamna.transit.realtime import parse_feed, trip_delays, vehicle_pings
from tamna.transit.schedule import Schedule
from tests.transit.support import MONDAY, RUN_S, data_folder, drive, lonlat_at

TRIP = "100-0-0480"  # route 100 eastbound, leaves S1 at 08:00


def _run(schedule: Schedule, pings: list[object]) -> tuple[Matcher, list[object]]:
    matcher = Matcher(schedule)
    results = [matcher.match(p) for p in pings]  # type: ignore[arg-type]
    return matcher, results


@pytest.mark.parametrize("with_trip", [True, False], ids=["trip-id", "route-only"])
def test_a_late_bus_is_matched_to_its_trip_with_its_delay(schedule: Schedule, with_trip: bool) -> None:
    pings = drive(schedule, TRIP, MONDAY, late_s=60, with_trip=with_trip)
    _, results = _run(schedule, pings)
    states = [r.state for r in results]  # type: ignore[attr-defined]
    assert all(s.trip_id == TRIP and s.start_date == "20260302" for s in states)
    assert {s.match for s in states} == {MatchKind.TRIP_ID if with_trip else MatchKind.SCHEDULE}
    # between stops the bus is exactly one minute behind its timetable
    moving = [s for s in states if not s.at_stop]
    assert all(s.delay_s == pytest.approx(60, abs=1.5) for s in moving)
    progress = [s.shape_dist_m for s in states]
    assert progress == sorted(progress)


def test_stop_events_are_the_crossings_of_each_stop(schedule: Schedule) -> None:
    pings = drive(schedule, TRIP, MONDAY, late_s=60)
    _, results = _run(schedule, pings)
    events = {}
    for event in (e for r in results for e in r.events):  # type: ignore[attr-defined]
        # a stop's arrival and departure are separate events, merged (as the store merges them)
        seen = events.get(event.stop_id)
        events[event.stop_id] = replace(
            event,
            observed_arrival=event.observed_arrival or (seen.observed_arrival if seen else None),
            observed_departure=event.observed_departure or (seen.observed_departure if seen else None),
        )
    assert sorted(events) == ["S1", "S2", "S3", "S4", "S5", "S6"]
    trip = schedule.trips[TRIP]
    for k, stop_id in enumerate(trip.stop_ids):
        event = events[stop_id]
        if k > 0:
            # arrival = crossing 25 m before the stop: the bus drives a leg of ~700 m in 120 s (5.8 m/s),
            # so it comes ~4 s before the scheduled arrival + 60 s
            speed = (trip.dist[k] - trip.dist[k - 1]) / RUN_S
            expected = event.scheduled_arrival + timedelta(seconds=60 - 25 / speed)
            assert event.observed_arrival == pytest.approx(expected, abs=timedelta(seconds=1))
        if k < len(trip.stop_ids) - 1:
            assert event.observed_departure is not None
        else:
            assert event.observed_departure is None  # the trip ends there
    assert events["S3"].observed_departure - events["S3"].observed_arrival > timedelta(seconds=30)  # the dwell


def test_two_buses_of_one_route_get_different_runs(schedule: Schedule) -> None:
    first = drive(schedule, TRIP, MONDAY, late_s=240, vehicle_id="bus-a")
    second = drive(schedule, "100-0-0490", MONDAY, late_s=-120, vehicle_id="bus-b")
    merged = sorted(first + second, key=lambda p: p.time)  # type: ignore[attr-defined]
    matcher, _ = _run(schedule, merged)
    assert matcher.tracks["bus-a"].instance.trip.trip_id == TRIP  # type: ignore[union-attr]
    assert matcher.tracks["bus-b"].instance.trip.trip_id == "100-0-0490"  # type: ignore[union-attr]


def test_a_frequency_run_gets_a_start_time(schedule: Schedule) -> None:
    pings = drive(schedule, "200-0", MONDAY, late_s=0, shift_s=8 * 3600 + 900, vehicle_id="loop-1")
    _, results = _run(schedule, pings)
    states = [r.state for r in results]  # type: ignore[attr-defined]
    assert {s.trip_id for s in states} == {"200-0"}
    assert {s.start_time for s in states} == {"08:15:00"}
    assert all(abs(s.delay_s) < 2 for s in states if not s.at_stop)


def test_fixes_that_match_nothing_say_why(schedule: Schedule) -> None:
    lat, lon = lonlat_at(schedule, TRIP, 1000)
    when = datetime(2026, 3, 1, 23, 5, tzinfo=UTC)  # 08:05 Monday in Seoul
    matcher = Matcher(schedule)
    unknown = matcher.match(Ping("x", when, lat, lon, route_id="R999")).state
    assert unknown.match is MatchKind.NONE
    assert unknown.reason == "route 'R999' is not in feed 'jeju'"
    off = matcher.match(Ping("y", when, lat + 0.003, lon, route_id="R100")).state  # 330 m off the street
    assert off.reason is not None
    assert "no trip of route 'R100' is scheduled within 30 min near this position" in off.reason
    night = matcher.match(Ping("z", when.replace(hour=17), lat, lon, route_id="R100")).state  # 02:05 local
    assert night.match is MatchKind.NONE
    lost = matcher.match(Ping("w", when, lat + 0.003, lon, trip_id=TRIP)).state
    assert lost.reason is not None
    assert "m from the shape of its trip '100-0-0480'" in lost.reason


@pytest.mark.data
def test_caltrain_positions_match_their_trips_and_agree_with_the_trip_updates() -> None:
    gtfs = data_folder() / "gtfs" / "caltrain"
    loaded = load_feed(gtfs / "ct.zip")
    schedule = Schedule(loaded.summary, loaded.tables)
    pings, refused = vehicle_pings(parse_feed((gtfs / "ct-vehicle-positions.pb").read_bytes()), source="ct")
    assert len(pings) == 14
    assert refused == []
    matcher = Matcher(schedule)
    states = {p.vehicle_id: matcher.match(p).state for p in pings}
    assert all(s.match is MatchKind.TRIP_ID for s in states.values())
    # Caltrain's own TripUpdates, 25 s older: where a train is between stations, the delay at its next
    # station there and the one Tamna infers from the position should agree to within 3 minutes
    delays, _ = trip_delays(parse_feed((gtfs / "ct-trip-updates.pb").read_bytes()))
    compared = 0
    for delay in delays:
        state = states.get(delay.trip_id)
        if state is None or state.delay_s is None or not state.shape_dist_m:
            continue
        trip = schedule.trips[delay.trip_id]
        origin = schedule.origin(date(2023, 11, 7))
        upcoming = [u for u in delay.updates if u.stop_sequence == state.stop_sequence and (u.arrival or u.departure)]
        if not upcoming:
            continue
        k = [int(s) for s in trip.seqs].index(state.stop_sequence)
        theirs = (upcoming[0].arrival or upcoming[0].departure) - (origin + trip.arr[k])  # type: ignore[operator]
        assert state.delay_s == pytest.approx(theirs, abs=180), delay.trip_id
        compared += 1
    assert compared >= 6


@pytest.mark.data
def test_bull_runner_positions_without_trip_ids_match_by_route_position_and_frequency() -> None:
    gtfs = data_folder() / "gtfs" / "usf-bullrunner"
    loaded = load_feed(gtfs / "bullrunner-gtfs.zip")
    schedule = Schedule(loaded.summary, loaded.tables)
    message = parse_feed((gtfs / "bullrunner-vehicle-positions.pb").read_bytes())
    pings, _ = vehicle_pings(message, source="usf")
    assert len(pings) == 10
    assert all(p.trip_id is None and p.route_id for p in pings)
    matcher = Matcher(schedule)
    states = [matcher.match(p).state for p in pings]
    assert all(s.match is MatchKind.SCHEDULE for s in states), [s.reason for s in states]
    assert all(schedule.trips[s.trip_id].route_id == s.route_id for s in states)  # type: ignore[index]
    assert all(s.start_time is not None for s in states)  # runs of frequency-based trips
    runs = [(s.trip_id, s.start_time) for s in states]
    assert len(set(runs)) == len(runs)  # no two buses on one run
    header = datetime.fromtimestamp(message.header.timestamp, UTC)
    assert all(s.time == header for s in states)  # no entity timestamps: the header's
