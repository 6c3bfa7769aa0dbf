"""Replaying a sensor dataset as live data: the same weekday and time of day in the dataset's own zone."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tamna.ingest.pipeline import IngestPipeline
from tamna.ingest.replay import Records, Replay, backfill, records_at, row_for
from tamna.ingest.sources.sensor_dataset.adapter import SensorDataset, SensorDatasetSensors, load_dataset
from tamna.store import Store
from tests.ingest import samples

SEOUL = timezone(timedelta(hours=9))
MPH = 1.609344


@pytest.fixture
def dataset(tmp_path: Path) -> SensorDataset:
    """A week of 6-hourly rows from Monday 00:00 in Seoul; sensor a's value is the row number (see samples)."""
    return load_dataset(samples.sensor_dataset(tmp_path))


@pytest.mark.parametrize(
    ("when", "row"),
    [
        pytest.param(datetime(2026, 3, 2, 0, 0, tzinfo=SEOUL), 0, id="the-first-row"),
        pytest.param(datetime(2026, 3, 11, 12, 30, tzinfo=SEOUL), 10, id="wednesday-12:30-a-week-later"),
        pytest.param(datetime(2026, 3, 11, 3, 30, tzinfo=UTC), 10, id="the-same-instant-in-utc"),
        pytest.param(datetime(2020, 1, 1, 12, 30, tzinfo=SEOUL), 10, id="a-wednesday-before-the-data"),
        pytest.param(datetime(2026, 3, 8, 23, 59, tzinfo=SEOUL), 27, id="sunday-night"),
        pytest.param(datetime(2026, 3, 1, 20, 0, tzinfo=UTC), 0, id="sunday-in-utc-is-monday-in-seoul"),
        pytest.param(datetime(2026, 3, 3, 5, 59, 59, tzinfo=SEOUL), 4, id="just-before-a-boundary"),
        pytest.param(datetime(2026, 3, 3, 6, 0, tzinfo=SEOUL), 5, id="on-a-boundary"),
    ],
)
def test_row_for_matches_weekday_and_time_of_day(dataset: SensorDataset, when: datetime, row: int) -> None:
    assert row_for(dataset, when) == row


def test_records_at_are_km_h_stamped_with_the_time(dataset: SensorDataset) -> None:
    when = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # row 10
    assert records_at(dataset, when) == [
        {"sensor_id": "tiny-a", "time": "2026-03-11T03:30:00+00:00", "speed_kmh": round(10 * MPH, 2), "quality": "ok"},
        {"sensor_id": "tiny-b", "time": "2026-03-11T03:30:00+00:00", "speed_kmh": round(10 * MPH, 2), "quality": "ok"},
        {"sensor_id": "tiny-c", "time": "2026-03-11T03:30:00+00:00", "speed_kmh": round(20 * MPH, 2), "quality": "ok"},
    ]
    odd = records_at(dataset, when + timedelta(hours=6))  # row 11: sensor c has no reading
    assert [(r["sensor_id"], r["speed_kmh"]) for r in odd] == [("tiny-a", 17.7), ("tiny-b", 16.09)]


def test_backfill_sends_the_hours_before_now_and_the_current_interval(dataset: SensorDataset) -> None:
    sent: list[Records] = []
    count = backfill(dataset, sent.append, hours=24, now=datetime(2026, 3, 11, 12, 30, tzinfo=SEOUL))
    # now floors to 00:00 UTC (09:00 in Seoul): the four 6-h steps before it and its own are rows 5 to 9
    assert [batch[0]["time"] for batch in sent] == [
        "2026-03-10T00:00:00+00:00",
        "2026-03-10T06:00:00+00:00",
        "2026-03-10T12:00:00+00:00",
        "2026-03-10T18:00:00+00:00",
        "2026-03-11T00:00:00+00:00",
    ]
    assert [batch[0]["speed_kmh"] for batch in sent] == [round(row * MPH, 2) for row in (5, 6, 7, 8, 9)]
    assert count == 2 + 3 + 2 + 3 + 2 == sum(len(batch) for batch in sent)


def test_replayed_readings_go_through_the_pipeline(
    dataset: SensorDataset, tmp_path: Path, pipeline: IngestPipeline, city_store: Store, now: datetime
) -> None:
    city_store.upsert_sensors(SensorDatasetSensors().read(tmp_path / "tiny").sensors)
    result = pipeline.ingest_records(records_at(dataset, now - timedelta(hours=7)), source="replay")
    assert (result.stored, result.rejected) == (3, 0)
    # Monday 14:00 in Seoul is row 2 (12:00–18:00)
    states = {s.sensor_id: s.speed_kmh for s in city_store.latest_sensor_states()}
    assert states["tiny-a"] == pytest.approx(round(2 * MPH, 2), rel=1e-6)
    assert states["tiny-c"] == pytest.approx(round(20 * MPH, 2), rel=1e-6)


def test_a_tick_survives_a_failing_sink(dataset: SensorDataset) -> None:
    delivered: list[Records] = []
    clock = iter([datetime(2026, 3, 2, 1, tzinfo=SEOUL), datetime(2026, 3, 2, 7, tzinfo=SEOUL)])

    def flaky(records: Records) -> None:
        if not delivered:
            delivered.append([])
            raise ConnectionError("broker away")
        delivered.append(records)

    replay = Replay(dataset, flaky, clock=lambda: next(clock))
    assert replay.tick() == 0
    assert replay.tick() == 3
    assert replay.sent == 3
    # 07:00 in Seoul is 22:00 UTC, floored to the 6-h boundary counted from the epoch: 18:00 UTC
    assert delivered[1][0]["time"] == "2026-03-01T18:00:00+00:00"


@pytest.mark.data
def test_los_loop_replays_the_same_weekday_across_daylight_saving(shared_data: Path) -> None:
    folder = shared_data / "traffic" / "los-loop"
    dataset = load_dataset(folder)
    with (folder / "los_speed.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    # the data starts on Thursday 2012-03-01 00:00 in Los Angeles; 2026-03-05 and 2026-03-12 are Thursdays,
    # one on each side of the change to daylight time on 2026-03-08
    assert row_for(dataset, datetime(2026, 3, 5, 8, 5, tzinfo=UTC)) == 1
    assert row_for(dataset, datetime(2026, 3, 12, 7, 5, tzinfo=UTC)) == 1
    records = records_at(dataset, datetime(2026, 3, 5, 8, 5, tzinfo=UTC))
    assert len(records) == 207
    first = records[0]
    assert first["sensor_id"] == f"los-loop-{rows[0][0]}"
    assert first["speed_kmh"] == pytest.approx(float(rows[2][0]) * MPH, abs=0.005)
