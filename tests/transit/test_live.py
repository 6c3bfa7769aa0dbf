"""Live ingest through the store (DuckDB and PostgreSQL): matched fixes and stop events are stored, unmatched ones
are kept and counted, absurd ones are dead-lettered with their reason, and nothing valid in a batch is lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tamna.core.events import EventBus
from tamna.domain.transit import MatchKind
from tamna.store import Store
from tamna.transit.errors import RealtimeUnreadableError
from tamna.transit.feeds import vehicle_positions
from tamna.transit.gtfs.importer import import_feed
from tamna.transit.live import TransitIngest
from tamna.transit.matching import Ping
from tests.transit.conftest import MORNING, Clock
from tests.transit.support import MONDAY, data_folder, drive, lonlat_at

TRIP = "100-0-0480"


def test_a_drive_is_stored_with_its_stop_events(feed_store: Store, clock: Clock) -> None:
    ingest = TransitIngest(feed_store, clock=clock)
    pings = drive(ingest.schedules.get(), TRIP, MONDAY, late_s=60)
    clock.now = pings[-1].time  # type: ignore[attr-defined]
    result = ingest.ingest_pings(pings, source="test")  # type: ignore[arg-type]
    assert (result.received, result.matched, result.unmatched, result.rejected) == (len(pings), len(pings), 0, 0)
    assert feed_store.count_vehicle_states("jeju") == {"schedule": len(pings)}
    [latest] = feed_store.latest_vehicle_states("jeju")
    assert (latest.vehicle_id, latest.trip_id, latest.stop_id, latest.at_stop) == ("bus-1", TRIP, "S6", True)
    events = feed_store.stop_events("jeju", start=MORNING - timedelta(hours=1), end=MORNING + timedelta(hours=1))
    assert [e.stop_id for e in events] == ["S1", "S2", "S3", "S4", "S5", "S6"]
    assert all(e.observed_arrival for e in events[1:]) and all(e.observed_departure for e in events[:-1])
    assert 50 < events[3].delay_s < 60  # type: ignore[operator]
    # sending the same fixes again changes nothing
    ingest.ingest_pings(pings, source="test")  # type: ignore[arg-type]
    assert feed_store.count_vehicle_states("jeju") == {"schedule": len(pings)}
    assert (
        len(feed_store.stop_events("jeju", start=MORNING - timedelta(hours=1), end=MORNING + timedelta(hours=1))) == 6
    )


def test_bad_fixes_are_dead_lettered_and_the_good_ones_kept(feed_store: Store, clock: Clock) -> None:
    ingest = TransitIngest(feed_store, clock=clock)
    lat, lon = lonlat_at(ingest.schedules.get(), TRIP, 1000)
    now = MORNING + timedelta(minutes=5)
    clock.now = now
    good = Ping("bus-1", now, lat, lon, source="t", route_id="R100")
    bad = [
        replace(good, vehicle_id="old", time=now - timedelta(days=365)),  # a clock from last year
        replace(good, vehicle_id="ahead", time=now + timedelta(hours=2)),
        replace(good, vehicle_id="sea", lat=33.60, lon=126.54),  # 11 km north of the city: the sea
        replace(good, vehicle_id="nofix", lat=0.0, lon=0.0),
        replace(good, vehicle_id="fast", speed_kmh=400.0),
    ]
    unmatched = replace(good, vehicle_id="stranger", route_id="R999")
    result = ingest.ingest_pings([bad[0], good, *bad[1:], unmatched], source="test")
    assert (result.matched, result.unmatched, result.rejected) == (1, 1, 5)
    reasons = {r.record.split(",")[0]: r.reason for r in feed_store.rejections(source="test")}  # type: ignore[union-attr]
    assert "365 days older than now" in reasons["vehicle_id=old"]
    assert "in the future" in reasons["vehicle_id=ahead"]
    assert "outside the area of feed 'jeju'" in reasons["vehicle_id=sea"]
    assert "near (0, 0)" in reasons["vehicle_id=nofix"]
    assert "speed_kmh 400.0 is outside" in reasons["vehicle_id=fast"]
    assert feed_store.count_vehicle_states("jeju") == {"schedule": 1, "none": 1}
    [kept] = feed_store.vehicle_states("jeju", start=now, end=now + timedelta(seconds=1), matched=False)
    assert (kept.vehicle_id, kept.reason) == ("stranger", "route 'R999' is not in feed 'jeju'")
    assert result.unmatched_reasons == {"route 'R999' is not in feed 'jeju'": 1}


def test_a_message_that_is_not_protobuf_is_dead_lettered(feed_store: Store, clock: Clock) -> None:
    ingest = TransitIngest(feed_store, clock=clock)
    with pytest.raises(RealtimeUnreadableError, match="not a GTFS-Realtime FeedMessage"):
        ingest.ingest_realtime(b"<html>502 Bad Gateway</html>", source="poll:test")
    [letter] = feed_store.rejections(source="poll:test")
    assert letter.field == "message"
    assert letter.value == "28 bytes"


def test_the_twins_bus_positions_arrive_through_the_bus(feed_store: Store, clock: Clock) -> None:
    bus = EventBus()
    ingest = TransitIngest(feed_store, bus, clock=clock)
    ingest.attach(bus)
    pings = drive(ingest.schedules.get(), TRIP, MONDAY, late_s=0, vehicle_id="twin-bus-7")[:6]
    for ping in pings:
        bus.publish(
            "vehicles.positions",
            {
                "time": ping.time,  # type: ignore[attr-defined]
                "positions": [
                    {
                        "vehicle_id": "twin-bus-7",
                        "kind": "bus",
                        "time": ping.time,
                        "lat": ping.lat,  # type: ignore[attr-defined]
                        "lon": ping.lon,
                        "route_id": "R100",
                        "speed_kmh": 21.0,
                        "bearing_deg": 88.0,
                    },  # type: ignore[attr-defined]
                    {"vehicle_id": "car-1", "kind": "car", "time": ping.time, "lat": 0.0, "lon": 0.0},  # type: ignore[attr-defined]
                ],
            },
        )
    [state] = feed_store.latest_vehicle_states("jeju")
    assert (state.vehicle_id, state.trip_id, state.match) == ("twin-bus-7", TRIP, MatchKind.SCHEDULE)
    assert feed_store.count_rejections() == 0  # the car is not a bus: not transit's business


@pytest.mark.data
def test_caltrain_realtime_files_replayed(store: Store) -> None:
    gtfs = data_folder() / "gtfs" / "caltrain"
    import_feed(store, gtfs / "ct.zip")
    ingest = TransitIngest(store)
    positions = ingest.ingest_realtime((gtfs / "ct-vehicle-positions.pb").read_bytes(), source="ct", replay=True)
    assert (positions.received, positions.matched, positions.rejected) == (14, 14, 0)
    updates = ingest.ingest_realtime((gtfs / "ct-trip-updates.pb").read_bytes(), source="ct", replay=True)
    assert (updates.received, updates.trip_updates, updates.unmatched) == (19, 19, 0)
    counts = store.count_vehicle_states("ct")
    assert counts == {"trip_id": 14, "trip_update": 19}
    # the same file judged by today's clock is six months stale or more: refused, not stored as news
    stale = ingest.ingest_realtime((gtfs / "ct-vehicle-positions.pb").read_bytes(), source="ct-now")
    assert stale.rejected == 14
    assert "days older than now" in stale.rejections[0].reason
    stale_updates = ingest.ingest_realtime((gtfs / "ct-trip-updates.pb").read_bytes(), source="ct-now")
    assert (stale_updates.rejected, stale_updates.trip_updates) == (19, 0)
    # a round trip: Tamna's own VehiclePositions of those trains, read back, match the same trips
    states = store.latest_vehicle_states("ct")
    feed = vehicle_positions(ingest.schedules.get(), states, datetime.fromtimestamp(1699405600, UTC))
    again = TransitIngest(store).ingest_realtime(feed.SerializeToString(), source="round-trip", replay=True)
    assert again.matched == 14
