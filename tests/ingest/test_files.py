"""Observation files (CSV, Parquet): bad rows and cells are dead-lettered with their field and value, the valid
rows are stored, and a file that cannot be read at all is one clear IngestError."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tamna.core.errors import IngestError
from tamna.domain.observations import Quality
from tamna.ingest.files import import_observations
from tamna.ingest.pipeline import IngestPipeline
from tamna.store import Bucket, Store


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


def write_csv(folder: Path, *lines: str, name: str = "obs.csv") -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def raw(store: Store, sensor_id: str) -> list[tuple[datetime, float | None, float | None]]:
    history = store.history(start=at(0), end=at(12), bucket=Bucket.RAW, sensor_id=sensor_id)
    return [(p.time, p.speed_kmh, p.flow_vph) for p in history]


HEADER = "sensor_id,time,speed_kmh,flow_vph,occupancy_pct,quality"


# ---- CSV --------------------------------------------------------------------------------------------------
def test_csv_rows_with_the_wrong_column_count_are_dead_lettered(
    pipeline: IngestPipeline, city_store: Store, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        HEADER,
        "s1,2026-03-02T10:00:00Z,50,1200,,ok",
        "s1,2026-03-02T10:01:00Z,51,1210,,ok,surplus",
        "s2,2026-03-02T10:00:00Z,45,900,12.5,",
        "s2,2026-03-02T10:01:00Z",
    )
    result = import_observations(pipeline, path)
    assert (result.received, result.stored, result.rejected) == (4, 2, 2)
    rejections = sorted(city_store.rejections(source="file:obs.csv"), key=lambda r: r.reason)
    # positions are the files' line numbers (the header is line 1)
    assert [(r.field, r.record, r.position) for r in rejections] == [
        ("record", "s2,2026-03-02T10:01:00Z", 5),
        ("record", "s1,2026-03-02T10:01:00Z,51,1210,,ok,surplus", 3),
    ]
    assert "2 columns, expected 6" in rejections[0].reason
    assert "7 columns, expected 6" in rejections[1].reason
    assert raw(city_store, "s1") == [(at(10), 50.0, 1200.0)]
    assert raw(city_store, "s2") == [(at(10), 45.0, 900.0)]


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        pytest.param("s2,2026-03-02T10:00:00Z,fast,900,,", "speed_kmh", "fast", id="word-for-a-number"),
        pytest.param("s2,2026-03-02T10:00:00Z,45,9OO,,", "flow_vph", "9OO", id="letter-o-for-zero"),
        pytest.param("s2,2026-03-02T10:00:00Z,45,900,,superb", "quality", "superb", id="unknown-quality"),
        pytest.param("s2,yesterday,45,900,,", "time", "yesterday", id="time-not-a-time"),
        pytest.param("s2,2026-03-02T10:00:00,45,900,,", "time", "2026-03-02T10:00:00", id="naive-time"),
        pytest.param("s2,2026-03-02T10:00:00Z,nan,900,,", "speed_kmh", "nan", id="nan-speed"),
        pytest.param("s2,2026-03-02T10:00:00Z,-3,900,,", "speed_kmh", "-3", id="negative-speed"),
        pytest.param("s2,2026-03-02T10:00:00Z,45,900,101,", "occupancy_pct", "101", id="occupancy-over-100"),
        pytest.param("s9,2026-03-02T10:00:00Z,45,900,,", "sensor_id", "s9", id="unknown-sensor"),
    ],
)
def test_a_bad_csv_cell_refuses_its_row_only(
    pipeline: IngestPipeline, city_store: Store, tmp_path: Path, row: str, field: str, value: str
) -> None:
    path = write_csv(tmp_path, HEADER, "s1,2026-03-02T10:00:00Z,50,1200,,ok", row, "s1,2026-03-02T10:05:00Z,48,,,2")
    result = import_observations(pipeline, path)
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    [rejection] = city_store.rejections()
    assert (rejection.field, rejection.value, rejection.position) == (field, value, 3)
    assert value.lower() in rejection.reason.lower()
    assert rejection.record == row
    assert raw(city_store, "s1") == [(at(10), 50.0, 1200.0), (at(10, 5), 48.0, None)]
    assert city_store.count_observations() == 2


def test_csv_blank_cells_are_missing_and_quality_reads_names_and_codes(
    pipeline: IngestPipeline, city_store: Store, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "time,quality,flow_vph,sensor_id,speed_kmh",  # any column order
        "2026-03-02T19:00:00+09:00,Imputed,, s1 ,44.5",
        "2026-03-02T10:01:00Z,,600,s2,",
        "2026-03-02T10:02:00Z,1,  ,s2,30",
    )
    result = import_observations(pipeline, path)
    assert (result.stored, result.rejected) == (3, 0)
    states = {s.sensor_id: s for s in city_store.latest_sensor_states()}
    assert (states["s1"].time, states["s1"].speed_kmh, states["s1"].quality) == (at(10), 44.5, Quality.IMPUTED)
    assert (states["s2"].speed_kmh, states["s2"].flow_vph, states["s2"].quality) == (30.0, None, Quality.SUSPECT)
    assert raw(city_store, "s2") == [(at(10, 1), None, 600.0), (at(10, 2), 30.0, None)]


@pytest.mark.parametrize(
    ("header", "missing"),
    [("sensor_id,speed_kmh", "time"), ("time,speed_kmh,flow_vph", "sensor_id"), ("speed_kmh", "sensor_id, time")],
)
def test_a_csv_without_a_required_column_is_refused_whole(
    pipeline: IngestPipeline, city_store: Store, tmp_path: Path, header: str, missing: str
) -> None:
    path = write_csv(tmp_path, header, ",".join(["1"] * len(header.split(","))))
    with pytest.raises(IngestError, match=f"missing column\\(s\\) {missing};"):
        import_observations(pipeline, path)
    assert city_store.count_observations() == 0


def test_a_csv_without_any_measurement_column_is_refused(pipeline: IngestPipeline, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "sensor_id,time,quality", "s1,2026-03-02T10:00:00Z,ok")
    with pytest.raises(IngestError, match="no measurement column"):
        import_observations(pipeline, path)


def test_unreadable_paths_are_ingest_errors(pipeline: IngestPipeline, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        import_observations(pipeline, tmp_path / "absent.csv")
    (tmp_path / "obs.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(IngestError, match="unsupported"):
        import_observations(pipeline, tmp_path / "obs.xlsx")
    (tmp_path / "obs.parquet").write_text("sensor_id,time\n", encoding="utf-8")
    with pytest.raises(IngestError, match="not a readable Parquet"):
        import_observations(pipeline, tmp_path / "obs.parquet")


def test_a_file_import_refreshes_rollups(pipeline: IngestPipeline, city_store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "sensor_id,time,speed_kmh",
        "s1,2026-03-02T10:00:00Z,30",
        "s1,2026-03-02T10:20:00Z,60",
        "s1,2026-03-02T10:50:00Z,90",
    )
    import_observations(pipeline, path)
    [hour] = city_store.history(start=at(10), end=at(11), bucket=Bucket.HOUR_1, sensor_id="s1")
    assert (hour.time, hour.speed_kmh, hour.samples) == (at(10), 60.0, 3)


# ---- Parquet ----------------------------------------------------------------------------------------------
def test_typed_parquet_is_converted_and_checked(pipeline: IngestPipeline, city_store: Store, tmp_path: Path) -> None:
    seoul = pa.timestamp("ms", tz="Asia/Seoul")
    table = pa.table(
        {
            "sensor_id": pa.array(["s1", "s1", "s2", "s2"]),
            "time": pa.array([at(10), at(10, 1), at(10), at(10, 1)], seoul),
            "speed_kmh": pa.array([50.5, 300.0, None, 40.0], pa.float32()),
            "flow_vph": pa.array([1200, 1100, 900, None], pa.int64()),
            "quality": pa.array([0, 0, 3, 1], pa.int16()),
        }
    )
    path = tmp_path / "obs.parquet"
    pq.write_table(table, path)
    result = import_observations(pipeline, path)
    assert (result.received, result.stored, result.rejected) == (4, 3, 1)
    [rejection] = city_store.rejections(source="file:obs.parquet")
    assert (rejection.field, rejection.value, rejection.position) == ("speed_kmh", "300", 2)
    assert raw(city_store, "s1") == [(at(10), 50.5, 1200.0)]
    assert raw(city_store, "s2") == [(at(10), None, 900.0), (at(10, 1), 40.0, None)]
    states = {s.sensor_id: s.quality for s in city_store.latest_sensor_states()}
    assert states == {"s1": Quality.OK, "s2": Quality.SUSPECT}


def test_parquet_with_text_columns_reports_bad_cells(
    pipeline: IngestPipeline, city_store: Store, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "sensor_id": ["s1", "s1", "s2", "s2"],
            "time": ["2026-03-02T10:00:00Z", "2026-03-02T10:01:00Z", "soon", "2026-03-02T19:01:00+09:00"],
            "speed_kmh": ["50", "quick", "45", "40.25"],
            "flow_vph": ["1200", "", "900", "800"],
        }
    )
    path = tmp_path / "text.parquet"
    pq.write_table(table, path)
    result = import_observations(pipeline, path)
    assert (result.received, result.stored, result.rejected) == (4, 2, 2)
    found = {(r.field, r.value, r.position) for r in city_store.rejections()}
    assert found == {("speed_kmh", "quick", 2), ("time", "soon", 3)}
    assert raw(city_store, "s1") == [(at(10), 50.0, 1200.0)]
    assert raw(city_store, "s2") == [(at(10, 1), 40.25, 800.0)]


def test_parquet_nan_and_naive_times_are_refused(pipeline: IngestPipeline, city_store: Store, tmp_path: Path) -> None:
    nan_path = tmp_path / "nan.parquet"
    pq.write_table(
        pa.table(
            {
                "sensor_id": ["s1", "s1"],
                "time": pa.array([at(10), at(10, 1)], pa.timestamp("us", tz="UTC")),
                "speed_kmh": [float("nan"), 42.0],
            }
        ),
        nan_path,
    )
    assert import_observations(pipeline, nan_path).stored == 1
    [nan] = city_store.rejections()
    assert (nan.field, nan.value) == ("speed_kmh", "nan")

    naive_path = tmp_path / "naive.parquet"
    naive = pa.array([datetime(2026, 3, 2, 10, 2), datetime(2026, 3, 2, 10, 3)], pa.timestamp("us"))  # noqa: DTZ001
    pq.write_table(pa.table({"sensor_id": ["s1", "s2"], "time": naive, "speed_kmh": [40.0, 41.0]}), naive_path)
    result = import_observations(pipeline, naive_path)
    assert (result.stored, result.rejected) == (0, 2)
    naive_rejections = city_store.rejections(source="file:naive.parquet")
    assert {(r.field, r.value) for r in naive_rejections} == {
        ("time", "2026-03-02 10:02:00"),
        ("time", "2026-03-02 10:03:00"),
    }
    assert all("no UTC offset" in r.reason for r in naive_rejections)
    assert city_store.count_observations() == 1


def test_a_parquet_without_a_required_column_is_refused(pipeline: IngestPipeline, tmp_path: Path) -> None:
    path = tmp_path / "nosensor.parquet"
    pq.write_table(pa.table({"time": pa.array([at(10)]), "speed_kmh": [40.0]}), path)
    with pytest.raises(IngestError, match="missing column\\(s\\) sensor_id"):
        import_observations(pipeline, path)
