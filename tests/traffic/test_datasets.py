"""Dataset folders: the layout of ../shared/data/traffic, gaps on a time grid, and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tamna.traffic.datasets import load_folder
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.evaluate import evaluate
from tests.traffic.conftest import INTERVAL, SENSORS, START, FolderMaker, speeds


def test_a_folder_loads_in_its_published_unit_with_prefixed_ids(make_folder: FolderMaker) -> None:
    series = load_folder(make_folder(steps=300))
    assert series.values.shape == (300, SENSORS)
    assert series.sensor_ids[0] == "tiny-s0"
    assert series.start == START
    assert series.interval == INTERVAL
    assert series.unit == "km/h"
    np.testing.assert_allclose(series.values, speeds(300), atol=0.006)


def test_skipped_rows_become_nan_rows_on_the_grid(make_folder: FolderMaker) -> None:
    series = load_folder(make_folder(steps=300, timestamps=True, skip=(5, 6, 7, 100)))
    assert series.steps == 300  # the file has 296 rows; the grid still has 300 instants
    assert np.isnan(series.values[[5, 6, 7, 100]]).all()
    assert np.isfinite(series.values[[4, 8, 99, 101]]).all()
    # row 8 is 40 minutes after row 0, not 25: the gap was not closed up
    assert series.time_of(8) == START + 8 * INTERVAL


def test_a_ragged_csv_names_its_line(make_folder: FolderMaker) -> None:
    folder = make_folder(steps=50)
    lines = (folder / "speed.csv").read_text().splitlines()
    lines[10] = lines[10].rsplit(",", 1)[0]
    (folder / "speed.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ForecastError, match=r"speed\.csv line 11: 4 values where the header has 5 columns"):
        load_folder(folder)


def test_a_word_among_the_numbers_names_line_and_sensor(make_folder: FolderMaker) -> None:
    folder = make_folder(steps=50)
    lines = (folder / "speed.csv").read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "fast"
    lines[3] = ",".join(cells)
    (folder / "speed.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ForecastError, match=r"line 4, sensor 's2': 'fast' is not a number"):
        load_folder(folder)


def test_empty_cells_are_missing_readings(make_folder: FolderMaker) -> None:
    folder = make_folder(steps=50)
    lines = (folder / "speed.csv").read_text().splitlines()
    lines[3] = ",".join(["", *lines[3].split(",")[1:]])
    (folder / "speed.csv").write_text("\n".join(lines) + "\n")
    assert np.isnan(load_folder(folder).values[2, 0])


def test_a_graph_of_another_size_is_refused(make_folder: FolderMaker) -> None:
    folder = make_folder(steps=50, graph=np.eye(SENSORS + 1))
    with pytest.raises(ForecastError, match=r"the graph is 6 rows x \[6\] columns but the readings have 5 sensors"):
        load_folder(folder)


def test_missing_meta_and_missing_keys_are_named(make_folder: FolderMaker, tmp_path: Path) -> None:
    with pytest.raises(ForecastError, match=r"no meta.json"):
        load_folder(tmp_path)
    folder = make_folder(steps=50)
    meta = json.loads((folder / "meta.json").read_text())
    del meta["interval_minutes"]
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ForecastError, match=r"missing key.*interval_minutes"):
        load_folder(folder)


def test_times_off_the_grid_or_out_of_order_are_refused(make_folder: FolderMaker) -> None:
    folder = make_folder(steps=50, timestamps=True)
    lines = (folder / "speed.csv").read_text().splitlines()
    lines[5] = lines[5].replace(":20:00", ":21:00", 1)
    (folder / "speed.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ForecastError, match=r"row 5 at .* is not on the 0:05:00 grid"):
        load_folder(folder)
    lines = (folder / "speed.csv").read_text().splitlines()
    lines[5], lines[6] = lines[6], lines[5].replace(":21:00", ":20:00", 1)
    (folder / "speed.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ForecastError, match="does not come after the row before it"):
        load_folder(folder)


def test_too_little_history_for_the_window_is_a_clear_error(make_folder: FolderMaker) -> None:
    series = load_folder(make_folder(steps=60))
    with pytest.raises(ForecastError, match="too little history"):
        evaluate(series, "last-value")


def test_a_sensor_silent_through_the_training_rows_is_named(make_folder: FolderMaker) -> None:
    folder = make_folder(steps=200)
    lines = (folder / "speed.csv").read_text().splitlines()
    # s3 reads nothing until the test part (row 160 onwards)
    for i in range(1, 161):
        cells = lines[i].split(",")
        cells[3] = ""
        lines[i] = ",".join(cells)
    (folder / "speed.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ForecastError, match=r"no readings in the training rows for sensor.*tiny-s3"):
        evaluate(load_folder(folder), "ridge")


@pytest.mark.data
def test_los_loop_loads_as_published(shared_data: Path) -> None:
    series = load_folder(shared_data / "traffic" / "los-loop")
    assert series.values.shape == (2016, 207)
    assert series.unit == "mph"
    assert series.adjacency.shape == (207, 207)
    assert not np.isnan(series.values).any()
    assert series.time_of(0).isoformat() == "2012-03-01T08:00:00+00:00"  # midnight in Los Angeles
