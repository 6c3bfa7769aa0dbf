"""A small GTFS feed made in the tests (Jeju city centre, Korean stop names), its variants, and helpers.

Route 100 runs a timetable every 10 minutes in both directions along six stops; route 200 is frequency-based
(every 15 minutes, times not exact) on the same street. Times are Asia/Seoul.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

SEOUL = ZoneInfo("Asia/Seoul")
#: (stop_id, name, lat, lon): about 700 m apart along 33.500 N.
STOPS = [
    ("S1", "제주시청", 33.5000, 126.5200),
    ("S2", "광양사거리", 33.5003, 126.5275),
    ("S3", "중앙로", 33.5005, 126.5350),
    ("S4", "동문시장", 33.5004, 126.5425),
    ("S5", "관덕정", 33.5002, 126.5500),
    ("S6", "탑동", 33.5000, 126.5575),
]
#: Scheduled running time between consecutive stops and the dwell at S3 (seconds).
RUN_S, DWELL_S = 120, 30
#: A Monday with weekday service.
MONDAY = date(2026, 3, 2)

Files = dict[str, list[list[str]]]


def _time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def trip_times(direction: int) -> list[tuple[str, int, int]]:
    """(stop_id, arrival offset, departure offset) of one run from its start, in stop order."""
    order = STOPS if direction == 0 else STOPS[::-1]
    out, clock = [], 0
    for stop_id, *_ in order:
        dwell = DWELL_S if stop_id == "S3" else 0
        out.append((stop_id, clock, clock + dwell))
        clock += dwell + RUN_S
    return out


def feed_files(*, first_s: int = 6 * 3600, last_s: int = 22 * 3600, headway_s: int = 600) -> Files:
    """The feed's files as rows (header first); tests edit them to make broken feeds."""
    shape = []
    for k, (_, _, lat, lon) in enumerate(STOPS):
        shape.append((lat, lon))
        if k + 1 < len(STOPS):  # a bend between stops so the shape is more than the stops
            nxt = STOPS[k + 1]
            shape.append(((lat + nxt[2]) / 2 + 0.0002, (lon + nxt[3]) / 2))
    files: Files = {
        "agency.txt": [
            ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"],
            ["JEJU", "제주특별자치도 버스", "https://bus.jeju.go.kr", "Asia/Seoul", "ko"],
        ],
        "stops.txt": [["stop_id", "stop_name", "stop_lat", "stop_lon"]]
        + [[s, n, f"{lat:.6f}", f"{lon:.6f}"] for s, n, lat, lon in STOPS],
        "routes.txt": [
            ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type", "route_color"],
            ["R100", "JEJU", "100", "시청–탑동", "3", "0055A4"],
            ["R200", "JEJU", "200", "순환", "3", "E60012"],
        ],
        "calendar.txt": [
            [
                "service_id",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
                "start_date",
                "end_date",
            ],
            ["WK", "1", "1", "1", "1", "1", "0", "0", "20260101", "20261231"],
            ["WE", "0", "0", "0", "0", "0", "1", "1", "20260101", "20261231"],
        ],
        "calendar_dates.txt": [["service_id", "date", "exception_type"], ["WK", "20260301", "1"]],
        "shapes.txt": [["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"]]
        + [["EAST", f"{lat:.6f}", f"{lon:.6f}", str(k + 1)] for k, (lat, lon) in enumerate(shape)]
        + [["WEST", f"{lat:.6f}", f"{lon:.6f}", str(k + 1)] for k, (lat, lon) in enumerate(shape[::-1])],
        "trips.txt": [["route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "shape_id"]],
        "stop_times.txt": [["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]],
        "frequencies.txt": [["trip_id", "start_time", "end_time", "headway_secs", "exact_times"]],
    }
    for direction, shape_id, headsign in ((0, "EAST", "탑동"), (1, "WEST", "제주시청")):
        for start in range(first_s, last_s, headway_s):
            trip_id = f"100-{direction}-{start // 60:04d}"
            files["trips.txt"].append(["R100", "WK", trip_id, headsign, str(direction), shape_id])
            for seq, (stop_id, arrive, depart) in enumerate(trip_times(direction), start=1):
                files["stop_times.txt"].append(
                    [trip_id, _time(start + arrive), _time(start + depart), stop_id, str(seq)]
                )
        template = f"200-{direction}"
        files["trips.txt"].append(["R200", "WK", template, headsign, str(direction), shape_id])
        for seq, (stop_id, arrive, depart) in enumerate(trip_times(direction), start=1):
            files["stop_times.txt"].append([template, _time(arrive), _time(depart), stop_id, str(seq)])
        files["frequencies.txt"].append([template, _time(first_s), _time(last_s), "900", "0"])
    return files


def write_folder(folder: Path, files: Files) -> Path:
    """The feed as a folder of .txt files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def write_zip(path: Path, files: Files) -> Path:
    """The feed as a zip archive."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files.items():
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            archive.writestr(name, buffer.getvalue())
    return path


def at(day: date, seconds: float) -> datetime:
    """The instant ``seconds`` after the service day's origin (local midnight in Seoul, which has no DST)."""
    return datetime(day.year, day.month, day.day, tzinfo=SEOUL).astimezone(UTC) + timedelta(seconds=seconds)


def stop_position(stop_id: str) -> tuple[float, float]:
    """(lat, lon) of a stop."""
    for s, _, lat, lon in STOPS:
        if s == stop_id:
            return lat, lon
    raise KeyError(stop_id)


def between(a: str, b: str, share: float) -> tuple[float, float]:
    """(lat, lon) a share of the way from stop a to stop b (on the straight line; the shape bends 22 m off)."""
    (lat1, lon1), (lat2, lon2) = stop_position(a), stop_position(b)
    return lat1 + share * (lat2 - lat1), lon1 + share * (lon2 - lon1)


def data_folder() -> Path:
    """``../shared/data`` (or TAMNA_DATA); missing data fails the test, never skips it."""
    override = os.environ.get("TAMNA_DATA")
    folder = Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not folder.is_dir():
        pytest.fail(f"the shared data folder {folder} is missing (set TAMNA_DATA)", pytrace=False)
    return folder


def lonlat_at(schedule: object, trip_id: str, dist_m: float) -> tuple[float, float]:
    """(lat, lon) of the point ``dist_m`` along a trip's shape."""
    from tamna.transit.schedule import Schedule

    assert isinstance(schedule, Schedule)
    x, y = schedule.trips[trip_id].line.point_at(dist_m)
    plane = schedule.plane
    return plane.lat0 + y / plane.ky, plane.lon0 + x / plane.kx


def drive(
    schedule: object,
    trip_id: str,
    day: date,
    *,
    late_s: float,
    every_s: float = 30.0,
    vehicle_id: str = "bus-1",
    with_trip: bool = False,
    shift_s: float = 0.0,
) -> list[object]:
    """Fixes of a vehicle running ``trip_id`` exactly to its timetable, ``late_s`` late, one every ``every_s``
    (``shift_s`` moves a frequency template to a run)."""
    import numpy as np

    from tamna.transit.matching import Ping
    from tamna.transit.schedule import Schedule

    assert isinstance(schedule, Schedule)
    trip = schedule.trips[trip_id]
    times = np.ravel(np.column_stack([trip.arr, trip.dep]))
    dists = np.repeat(trip.dist, 2)
    start = schedule.origin(day) + shift_s + late_s
    out: list[object] = []
    t = float(times[0])
    while t <= times[-1]:
        lat, lon = lonlat_at(schedule, trip_id, float(np.interp(t, times, dists)))
        out.append(
            Ping(
                vehicle_id=vehicle_id,
                time=datetime.fromtimestamp(start + t, UTC),
                lat=lat,
                lon=lon,
                source="test",
                trip_id=trip_id if with_trip else None,
                route_id=trip.route_id,
            )
        )
        t += every_s
    return out


def synthetic_history(schedule: object, days: list[date], *, seed: int = 7) -> list[object]:
    """Stop events of every route-100 run on ``days``, made up here (not observed anywhere): running times are
    the timetable's, 1.8 times longer at 07–09 and 17–19 h, 1.3 times on the legs into S3 and S4, ±10 %
    noise; dwells 0–20 s over the timetable. A model that learns segments by hour should beat schedule+delay."""
    import random

    from tamna.domain.transit import StopEvent
    from tamna.transit.schedule import Schedule

    assert isinstance(schedule, Schedule)
    rng = random.Random(seed)
    events: list[object] = []
    for day in days:
        origin = schedule.origin(day)
        running = schedule.calendar.active(day)
        for trip in schedule.trips.values():
            if trip.frequencies or trip.service_id not in running:
                continue
            t = origin + trip.dep[0] + rng.gauss(0, 30)
            for k, stop_id in enumerate(trip.stop_ids):
                if k > 0:
                    hour = int((t - origin) // 3600)
                    factor = 1.8 if hour in (7, 8, 17, 18) else 1.0
                    factor *= 1.3 if stop_id in ("S3", "S4") else 1.0
                    t += (trip.arr[k] - trip.dep[k - 1]) * factor * rng.uniform(0.9, 1.1)
                arrived = t
                t += (trip.dep[k] - trip.arr[k]) + rng.uniform(0, 20)
                events.append(
                    StopEvent(
                        feed_id=schedule.feed_id,
                        trip_id=trip.trip_id,
                        start_date=day.strftime("%Y%m%d"),
                        stop_sequence=int(trip.seqs[k]),
                        stop_id=stop_id,
                        route_id=trip.route_id,
                        direction_id=trip.direction_id,
                        vehicle_id=f"bus-{trip.trip_id}",
                        scheduled_arrival=datetime.fromtimestamp(origin + trip.arr[k], UTC),
                        scheduled_departure=datetime.fromtimestamp(origin + trip.dep[k], UTC),
                        observed_arrival=datetime.fromtimestamp(arrived, UTC),
                        observed_departure=datetime.fromtimestamp(t, UTC),
                    )
                )
    return events


def weekdays(first: date, count: int) -> list[date]:
    """The first ``count`` weekdays from ``first``."""
    out: list[date] = []
    day = first
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out
