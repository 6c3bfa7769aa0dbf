"""GTFS import of the three real feeds in ../shared/data/gtfs on both backends: each loads, its validation report
is shown, its counts match its SOURCE.md, and what is stored reads back equal to what was loaded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from tamna.store import Store
from tamna.store.gtfs_schema import GTFS_ORDER
from tamna.transit.gtfs.importer import import_feed
from tests.transit.support import data_folder, feed_files, write_folder

#: Counts published in each feed's SOURCE.md.
FEEDS = {
    "caltrain/ct.zip": {"routes": 9, "stops": 109, "trips": 176, "stop_times": 3498, "shape_points": 12027},
    "cairns/cairns_gtfs.zip": {"routes": 22, "stops": 416, "trips": 1339, "stop_times": 37790, "shape_points": 22784},
    "usf-bullrunner/bullrunner-gtfs.zip": {
        "routes": 6,
        "stops": 125,
        "trips": 15,
        "stop_times": 473,
        "shape_points": 1522,
        "frequencies": 15,
    },
}
#: A fixed "today" keeps the expiry warnings the same whenever the tests run.
TODAY = date(2026, 1, 1)


@pytest.mark.data
@pytest.mark.parametrize("name", list(FEEDS))
def test_every_real_feed_loads_with_its_report(name: str, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_folder() / "gtfs" / name
    loaded = import_feed(store, path, today=TODAY)
    report = loaded.report
    with capsys.disabled():  # the report is part of what this test shows, with or without -s
        print(f"\n[{store.backend}] {report.render(examples=1)}")
    assert report.errors == 0
    for key, expected in FEEDS[name].items():
        assert loaded.summary.counts[key] == expected, key
    # all three ended their service before 2026, and the reference validator says so
    assert report.notices["expired_calendar"].count == 1
    stored = store.gtfs_tables(loaded.summary.feed_id)
    for table, columns in GTFS_ORDER.items():
        expected_table = loaded.tables[table].sort_by([(c, "ascending") for c in columns])
        assert stored[table].equals(expected_table), table
    summary = store.gtfs_feed(loaded.summary.feed_id)
    assert summary.warnings == report.warnings
    assert summary.report["notices"][0]["code"] == next(report.by_severity()).code


@pytest.mark.data
def test_shape_distances_are_computed_only_where_the_feed_has_none() -> None:
    from tamna.transit.gtfs.importer import load_feed

    gtfs = data_folder() / "gtfs"
    cairns = load_feed(gtfs / "cairns" / "cairns_gtfs.zip", today=TODAY)  # no shape_dist_traveled at all
    shapes = cairns.tables["shapes"]
    assert shapes.column("shape_dist_traveled").null_count == 0
    assert pc.all(pc.equal(shapes.column("shape_dist_traveled"), shapes.column("dist_m"))).as_py()
    stop_times = cairns.tables["stop_times"]
    assert stop_times.column("shape_dist_traveled").null_count == 0
    # within each trip the computed distances never go back
    trips = stop_times.column("trip_id").to_pylist()
    dist = stop_times.column("shape_dist_traveled").to_numpy()
    seqs = stop_times.column("stop_sequence").to_numpy()
    order = np.lexsort((seqs, np.array(trips)))
    same_trip = np.array(trips)[order][1:] == np.array(trips)[order][:-1]
    assert (np.diff(dist[order])[same_trip] >= -1e-6).all()
    caltrain = load_feed(gtfs / "caltrain" / "ct.zip", today=TODAY)  # publishes its own distances
    first = caltrain.tables["shapes"].slice(0, 2).to_pylist()
    assert [row["shape_dist_traveled"] for row in first] == [0.0, 421.57963671]
    # the feed's distances are metres: Tamna's great-circle metres agree within 0.5 %
    assert first[1]["dist_m"] == pytest.approx(421.58, rel=0.005)


def test_importing_again_replaces_the_feed(store: Store, feed_dir: Path) -> None:
    import_feed(store, feed_dir, feed_id="jeju")
    smaller = feed_files(first_s=6 * 3600, last_s=7 * 3600)
    import_feed(store, write_folder(feed_dir.parent / "smaller", smaller), feed_id="jeju")
    assert [f.feed_id for f in store.gtfs_feeds()] == ["jeju"]
    assert store.gtfs_feed("jeju").counts["trips"] == 2 * 6 + 2
    assert store.gtfs_tables("jeju")["trips"].num_rows == 2 * 6 + 2
