"""Bad input through the pipeline: each refused record names its field and value, lands in the dead letters,
and the valid records of the same batch are stored all the same."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tamna.core.events import Event
from tamna.domain.sensors import Sensor, SensorKind
from tamna.ingest.pipeline import REJECTION_SAMPLE, IngestPipeline
from tamna.ingest.records import decode_json_body
from tamna.store import Bucket, Store

GOOD_BEFORE = {"sensor_id": "s1", "time": "2026-03-02T11:00:00Z", "speed_kmh": 50.0, "flow_vph": 1200}
GOOD_AFTER = {"sensor_id": "s2", "time": "2026-03-02T20:00:00+09:00", "flow_vph": 900, "quality": "suspect"}


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


def assert_good_records_stored(store: Store) -> None:
    assert store.count_observations() == 2
    s1 = store.history(start=at(0), end=at(12), bucket=Bucket.RAW, sensor_id="s1")
    assert [(p.time, p.speed_kmh, p.flow_vph) for p in s1] == [(at(11), 50.0, 1200.0)]
    s2 = store.history(start=at(0), end=at(12), bucket=Bucket.RAW, sensor_id="s2")
    assert [(p.time, p.speed_kmh, p.flow_vph) for p in s2] == [(at(11), None, 900.0)]


def record(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"sensor_id": "s1", "time": "2026-03-02T11:30:00Z", "speed_kmh": 40.0}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


BAD_RECORDS = [
    pytest.param(record(sensor_id="ghost"), "sensor_id", "ghost", id="unknown-sensor"),
    pytest.param(record(speed_kmh=-5), "speed_kmh", "-5", id="negative-speed"),
    pytest.param(record(speed_kmh=300.5), "speed_kmh", "300.5", id="absurd-speed"),
    pytest.param(record(occupancy_pct=100.5), "occupancy_pct", "100.5", id="occupancy-over-100"),
    pytest.param(record(flow_vph=-1), "flow_vph", "-1", id="negative-flow"),
    pytest.param(record(time="2026-03-02T13:00:00Z"), "time", "2026-03-02T13:00:00+00:00", id="time-in-the-future"),
    pytest.param(record(time="1989-12-31T23:59:00Z"), "time", "1989-12-31T23:59:00+00:00", id="time-before-1990"),
    pytest.param(record(time="2026-03-02T11:30:00"), "time", "2026-03-02T11:30:00", id="naive-time"),
    pytest.param(record(time="half past eleven"), "time", "half past eleven", id="time-not-iso"),
    pytest.param(record(time=...), "time", "", id="time-missing"),
    pytest.param(record(time=1772451000), "time", "1772451000", id="time-a-number"),
    pytest.param(record(speed_kmh="fast"), "speed_kmh", "fast", id="string-speed"),
    pytest.param(record(speed_kmh="42"), "speed_kmh", "42", id="numeric-string-speed"),
    pytest.param(record(flow_vph=True), "flow_vph", "True", id="bool-flow"),
    pytest.param(record(sensor_id=42), "sensor_id", "42", id="sensor-id-a-number"),
    pytest.param(record(sensor_id=...), "sensor_id", "", id="sensor-id-missing"),
    pytest.param(record(quality="great"), "quality", "great", id="unknown-quality"),
    pytest.param(record(speed_kmh=float("nan")), "speed_kmh", "nan", id="nan-speed"),
]


@pytest.mark.parametrize(("bad", "field", "value"), BAD_RECORDS)
def test_a_bad_record_is_dead_lettered_and_the_rest_stored(
    pipeline: IngestPipeline, city_store: Store, bad: object, field: str, value: str
) -> None:
    result = pipeline.ingest_records([GOOD_BEFORE, bad, GOOD_AFTER], source="http")

    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    [rejection] = city_store.rejections(source="http")
    assert (rejection.field, rejection.value) == (field, value)
    assert rejection.field in rejection.reason
    assert value.lower() in rejection.reason.lower()
    assert rejection.position == 1
    assert rejection.record == orjson.dumps(bad).decode()  # the raw record, as it came
    assert result.rejections == [rejection]
    assert_good_records_stored(city_store)


@pytest.mark.parametrize(
    ("bad", "value", "kind"),
    [
        pytest.param(["s1", "2026-03-02T11:30:00Z", 40.0], '["s1","2026-03-02T11:30:00Z",40.0]', "array", id="array"),
        pytest.param("s1,40", '"s1,40"', "string", id="string"),
        pytest.param(40.0, "40.0", "number", id="number"),
    ],
)
def test_a_record_that_is_not_an_object_is_refused(
    pipeline: IngestPipeline, city_store: Store, bad: object, value: str, kind: str
) -> None:
    result = pipeline.ingest_records([GOOD_BEFORE, bad, GOOD_AFTER], source="http")
    assert (result.stored, result.rejected) == (2, 1)
    [rejection] = city_store.rejections()
    assert (rejection.field, rejection.value, rejection.position) == ("record", value, 1)
    assert f"record is a JSON {kind}, not an object" in rejection.reason
    assert rejection.record == orjson.dumps(bad).decode()
    assert_good_records_stored(city_store)


def test_a_record_without_any_measurement_is_refused(pipeline: IngestPipeline, city_store: Store) -> None:
    empty = {"sensor_id": "s1", "time": "2026-03-02T11:30:00Z", "speed_kmh": None}
    result = pipeline.ingest_records([GOOD_BEFORE, empty, GOOD_AFTER], source="http")
    assert (result.stored, result.rejected) == (2, 1)
    [rejection] = city_store.rejections()
    assert rejection.field == "speed_kmh"
    assert rejection.value == ""  # there is no value to show: the reason says what is missing
    assert all(name in rejection.reason for name in ("speed_kmh", "flow_vph", "occupancy_pct"))
    assert "no measurement" in rejection.reason
    assert_good_records_stored(city_store)


def test_the_future_tolerance_is_a_boundary(pipeline: IngestPipeline, city_store: Store, now: datetime) -> None:
    inside = {"sensor_id": "s1", "time": "2026-03-02T12:05:00Z", "speed_kmh": 40.0}  # now + 300 s
    outside = {"sensor_id": "s2", "time": "2026-03-02T12:05:01Z", "speed_kmh": 40.0}
    result = pipeline.ingest_records([inside, outside], source="http")
    assert (result.stored, result.rejected) == (1, 1)
    assert city_store.rejections()[0].value == "2026-03-02T12:05:01+00:00"
    assert "300 s" in city_store.rejections()[0].reason


def test_an_offset_time_is_stored_in_utc(pipeline: IngestPipeline, city_store: Store) -> None:
    pipeline.ingest_records([{"sensor_id": "s1", "time": "2026-03-02T19:45:00+09:00", "speed_kmh": 33}], source="http")
    [state] = city_store.latest_sensor_states()
    assert state.time == at(10, 45)
    assert state.time.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_every_bad_record_is_kept_but_the_answer_lists_a_sample(pipeline: IngestPipeline, city_store: Store) -> None:
    bad = [record(speed_kmh=-float(i + 1)) for i in range(REJECTION_SAMPLE + 10)]
    result = pipeline.ingest_records([*bad, GOOD_BEFORE], source="http")
    assert (result.stored, result.rejected) == (1, REJECTION_SAMPLE + 10)
    assert len(result.rejections) == REJECTION_SAMPLE
    assert city_store.count_rejections() == REJECTION_SAMPLE + 10
    assert pipeline.stats.rejected[("http", "speed_kmh")] == REJECTION_SAMPLE + 10
    assert pipeline.stats.stored["http"] == 1


# ---- whole bodies -----------------------------------------------------------------------------------------
def test_a_malformed_ndjson_line_is_dead_lettered_and_the_other_lines_stored(
    pipeline: IngestPipeline, city_store: Store
) -> None:
    broken = b'{"sensor_id": "s1", "time": "2026-03-02T11:10:00Z", "speed_kmh": '
    body = b"\n".join([orjson.dumps(GOOD_BEFORE), broken, b"", orjson.dumps(GOOD_AFTER)]) + b"\n"
    values, unparsed = decode_json_body(body)
    assert values == [GOOD_BEFORE, GOOD_AFTER]
    assert [(line, text) for line, text, _ in unparsed] == [(2, broken.decode())]

    result = pipeline.ingest_records(values, source="http", unparsed=unparsed)
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    [rejection] = city_store.rejections()
    assert (rejection.field, rejection.record, rejection.position) == ("record", broken.decode(), 2)
    assert "line 2" in rejection.reason
    assert_good_records_stored(city_store)


def test_a_malformed_json_array_is_one_rejection_for_the_body(pipeline: IngestPipeline, city_store: Store) -> None:
    body = b'[{"sensor_id": "s1", "time": "2026-03-02T11:00:00Z", "speed_kmh": 50}, {"sensor_id": '
    values, unparsed = decode_json_body(body)
    assert values == []
    [(position, text, reason)] = unparsed
    assert (position, text) == (0, body.decode().strip())
    assert reason.startswith("malformed JSON")

    result = pipeline.ingest_records(values, source="http", unparsed=unparsed)
    assert (result.received, result.stored, result.rejected) == (1, 0, 1)
    assert city_store.count_observations() == 0
    assert city_store.rejections()[0].record == body.decode().strip()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'[{"a": 1}, {"b": 2}]', [{"a": 1}, {"b": 2}]),
        (b'  {"a": 1}  ', [{"a": 1}]),
        (b'{"a": 1}\n{"b": 2}\n', [{"a": 1}, {"b": 2}]),
        (b"[1, 2]", [1, 2]),
    ],
)
def test_json_bodies_decode(body: bytes, expected: list[object]) -> None:
    assert decode_json_body(body) == (expected, [])


def test_an_empty_body_is_one_error() -> None:
    assert decode_json_body(b" \n ") == ([], [(0, "", "the body is empty")])


# ---- topics, registration, events, roll-ups --------------------------------------------------------------
def test_a_topic_sensor_fills_or_must_match_the_record(pipeline: IngestPipeline, city_store: Store) -> None:
    from_topic = {"time": "2026-03-02T11:00:00Z", "speed_kmh": 50.0, "flow_vph": 1200}
    other = {"sensor_id": "s2", "time": "2026-03-02T11:00:00Z", "speed_kmh": 50.0}
    result = pipeline.ingest_records([from_topic, other], source="mqtt", sensor_id="s1")
    assert (result.stored, result.rejected) == (1, 1)
    [rejection] = city_store.rejections(source="mqtt")
    assert (rejection.field, rejection.value) == ("sensor_id", "s2")
    assert "s1" in rejection.reason
    assert [s.sensor_id for s in city_store.latest_sensor_states()] == ["s1"]


def test_a_sensor_registered_after_start_is_accepted(pipeline: IngestPipeline, city_store: Store) -> None:
    late = {"sensor_id": "s9", "time": "2026-03-02T11:00:00Z", "speed_kmh": 50.0}
    assert pipeline.ingest_records([late], source="http").rejected == 1
    city_store.upsert_sensors([Sensor(id="s9", kind=SensorKind.LOOP)])
    result = pipeline.ingest_records([late], source="http")
    assert (result.stored, result.rejected) == (1, 0)


def test_stored_and_rejected_batches_are_announced(pipeline: IngestPipeline) -> None:
    events: list[Event] = []
    pipeline.bus.subscribe("*", events.append)
    pipeline.ingest_records([GOOD_BEFORE, record(speed_kmh=-1), GOOD_AFTER], source="http")
    assert [e.topic for e in events] == ["observations.stored", "observations.rejected"]
    stored = events[0].payload
    assert (stored["count"], stored["start"], stored["end"]) == (2, at(11), at(11))
    assert sorted(stored["sensor_ids"]) == ["s1", "s2"]
    assert events[1].payload == {"source": "http", "count": 1}

    events.clear()
    pipeline.ingest_records([record(speed_kmh=-1)], source="http")
    assert [e.topic for e in events] == ["observations.rejected"]


def test_flushing_brings_rollups_up_to_date(pipeline: IngestPipeline, city_store: Store) -> None:
    pipeline.ingest_records(
        [
            {"sensor_id": "s1", "time": "2026-03-02T10:01:00Z", "speed_kmh": 30.0},
            {"sensor_id": "s1", "time": "2026-03-02T10:02:00Z", "speed_kmh": 60.0},
            {"sensor_id": "s1", "time": "2026-03-02T10:40:00Z", "speed_kmh": 15.0},
        ],
        source="http",
    )
    assert pipeline.rollups.pending
    assert city_store.history(start=at(10), end=at(11), bucket=Bucket.HOUR_1, sensor_id="s1") == []
    pipeline.flush_rollups()
    assert not pipeline.rollups.pending
    [hour] = city_store.history(start=at(10), end=at(11), bucket=Bucket.HOUR_1, sensor_id="s1")
    assert (hour.speed_kmh, hour.samples) == (35.0, 3)
    quarters = city_store.history(start=at(10), end=at(11), bucket=Bucket.MIN_15, sensor_id="s1")
    assert [(q.time, q.speed_kmh) for q in quarters] == [(at(10), 45.0), (at(10, 30), 15.0)]
