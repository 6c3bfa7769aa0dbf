"""The GTFS-Realtime feeds Tamna publishes: they parse with the official bindings, pass the validator's rules
that can be checked here, and read back into Tamna as what they say (round trips)."""

from __future__ import annotations

from datetime import timedelta

from google.transit import gtfs_realtime_pb2

from tamna.domain.transit import AlertCause, AlertEffect, TransitAlert, VehicleState
from tamna.transit.feeds import alerts, trip_updates, vehicle_positions
from tamna.transit.live import _trip_state
from tamna.transit.matching import Matcher
from tamna.transit.predict.baseline import ScheduleDelayPredictor
from tamna.transit.realtime import parse_feed, trip_delays
from tamna.transit.rtcheck import check_feed
from tamna.transit.schedule import Schedule
from tests.transit.support import MONDAY, drive


def _live(schedule: Schedule) -> tuple[list[VehicleState], object]:
    """Three buses between stops at about 08:05:30: route 100 eastbound 2 min late, westbound 20 s early, and
    the 08:00 run of frequency route 200."""
    matcher = Matcher(schedule)
    runs = [
        drive(schedule, "100-0-0480", MONDAY, late_s=120, vehicle_id="bus-1")[:8],
        drive(schedule, "100-1-0480", MONDAY, late_s=-20, vehicle_id="bus-2")[:12],
        drive(schedule, "200-0", MONDAY, late_s=0, shift_s=8 * 3600, vehicle_id="bus-3")[:12],
    ]
    states = {}
    for pings in runs:
        for ping in pings:
            states[ping.vehicle_id] = matcher.match(ping).state  # type: ignore[attr-defined,arg-type]
    now = max(s.time for s in states.values()) + timedelta(seconds=5)
    return list(states.values()), now


def _reparse(message: gtfs_realtime_pb2.FeedMessage) -> gtfs_realtime_pb2.FeedMessage:
    again = gtfs_realtime_pb2.FeedMessage()
    again.ParseFromString(message.SerializeToString())
    return again


def test_trip_updates_are_valid_and_ordered(schedule: Schedule) -> None:
    states, now = _live(schedule)
    message = _reparse(trip_updates(schedule, states, ScheduleDelayPredictor(), now))  # type: ignore[arg-type]
    assert message.header.gtfs_realtime_version == "2.0"
    assert message.header.timestamp == int(now.timestamp())  # type: ignore[attr-defined]
    assert check_feed(message, schedule, now) == []  # type: ignore[arg-type]
    by_trip = {e.trip_update.trip.trip_id: e.trip_update for e in message.entity}
    assert set(by_trip) == {"100-0-0480", "100-1-0480", "200-0"}
    late = by_trip["100-0-0480"]
    assert late.delay == 120
    assert late.trip.schedule_relationship == gtfs_realtime_pb2.TripDescriptor.SCHEDULED
    sequences = [u.stop_sequence for u in late.stop_time_update]
    assert sequences == sorted(sequences) and sequences[-1] == 6
    times = [t for u in late.stop_time_update for t in (u.arrival.time, u.departure.time) if t]
    assert times == sorted(times)
    assert not late.stop_time_update[-1].HasField("departure")  # the trip ends at its last stop
    loop = by_trip["200-0"]
    assert loop.trip.start_time == "08:00:00" and loop.trip.start_date == "20260302"
    assert not loop.trip.HasField("schedule_relationship")  # a frequency run is not SCHEDULED (E013)


def test_vehicle_positions_and_alerts_are_valid(schedule: Schedule) -> None:
    states, now = _live(schedule)
    positions = _reparse(vehicle_positions(schedule, states, now))  # type: ignore[arg-type]
    assert check_feed(positions, schedule, now) == []  # type: ignore[arg-type]
    assert sorted(e.vehicle.vehicle.id for e in positions.entity) == ["bus-1", "bus-2", "bus-3"]
    bus = next(e.vehicle for e in positions.entity if e.id == "bus-1")
    assert (bus.trip.trip_id, bus.trip.start_date) == ("100-0-0480", "20260302")
    assert bus.current_status in (
        gtfs_realtime_pb2.VehiclePosition.IN_TRANSIT_TO,
        gtfs_realtime_pb2.VehiclePosition.STOPPED_AT,
    )
    alert = TransitAlert(
        id="detour-1",
        header="중앙로 공사로 우회 운행",
        description="S3 정류장 임시 이전",
        language="ko",
        cause=AlertCause.CONSTRUCTION,
        effect=AlertEffect.DETOUR,
        active_from=now - timedelta(hours=1),  # type: ignore[operator]
        route_ids=["R100"],
        stop_ids=["S3"],
    )
    message = _reparse(alerts([alert], now))  # type: ignore[arg-type]
    assert check_feed(message, schedule, now) == []  # type: ignore[arg-type]
    [entity] = message.entity
    assert entity.alert.header_text.translation[0].text == "중앙로 공사로 우회 운행"
    assert entity.alert.effect == gtfs_realtime_pb2.Alert.DETOUR
    assert [i.route_id or i.stop_id for i in entity.alert.informed_entity] == ["R100", "S3"]


def test_trip_updates_read_back_as_the_same_delays(schedule: Schedule) -> None:
    states, now = _live(schedule)
    data = trip_updates(schedule, states, ScheduleDelayPredictor(), now).SerializeToString()  # type: ignore[arg-type]
    delays, refused = trip_delays(parse_feed(data))
    assert refused == []
    back = {d.trip_id: _trip_state(schedule, d, "round-trip", now) for d in delays}  # type: ignore[arg-type]
    assert len(back) == 3
    for state in states:
        assert back[state.trip_id].delay_s == state.delay_s
        assert back[state.trip_id].stop_sequence == state.stop_sequence  # type: ignore[index]


def test_the_checker_finds_what_is_wrong(schedule: Schedule) -> None:
    states, now = _live(schedule)
    message = trip_updates(schedule, states, ScheduleDelayPredictor(), now)  # type: ignore[arg-type]
    first = message.entity[0].trip_update
    first.stop_time_update[0].stop_sequence, first.stop_time_update[1].stop_sequence = 5, 4
    first.stop_time_update[1].arrival.time = first.stop_time_update[0].arrival.time - 600
    message.entity[1].id = message.entity[0].id
    message.entity[2].trip_update.trip.trip_id = "no-such-trip"
    message.header.timestamp = int(now.timestamp()) + 3600  # type: ignore[attr-defined]
    rules = {p.rule for p in check_feed(message, schedule, now)}  # type: ignore[arg-type]
    assert {"E002", "E022", "E003", "E050", "entity-id"} <= rules


def test_the_bulk_stop_time_updates_equal_the_field_by_field_ones(schedule: Schedule) -> None:
    from tamna.transit import wire
    from tamna.transit.feeds import _fill

    states, now = _live(schedule)
    predictor = ScheduleDelayPredictor()
    for state in states:
        prediction = predictor.predict(schedule, state, now.timestamp())  # type: ignore[attr-defined]
        assert prediction is not None
        trip = prediction.instance.trip
        bulk, slow = gtfs_realtime_pb2.TripUpdate(), gtfs_realtime_pb2.TripUpdate()
        data = wire.stop_time_updates(wire.template(trip), prediction.first, prediction.arrivals, prediction.departures)
        assert data is not None
        bulk.MergeFromString(data)
        _fill(slow, trip, prediction.first, prediction.arrivals, prediction.departures)
        assert bulk == slow
        assert bulk.SerializePartialToString() == slow.SerializePartialToString()  # byte for byte
    # before 1978 a time is not a 5-byte varint: the caller falls back to the fields
    assert wire.stop_time_updates(wire.template(trip), 0, trip.arr.copy(), trip.dep.copy()) is None
