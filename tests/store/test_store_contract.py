"""The behaviour every store backend must have. The ``store`` fixture runs each test on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from tamna.core.errors import NotFoundError, StoreError
from tamna.domain.access import ApiKeyRecord, Role
from tamna.domain.network import Link, RoadNetwork
from tamna.domain.observations import HistoryPoint
from tamna.domain.rejections import Rejection
from tamna.domain.sensors import Sensor, SensorKind
from tamna.store import Bucket, Store, open_store

SCHEMA = pa.schema(
    [
        ("sensor_id", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("speed_kmh", pa.float64()),
        ("flow_vph", pa.float64()),
        ("occupancy_pct", pa.float64()),
        ("quality", pa.int8()),
    ]
)

Reading = tuple[str, datetime, float | None, float | None]
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "tamna" / "store" / "migrations"


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


def batch(readings: list[Reading], occupancy: float | None = None) -> pa.Table:
    """Readings as (sensor, time, speed_kmh, flow_vph), in the canonical batch schema."""
    return pa.Table.from_pylist(
        [
            {"sensor_id": s, "time": t, "speed_kmh": v, "flow_vph": q, "occupancy_pct": occupancy, "quality": 0}
            for s, t, v, q in readings
        ],
        schema=SCHEMA,
    )


def points(history: list[HistoryPoint]) -> list[tuple[datetime, float | None, float | None, int]]:
    """History as comparable tuples; float32 storage makes values approximate."""
    return [
        (
            p.time,
            None if p.speed_kmh is None else pytest.approx(p.speed_kmh, rel=1e-6),
            None if p.flow_vph is None else pytest.approx(p.flow_vph, rel=1e-6),
            p.samples,
        )
        for p in history
    ]


def test_a_backend_implements_the_store_protocol(store: Store) -> None:
    assert isinstance(store, Store)
    assert store.backend in ("duckdb", "postgresql")


# ---- schema -----------------------------------------------------------------------------------------------
def test_migrate_is_versioned_and_idempotent(store_url: str, network: RoadNetwork) -> None:
    # the newest migration shipped (rooms add their own, e.g. 002_transit.sql)
    newest = max(int(path.name.split("_", 1)[0]) for path in MIGRATIONS.glob("*/*.sql"))
    store = open_store(store_url)
    try:
        assert store.schema_version() == 0
        assert store.migrate() == newest
        assert store.schema_version() == newest
        store.upsert_network(network)
        assert store.migrate() == newest  # nothing pending: no error, nothing dropped
        assert len(store.network().links) == 3
    finally:
        store.close()
    reopened = open_store(store_url)
    try:
        assert reopened.schema_version() == newest
        assert reopened.migrate() == newest
        assert len(reopened.network().links) == 3
    finally:
        reopened.close()


def test_migrate_refuses_a_newer_schema(store: Store) -> None:
    # no public API writes the version table: pretend a newer Tamna migrated this database
    store._run("INSERT INTO schema_migrations VALUES (?, now())", (99,))
    with pytest.raises(StoreError, match="newer"):
        store.migrate()


# ---- network ----------------------------------------------------------------------------------------------
def test_network_round_trip_keeps_geometry_and_attributes(store: Store, network: RoadNetwork) -> None:
    assert store.upsert_network(network) == (3, 3)
    stored = store.network()
    assert stored.nodes == sorted(network.nodes, key=lambda n: n.id)
    assert stored.links == sorted(network.links, key=lambda link: link.id)
    curved = store.link("L1")
    assert curved.geometry == [(126.5000, 33.5000), (126.5051, 33.50037), (126.5100, 33.5000)]
    assert curved.freeflow_speed_kmh == 60.0
    assert curved.reference_speed_kmh == 60.0
    assert store.link("L3").speed_limit_kmh is None


def test_network_upsert_replaces_by_id(store: Store, network: RoadNetwork) -> None:
    store.upsert_network(network)
    renamed = network.links[1].model_copy(update={"name": "Seogwang-ro", "lanes": 3})
    added = Link(
        id="L4", from_node="A", to_node="C", geometry=[(126.5, 33.5), (126.51, 33.51)], lanes=1, length_m=1500.0
    )
    store.upsert_network(RoadNetwork(nodes=network.nodes, links=[renamed, added]))
    stored = {link.id: link for link in store.network().links}
    assert sorted(stored) == ["L1", "L2", "L3", "L4"]
    assert stored["L2"].name == "Seogwang-ro"
    assert stored["L2"].lanes == 3
    assert stored["L1"] == network.links[0]
    assert len(store.network().nodes) == 3


def test_unknown_link_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="nowhere"):
        store.link("nowhere")


# ---- sensors ----------------------------------------------------------------------------------------------
def test_sensors_upsert_and_replace(store: Store, sensors: list[Sensor]) -> None:
    assert store.upsert_sensors(sensors) == 5
    assert store.sensors() == sensors  # ordered by id
    assert store.sensor_ids() == frozenset({"s1", "s2", "s3", "s4", "s5"})
    moved = Sensor(id="s5", kind=SensorKind.LOOP, link_id="L2", lon=126.51, lat=33.505, name="moved")
    store.upsert_sensors([moved])
    assert store.sensor("s5") == moved
    assert len(store.sensors()) == 5


def test_unknown_sensor_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        store.sensor("ghost")


# ---- observations -----------------------------------------------------------------------------------------
def test_resending_a_batch_changes_nothing(city_store: Store) -> None:
    readings = [("s1", at(10), 40.0, 1200.0), ("s1", at(10, 1), 42.5, 1100.0), ("s2", at(10), 55.0, None)]
    assert city_store.write_observations(batch(readings)) == 3
    first = city_store.history(start=at(9), end=at(11), bucket=Bucket.RAW, link_id="L1")
    assert city_store.write_observations(batch(readings)) == 3
    assert city_store.count_observations() == 3
    assert city_store.history(start=at(9), end=at(11), bucket=Bucket.RAW, link_id="L1") == first


def test_resending_with_new_values_updates_them(city_store: Store) -> None:
    city_store.write_observations(batch([("s1", at(10), 40.0, 1200.0), ("s1", at(10, 1), 42.5, 1100.0)]))
    city_store.write_observations(batch([("s1", at(10, 1), 20.0, None)]))
    assert city_store.count_observations() == 2
    history = city_store.history(start=at(10), end=at(11), bucket=Bucket.RAW, sensor_id="s1")
    assert points(history) == [(at(10), 40.0, 1200.0, 1), (at(10, 1), 20.0, None, 1)]
    latest = city_store.latest_sensor_states()[0]
    assert (latest.time, latest.speed_kmh, latest.flow_vph) == (at(10, 1), 20.0, None)


@pytest.mark.parametrize(
    "readings",
    [
        pytest.param([("s1", at(10), 30.0, 100.0), ("s1", at(10), 60.0, 200.0)], id="adjacent"),
        pytest.param(
            [
                ("s1", at(10), 30.0, 100.0),
                ("s2", at(10), 45.0, None),
                ("s1", at(9), 10.0, None),
                ("s1", at(10), 60.0, 200.0),
            ],
            id="unsorted",
        ),
    ],
)
def test_a_batch_with_twins_keeps_the_last(city_store: Store, readings: list[Reading]) -> None:
    city_store.write_observations(batch(readings))
    assert city_store.count_observations() == len({(s, t) for s, t, _, _ in readings})
    history = city_store.history(start=at(10), end=at(11), bucket=Bucket.RAW, sensor_id="s1")
    assert points(history) == [(at(10), 60.0, 200.0, 1)]
    state = {s.sensor_id: s for s in city_store.latest_sensor_states()}["s1"]
    assert (state.speed_kmh, state.flow_vph) == (60.0, 200.0)


def test_an_empty_batch_writes_nothing(city_store: Store) -> None:
    assert city_store.write_observations(batch([])) == 0
    assert city_store.count_observations() == 0


def test_writing_for_an_unregistered_sensor_is_refused(city_store: Store) -> None:
    with pytest.raises(StoreError, match="ghost"):
        city_store.write_observations(batch([("s1", at(10), 40.0, None), ("ghost", at(10), 40.0, None)]))
    assert city_store.count_observations() == 0


# ---- live state -------------------------------------------------------------------------------------------
def test_latest_sensor_states_ignore_older_late_readings(city_store: Store) -> None:
    city_store.write_observations(batch([("s1", at(10), 40.0, 900.0), ("s1", at(10, 5), 35.0, 950.0)]))
    city_store.write_observations(batch([("s1", at(9), 80.0, 100.0), ("s3", at(9, 30), 25.0, None)]))
    states = city_store.latest_sensor_states()
    assert [s.sensor_id for s in states] == ["s1", "s3"]
    s1, s3 = states
    assert (s1.time, s1.speed_kmh, s1.flow_vph, s1.link_id) == (at(10, 5), 35.0, 950.0, "L1")
    assert (s3.time, s3.speed_kmh, s3.flow_vph) == (at(9, 30), 25.0, None)
    assert s1.time.utcoffset() == timedelta(0)
    assert [s.sensor_id for s in city_store.latest_sensor_states(since=at(10))] == ["s1"]


def test_latest_link_states_compare_speed_with_the_reference(city_store: Store) -> None:
    city_store.write_observations(
        batch(
            [
                ("s1", at(10), 30.0, 1000.0),
                ("s2", at(9), 45.0, 600.0),  # L1: free flow 60
                ("s3", at(9, 30), 25.0, None),  # L2: limit 50, no free flow
                ("s4", at(10), 40.0, None),  # L3: no reference speed
                ("s5", at(10), 70.0, None),  # on no link
            ]
        )
    )
    states = {s.link_id: s for s in city_store.latest_link_states()}
    assert sorted(states) == ["L1", "L2", "L3"]
    l1 = states["L1"]
    assert (l1.sensors, l1.time, l1.reference_speed_kmh) == (2, at(10), 60.0)
    assert l1.speed_kmh == pytest.approx(37.5)
    assert l1.flow_vph == pytest.approx(800.0)
    assert l1.speed_ratio == pytest.approx(37.5 / 60.0)
    assert states["L2"].reference_speed_kmh == 50.0
    assert states["L2"].speed_ratio == pytest.approx(0.5)
    assert states["L3"].reference_speed_kmh is None
    assert states["L3"].speed_ratio is None

    recent = {s.link_id: s for s in city_store.latest_link_states(since=at(9, 45))}
    assert sorted(recent) == ["L1", "L3"]
    assert recent["L1"].sensors == 1
    assert recent["L1"].speed_ratio == pytest.approx(0.5)


# ---- roll-ups ---------------------------------------------------------------------------------------------
# s1 and s2 are both on L1. The 1-h mean weights every reading (s1 10:00 speed 60 from 30, 60, 90), not the
# 15-min means (45 and 90 would give 67.5); a missing measure counts for nothing, not as zero.
ROLLUP_READINGS: list[Reading] = [
    ("s1", at(10, 0), 30.0, 1200.0),
    ("s1", at(10, 5), 60.0, None),
    ("s1", at(10, 10), None, 600.0),
    ("s1", at(10, 20), 90.0, 300.0),
    ("s1", at(11, 15), 20.0, 100.0),
    ("s2", at(10, 2), 50.0, 800.0),
]


def test_rollups_are_weighted_means_per_sensor(city_store: Store) -> None:
    city_store.write_observations(batch(ROLLUP_READINGS))
    city_store.refresh_rollups(at(10), at(11, 15))
    window = {"start": at(9), "end": at(12), "sensor_id": "s1"}
    assert points(city_store.history(bucket=Bucket.MIN_15, **window)) == [
        (at(10, 0), 45.0, 900.0, 3),
        (at(10, 15), 90.0, 300.0, 1),
        (at(11, 15), 20.0, 100.0, 1),
    ]
    assert points(city_store.history(bucket=Bucket.HOUR_1, **window)) == [
        (at(10), 60.0, 700.0, 4),
        (at(11), 20.0, 100.0, 1),
    ]
    assert all(p.occupancy_pct is None for p in city_store.history(bucket=Bucket.HOUR_1, **window))


def test_rollups_of_a_link_weight_every_reading_of_its_sensors(city_store: Store) -> None:
    city_store.write_observations(batch(ROLLUP_READINGS))
    city_store.refresh_rollups(at(10), at(11, 15))
    window = {"start": at(10), "end": at(11), "link_id": "L1"}
    assert points(city_store.history(bucket=Bucket.MIN_15, **window)) == [
        (at(10, 0), 140.0 / 3, 2600.0 / 3, 4),
        (at(10, 15), 90.0, 300.0, 1),
    ]
    assert points(city_store.history(bucket=Bucket.HOUR_1, **window)) == [(at(10), 57.5, 725.0, 5)]


def test_refreshing_rollups_takes_in_later_readings(city_store: Store) -> None:
    city_store.write_observations(batch(ROLLUP_READINGS))
    city_store.refresh_rollups(at(10), at(11, 15))
    city_store.write_observations(batch([("s1", at(10, 25), 30.0, None), ("s1", at(10, 5), 0.0, None)]))
    city_store.refresh_rollups(at(10, 5), at(10, 25))
    hourly = city_store.history(start=at(10), end=at(11), bucket=Bucket.HOUR_1, sensor_id="s1")
    assert points(hourly) == [(at(10), (30.0 + 0.0 + 90.0 + 30.0) / 4, 700.0, 5)]


def test_rollups_are_empty_until_refreshed(city_store: Store) -> None:
    city_store.write_observations(batch(ROLLUP_READINGS))
    assert city_store.history(start=at(10), end=at(12), bucket=Bucket.HOUR_1, sensor_id="s1") == []


# ---- history from raw readings ----------------------------------------------------------------------------
RAW_READINGS: list[Reading] = [
    ("s1", at(10, 0, 0), 30.0, 1200.0),
    ("s1", at(10, 0, 30), 40.0, None),
    ("s1", at(10, 3, 0), 50.0, 600.0),
    ("s1", at(10, 7, 0), None, 900.0),
    ("s1", at(10, 10, 0), 99.0, 99.0),  # at the end of the window: excluded
    ("s2", at(10, 0, 10), 70.0, 300.0),
    ("s3", at(10, 1, 0), 10.0, 10.0),  # another link
]


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        (
            Bucket.RAW,
            [
                (at(10, 0, 0), 30.0, 1200.0, 1),
                (at(10, 0, 30), 40.0, None, 1),
                (at(10, 3), 50.0, 600.0, 1),
                (at(10, 7), None, 900.0, 1),
            ],
        ),
        (Bucket.MIN_1, [(at(10, 0), 35.0, 1200.0, 2), (at(10, 3), 50.0, 600.0, 1), (at(10, 7), None, 900.0, 1)]),
        (Bucket.MIN_5, [(at(10, 0), 40.0, 900.0, 3), (at(10, 5), None, 900.0, 1)]),
    ],
)
def test_sensor_history(city_store: Store, bucket: Bucket, expected: list[tuple[object, ...]]) -> None:
    city_store.write_observations(batch(RAW_READINGS))
    history = city_store.history(start=at(10), end=at(10, 10), bucket=bucket, sensor_id="s1")
    assert points(history) == expected
    assert all(p.time.utcoffset() == timedelta(0) for p in history)


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        (
            Bucket.RAW,
            [
                (at(10, 0, 0), 30.0, 1200.0, 1),
                (at(10, 0, 10), 70.0, 300.0, 1),
                (at(10, 0, 30), 40.0, None, 1),
                (at(10, 3), 50.0, 600.0, 1),
                (at(10, 7), None, 900.0, 1),
            ],
        ),
        (
            Bucket.MIN_1,
            [(at(10, 0), 140.0 / 3, 750.0, 3), (at(10, 3), 50.0, 600.0, 1), (at(10, 7), None, 900.0, 1)],
        ),
        (Bucket.MIN_5, [(at(10, 0), 47.5, 700.0, 4), (at(10, 5), None, 900.0, 1)]),
    ],
)
def test_link_history_averages_its_sensors(
    city_store: Store, bucket: Bucket, expected: list[tuple[object, ...]]
) -> None:
    city_store.write_observations(batch(RAW_READINGS))
    history = city_store.history(start=at(10), end=at(10, 10), bucket=bucket, link_id="L1")
    assert points(history) == expected


def test_history_of_a_link_without_sensors_is_empty(city_store: Store, network: RoadNetwork) -> None:
    spare = Link(
        id="L9", from_node="A", to_node="C", geometry=[(126.5, 33.5), (126.51, 33.51)], lanes=1, length_m=1500.0
    )
    city_store.upsert_network(RoadNetwork(nodes=network.nodes, links=[spare]))
    assert city_store.history(start=at(10), end=at(11), bucket=Bucket.RAW, link_id="L9") == []


def test_history_of_unknown_sensor_or_link_is_not_found(city_store: Store) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        city_store.history(start=at(10), end=at(11), bucket=Bucket.RAW, sensor_id="ghost")
    with pytest.raises(NotFoundError, match="L404"):
        city_store.history(start=at(10), end=at(11), bucket=Bucket.MIN_15, link_id="L404")


def test_history_needs_exactly_one_subject(city_store: Store) -> None:
    with pytest.raises(StoreError):
        city_store.history(start=at(10), end=at(11), bucket=Bucket.RAW)
    with pytest.raises(StoreError):
        city_store.history(start=at(10), end=at(11), bucket=Bucket.RAW, sensor_id="s1", link_id="L1")


# ---- dead letters -----------------------------------------------------------------------------------------
def test_dead_letters_are_kept_newest_first(store: Store) -> None:
    made = [
        Rejection(
            source="http",
            received_at=at(10),
            reason="speed_kmh -5 is outside 0–250",
            field="speed_kmh",
            value="-5",
            record='{"sensor_id":"s1","speed_kmh":-5}',
            position=0,
        ),
        Rejection(source="mqtt", received_at=at(10, 1), reason="malformed JSON", field="record", record="{oops"),
        Rejection(
            source="http",
            received_at=at(10, 2),
            reason="time is missing",
            field="time",
            value="",
            record="x" * 5000,
            position=7,
        ),
    ]
    store.add_rejections(made[:2])
    store.add_rejections(made[2:])
    store.add_rejections([])
    assert store.count_rejections() == 3
    listed = store.rejections()
    assert [r.reason for r in listed] == [r.reason for r in reversed(made)]
    assert listed[0].record == "x" * 4000  # cut, not refused
    assert listed[0].position == 7
    assert listed[2] == made[0]
    assert listed[1].value is None
    assert [r.position for r in store.rejections(source="http")] == [7, 0]
    assert len(store.rejections(limit=1)) == 1
    assert store.rejections(source="file:none.csv") == []


# ---- API keys ---------------------------------------------------------------------------------------------
def test_api_keys_add_find_and_revoke(store: Store) -> None:
    old = ApiKeyRecord(id="k1", name="ops", role=Role.OPERATOR, key_hash="a" * 64, created_at=at(8))
    new = ApiKeyRecord(id="k2", name="board", role=Role.VIEWER, key_hash="b" * 64, created_at=at(9))
    store.add_api_key(old)
    store.add_api_key(new)
    assert [k.id for k in store.api_keys()] == ["k2", "k1"]
    assert store.api_key_by_hash("a" * 64) == old
    assert store.api_key_by_hash("c" * 64) is None

    store.revoke_api_key("k1", at(10))
    revoked = store.api_key_by_hash("a" * 64)
    assert revoked is not None
    assert revoked.revoked_at == at(10)
    store.revoke_api_key("k1", at(11))  # revoking twice keeps the first instant
    assert store.api_key_by_hash("a" * 64).revoked_at == at(10)
    assert store.api_key_by_hash("b" * 64).revoked_at is None
    with pytest.raises(NotFoundError, match="k9"):
        store.revoke_api_key("k9", at(10))


def test_a_key_hash_is_stored_once(store: Store) -> None:
    store.add_api_key(ApiKeyRecord(id="k1", name="ops", role=Role.ADMIN, key_hash="a" * 64, created_at=at(8)))
    with pytest.raises(StoreError):
        store.add_api_key(ApiKeyRecord(id="k2", name="copy", role=Role.ADMIN, key_hash="a" * 64, created_at=at(9)))
    assert [k.id for k in store.api_keys()] == ["k1"]


def test_signal_changes_are_logged_newest_first(store: Store) -> None:
    from tamna.domain.signals import SignalAction, SignalChange

    def change(minute: int, signal_id: str, action: SignalAction, phase: int | None) -> SignalChange:
        return SignalChange(
            id=f"c{minute}", at=at(9, minute), sim_time=at(7, minute), scenario="grid", signal_id=signal_id,
            action=action, previous="network-program", controller="max-pressure", phase=phase,
            key_id="k1", key_name="duty", role="operator",
        )  # fmt: skip

    store.add_signal_change(change(1, "A", SignalAction.CONTROLLER, None))
    store.add_signal_change(change(2, "B", SignalAction.HOLD, 2))
    store.add_signal_change(change(3, "A", SignalAction.HOLD, 1))
    assert [c.id for c in store.signal_changes()] == ["c3", "c2", "c1"]
    assert [c.id for c in store.signal_changes(signal_id="A", limit=1)] == ["c3"]
    assert store.signal_changes()[1] == change(2, "B", SignalAction.HOLD, 2)
