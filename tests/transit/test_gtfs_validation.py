"""Validation of broken feeds: each error the GTFS reference forbids refuses the feed with a report that names the
file, the line and the value; warnings let it load; inputs that are not feeds are clear errors. And the CLI's
exit codes: 0 loaded, 1 refused, 2 unreadable."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamna.cli.main import app
from tamna.store import open_store
from tamna.transit.errors import FeedRefusedError, FeedUnreadableError
from tamna.transit.gtfs.importer import LoadedFeed, import_feed, load_feed
from tamna.transit.gtfs.report import Severity
from tests.transit.support import Files, feed_files, write_folder, write_zip


def _load(tmp_path: Path, change: Callable[[Files], None]) -> tuple[Path, LoadedFeed]:
    files = feed_files(first_s=7 * 3600, last_s=8 * 3600)
    change(files)
    folder = write_folder(tmp_path / "feed", files)
    return folder, load_feed(folder)


def _row(files: Files, name: str, column: str, value: str) -> list[str]:
    header = files[name][0]
    return next(row for row in files[name][1:] if row[header.index(column)] == value)


def test_the_small_feed_is_valid(tmp_path: Path) -> None:
    loaded = load_feed(write_zip(tmp_path / "jeju.zip", feed_files()))
    assert loaded.report.errors == 0
    assert loaded.report.warnings == 0, loaded.report.render()
    assert loaded.summary.counts["frequencies"] == 2


def _drop(name: str) -> Callable[[Files], None]:
    return lambda files: files.pop(name)


def _drop_column(name: str, column: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        index = files[name][0].index(column)
        for row in files[name]:
            del row[index]

    return change


def _bad_route(files: Files) -> None:
    files["trips.txt"][3][0] = "R999"


def _empty_stop_id(files: Files) -> None:
    files["stop_times.txt"][2][3] = ""


def _time_travel(files: Files) -> None:
    # the third stop of the first trip arrives before the second one was left
    files["stop_times.txt"][3][1] = files["stop_times.txt"][3][2] = "06:59:00"


def _same_sequence(files: Files) -> None:
    files["stop_times.txt"][2][4] = files["stop_times.txt"][1][4]


def _bad_time(files: Files) -> None:
    files["stop_times.txt"][4][1] = "7h30"


def _no_times_at_the_end(files: Files) -> None:
    files["stop_times.txt"][6][1] = files["stop_times.txt"][6][2] = ""


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        (_drop("stop_times.txt"), "missing_required_file", "stop_times.txt"),
        (_drop_column("routes.txt", "route_type"), "missing_required_column", "routes.txt line 1"),
        (_bad_route, "foreign_key_violation", "trips.txt line 4"),
        (_empty_stop_id, "missing_required_field", "stop_times.txt line 3"),
        (_time_travel, "stop_time_with_arrival_before_previous_departure_time", "stop_times.txt line 4"),
        (_same_sequence, "duplicate_key", "stop_times.txt line 3"),
        (_bad_time, "invalid_time", "stop_times.txt line 5"),
        (_no_times_at_the_end, "missing_trip_edge", "stop_times.txt line 7"),
    ],
    ids=[
        "missing-file",
        "missing-column",
        "bad-reference",
        "missing-field",
        "times-out-of-order",
        "duplicate-sequence",
        "bad-time",
        "trip-edge",
    ],
)
def test_errors_refuse_the_feed_with_a_clear_report(
    tmp_path: Path, change: Callable[[Files], None], code: str, where: str
) -> None:
    folder, loaded = _load(tmp_path, change)
    report = loaded.report
    assert not report.ok
    notice = report.notices[code]
    assert notice.severity is Severity.ERROR
    assert where in report.render(), report.render()
    assert loaded.tables == {}
    store = open_store(str(tmp_path / "refused.duckdb"))
    try:
        store.migrate()
        with pytest.raises(FeedRefusedError, match=r"was refused: \d+ errors") as refused:
            import_feed(store, folder)
        assert refused.value.report.notices[code].count >= 1
        assert store.gtfs_feeds() == []  # nothing half-loaded
    finally:
        store.close()


def test_a_stop_far_from_its_shape_is_a_warning_and_the_feed_loads(tmp_path: Path) -> None:
    def move(files: Files) -> None:
        _row(files, "stops.txt", "stop_id", "S4")[2] = "33.505400"  # 550 m north of the street

    folder, loaded = _load(tmp_path, move)
    report = loaded.report
    assert report.ok
    far = report.notices["stop_too_far_from_shape"]
    assert far.severity is Severity.WARNING
    assert "stop 'S4' is 5" in far.examples[0]["message"]  # 5xx m
    store = open_store(str(tmp_path / "warned.duckdb"))
    try:
        store.migrate()
        assert import_feed(store, folder).summary.warnings == report.warnings
    finally:
        store.close()


def test_a_zip_of_something_else_is_not_a_feed(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "holiday pictures")
        archive.writestr("beach.jpg", b"\xff\xd8\xff")
    with pytest.raises(FeedUnreadableError, match=r"photos.zip is not a GTFS feed: it has none of agency.txt"):
        load_feed(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"route_id,route_type\n", "neither a zip archive nor a folder"),
        (b"", "is an empty file"),
        (b"PK\x03\x04broken", "damaged zip archive"),
    ],
)
def test_unreadable_inputs_are_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "feed.zip"
    path.write_bytes(content)
    with pytest.raises(FeedUnreadableError, match=message):
        load_feed(path)


def test_a_feed_zipped_with_its_folder_loads_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, rows in feed_files().items():
            archive.writestr(f"gtfs/{name}", "\n".join(",".join(row) for row in rows))
    loaded = load_feed(path)
    assert loaded.report.ok
    assert loaded.report.notices["invalid_input_files_in_subfolder"].count == 1


def test_cli_import_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.duckdb")
    good = write_zip(tmp_path / "good.zip", feed_files(first_s=7 * 3600, last_s=8 * 3600))
    loaded = runner.invoke(app, ["transit", "import", str(good), "--db", db])
    assert loaded.exit_code == 0, loaded.output
    assert "0 errors, 0 warnings (valid)" in loaded.stdout
    assert "loaded feed 'good'" in loaded.stdout
    broken = feed_files(first_s=7 * 3600, last_s=8 * 3600)
    _bad_route(broken)
    refused = runner.invoke(app, ["transit", "import", str(write_zip(tmp_path / "bad.zip", broken)), "--db", db])
    assert refused.exit_code == 1
    assert "ERROR   foreign_key_violation × 1" in refused.stdout
    assert "route_id 'R999' is not in routes.txt" in refused.stdout
    assert "bad.zip was refused" in refused.stderr
    not_feed = tmp_path / "notes.zip"
    not_feed.write_text("hello")
    unreadable = runner.invoke(app, ["transit", "import", str(not_feed), "--db", db])
    assert unreadable.exit_code == 2
    assert "neither a zip archive nor a folder" in unreadable.stderr
    listed = runner.invoke(app, ["transit", "feeds", "--db", db])
    assert listed.stdout.startswith("good\tgood.zip")
