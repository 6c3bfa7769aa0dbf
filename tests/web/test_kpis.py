"""City KPIs: the rules on hand-worked numbers, open alerts on both stores, and the live city over a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tamna.core.events import EventBus
from tamna.domain.observations import LinkState
from tamna.domain.sensors import Sensor, SensorKind
from tamna.ingest.pipeline import IngestPipeline
from tamna.store import Store
from tamna.traffic.kpis import LinkSize, city_kpis
from tamna.traffic.live import LiveCity

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def state(link: str, speed: float | None, ratio: float | None) -> LinkState:
    return LinkState(
        link_id=link,
        time=NOW,
        speed_kmh=speed,
        flow_vph=None,
        occupancy_pct=None,
        reference_speed_kmh=None,
        speed_ratio=ratio,
        sensors=1,
    )


def test_kpis_weigh_speed_by_length_and_count_congested_lane_km() -> None:
    sizes = {
        "a": LinkSize(length_m=500.0, lanes=2),  # 20 km/h of 50: congested, 2 lanes × 0.5 km = 1.0 lane-km
        "b": LinkSize(length_m=1500.0, lanes=3),  # 40 km/h of 50: slow, not congested
        "c": LinkSize(length_m=1000.0, lanes=1),  # 12 km/h of 30: congested (0.4), 1 × 1.0 = 1.0 lane-km
        "d": LinkSize(length_m=800.0, lanes=1),  # no reading
        "e": LinkSize(length_m=2000.0, lanes=4),  # speed but no reference: in the mean, never congested
    }
    states = [
        state("a", 20.0, 0.4),
        state("b", 40.0, 0.8),
        state("c", 12.0, 0.4),
        state("e", 60.0, None),
        state("gone", 5.0, 0.1),  # a link no longer in the network
    ]
    kpis = city_kpis(states, sizes, time=NOW, alerts_open=2, vehicles_in_network=None)
    # (20·500 + 40·1500 + 12·1000 + 60·2000) / (500 + 1500 + 1000 + 2000) = 202,000 / 5,000
    assert kpis.mean_speed_kmh == 40.4
    assert kpis.congested_lane_km == 2.0
    assert kpis.congested_links == 2
    assert kpis.links_reporting == 4
    assert kpis.links_total == 5
    assert kpis.alerts_open == 2
    assert kpis.vehicles_in_network is None


def test_kpis_of_a_quiet_city() -> None:
    kpis = city_kpis([state("a", None, None)], {"a": LinkSize(100.0, 1)}, time=NOW)
    assert kpis.mean_speed_kmh is None
    assert kpis.congested_lane_km == 0.0
    assert kpis.links_reporting == 1


def test_the_congestion_threshold_is_strictly_below_half() -> None:
    sizes = {"a": LinkSize(1000.0, 1), "b": LinkSize(1000.0, 1)}
    kpis = city_kpis([state("a", 25.0, 0.5), state("b", 24.9, 0.498)], sizes, time=NOW)
    assert kpis.congested_links == 1


def _add_alert(store: Store, alert_id: str, closed: datetime | None) -> None:
    # the safety issue brings the alert writer; until then the test writes the row itself
    store._run(  # type: ignore[attr-defined]
        "INSERT INTO alerts (id, kind, severity, raised_at, message, closed_at) VALUES (?, ?, ?, ?, ?, ?)",
        (alert_id, "congestion", "warning", NOW, "queue on Jungang-ro", closed),
    )


def test_open_alerts_are_counted_on_both_stores(store: Store) -> None:
    assert store.count_open_alerts() == 0
    _add_alert(store, "a1", None)
    _add_alert(store, "a2", None)
    _add_alert(store, "a3", NOW + timedelta(minutes=5))
    assert store.count_open_alerts() == 2


def test_live_city_reads_the_store_and_listens_to_the_twin(city_store: Store) -> None:
    clock_now = [datetime.now(UTC)]
    live = LiveCity(city_store, lambda: clock_now[0], window_s=900)
    bus = EventBus()
    detach = live.attach(bus)
    pipeline = IngestPipeline(city_store, bus, clock=lambda: clock_now[0])
    now = clock_now[0]
    pipeline.ingest_records(
        [
            {"sensor_id": "s1", "time": now.isoformat(), "speed_kmh": 20.0},  # L1: free flow 60 → 0.33
            {"sensor_id": "s2", "time": now.isoformat(), "speed_kmh": 22.0},  # L1 again: mean 21
            {"sensor_id": "s3", "time": (now - timedelta(hours=1)).isoformat(), "speed_kmh": 45.0},  # stale
            {"sensor_id": "s5", "time": now.isoformat(), "speed_kmh": 70.0},  # on no link
        ],
        source="test",
    )
    changed, kpis = live.refresh(["s1", "s3", "s5"])
    assert [(s.link_id, s.speed_kmh) for s in changed] == [("L1", 21.0)]  # L2's reading left the window
    assert kpis.links_reporting == 1
    assert kpis.links_total == 3
    assert kpis.mean_speed_kmh == 21.0
    assert kpis.congested_lane_km == pytest.approx(2 * 0.9305, abs=1e-3)
    assert kpis.vehicles_in_network is None

    bus.publish("twin.tick", {"sim_time": now.isoformat(), "vehicles_running": 312, "speed": 1.0, "paused": False})
    assert live.kpis().vehicles_in_network == 312

    # a sensor registered later is found, and a changed network is re-read
    city_store.upsert_sensors([Sensor(id="s6", kind=SensorKind.LOOP, link_id="L3")])
    assert live.links_of(["s6"]) == {"L3"}
    detach()
    bus.publish("twin.tick", {"vehicles_running": 1})
    assert live.vehicles_in_network == 312  # no longer listening
