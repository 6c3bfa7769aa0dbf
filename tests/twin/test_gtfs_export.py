"""The twin's bus timetable as GTFS (``tamna.twin.build.gtfs``): the generated city's feed passes Tamna's own
validator, its times follow the planner's rule worked by hand, and the twin's buses, reporting through the transit
ingest on a real SUMO run, are matched to the trips the feed names (with their trip id, and from their route
alone)."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tamna.core.events import Event, EventBus
from tamna.store import open_store
from tamna.transit.gtfs.importer import import_feed, load_feed
from tamna.transit.live import TransitIngest
from tamna.twin.build.gtfs import SIGNAL_ALLOWANCE_S, STOP_LOSS_S, export_gtfs, find_or_export
from tamna.twin.errors import TwinError
from tamna.twin.scenario import load_scenario
from tests.twin.conftest import Twin

#: The generated city's arterials and its buses both top out at 60 km/h.
ARTERIAL_MPS = 16.67
#: 07:00–09:00, a bus every 10 minutes on each of the eight line directions.
TRIPS = 8 * 12
MONDAY = date(2026, 3, 2)


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _seconds(text: str) -> int:
    h, m, s = (int(part) for part in text.split(":"))
    return h * 3600 + m * 60 + s


def test_the_generated_city_ships_a_timetable_that_validates(generated_city: Path) -> None:
    folder = generated_city.parent / "gtfs"
    loaded = load_feed(folder, feed_id="twin")
    print(loaded.report.render())
    assert loaded.report.errors == 0
    assert loaded.report.warnings == 0
    trips = _rows(folder, "trips.txt")
    assert len(trips) == TRIPS
    assert {t["route_id"] for t in trips} == {"1", "2", "3", "4"}  # the SUMO lines the buses report
    assert {t["trip_id"] for t in trips if t["route_id"] == "1"} >= {"bus1-east.0", "bus1-west.11"}
    assert {t["direction_id"] for t in trips} == {"0", "1"}


def test_scheduled_times_are_free_flow_plus_signals_stop_losses_and_dwell(generated_city: Path) -> None:
    """Line 1 east: every stop sits mid-block on every other block, so a bus passes one signal before its first
    stop and two between stops; at 60 km/h with a 20 s dwell."""
    rows = [r for r in _rows(generated_city.parent / "gtfs", "stop_times.txt") if r["trip_id"] == "bus1-east.3"]
    depart = 7 * 3600 + 3 * 600  # the flow's fourth bus
    clock, where = float(depart), 0.0
    for n, row in enumerate(rows):
        dist = float(row["shape_dist_traveled"])
        signals, loss = (1, STOP_LOSS_S / 2) if n == 0 else (2, STOP_LOSS_S)
        clock += (dist - where) / ARTERIAL_MPS + signals * SIGNAL_ALLOWANCE_S + loss
        assert _seconds(row["arrival_time"]) == round(clock), row
        clock += 20
        assert _seconds(row["departure_time"]) == round(clock), row
        where = dist
    assert len(rows) == 4


def test_a_scenario_without_scheduled_buses_has_no_timetable(shared_data: Path, tmp_path: Path) -> None:
    config = shared_data / "sumo" / "cologne1" / "cologne1.sumocfg"
    assert load_scenario(config)  # a real scenario, only without bus lines
    assert find_or_export(config, tmp_path) is None
    with pytest.raises(TwinError, match="no scheduled bus"):
        export_gtfs(config, tmp_path / "gtfs")


def test_the_twins_buses_are_matched_to_the_trips_of_its_timetable(
    generated_city: Path, make_twin: Any, tmp_path: Path
) -> None:
    twin: Twin = make_twin(load_scenario(generated_city), ingest=False, interval_s=10.0, until_s=7 * 3600 + 1500)
    store = twin.state.store
    import_feed(store, generated_city.parent / "gtfs", feed_id="twin")
    TransitIngest(store, twin.state.bus, clock=twin.clock.now).attach(twin.state.bus)
    # the same fixes without their trip id, matched from route, position and time alone, in a store of their own
    route_only = open_store(":memory:")
    route_only.migrate()
    import_feed(route_only, generated_city.parent / "gtfs", feed_id="twin")
    blind_bus = EventBus()
    TransitIngest(route_only, blind_bus, clock=twin.clock.now).attach(blind_bus)

    def forward(event: Event) -> None:
        stripped = [{**p, "trip_id": None} for p in event.payload["positions"]]
        blind_bus.publish("vehicles.positions", {**event.payload, "positions": stripped})

    twin.state.bus.subscribe("vehicles.positions", forward)
    try:
        summary = twin.runtime.run()
        assert summary.error is None
        for label, target in (("trip id", store), ("route only", route_only)):
            states = target.vehicle_states("twin", start=twin.clock.at(0), end=twin.clock.now())
            right = sum(1 for s in states if s.matched and s.trip_id == s.vehicle_id)
            kinds: dict[str, int] = defaultdict(int)
            for s in states:
                kinds[str(s.match)] += 1
            print(f"{label}: {len(states)} fixes, {right} matched to the bus's own trip; {dict(kinds)}")
            assert len(states) >= 300
            assert right / len(states) >= (0.99 if label == "trip id" else 0.9)
        events = store.stop_events("twin", start=twin.clock.at(0), end=twin.clock.now())
        print(f"{len(events)} stop events")
        assert len(events) >= 40
        assert all(e.observed_arrival is not None or e.observed_departure is not None for e in events)
    finally:
        route_only.close()
