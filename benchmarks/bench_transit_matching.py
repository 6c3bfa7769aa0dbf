"""Vehicle matching throughput on the real Cairns timetable (../shared/data/gtfs/cairns: 22 routes, 1,339 trips).

Workload: ``--vehicles`` buses (default 1,000), each running a different weekday trip run of Cairns, report a fix
every 10 s with ±10 m GPS noise for 10 minutes, from a random point of their trip; fixes are interleaved by
time as a feed would deliver them. The timetable is real; the fixes are generated here (Cairns publishes no
realtime). Generating them is not timed.

Figures:
1. fixes matched per second on one core, the fixes naming their trip (GTFS-RT with trip_id);
2. the same without trip ids (route only: the timetable picks the run);
3. fixes without trip ids matched per second by two worker processes, the vehicles split between them
   (matching keeps per-vehicle state, so a vehicle always goes to the same worker). Target (issue): ≥ 5,000/s
   on 2 cores.
Also (no target): the whole ingest path (checks, matching, DuckDB writes of every fix and stop event) on one core.

Prints the result as JSON and writes ``benchmarks/out/transit_matching.json``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

import harness
from harness import Figure

TARGET_PER_S = 5_000
EVERY_S, FIXES_PER_VEHICLE, NOISE_M = 10, 60, 10.0
#: Weekdays of the Cairns service (2014) the runs are drawn from.
DAYS = [date(2014, 6, 2) + timedelta(days=d) for d in range(14) if (date(2014, 6, 2) + timedelta(days=d)).weekday() < 5]


def data_folder() -> Path:
    override = os.environ.get("TAMNA_DATA")
    folder = Path(override) if override else harness.REPO.parent / "shared" / "data"
    if not (folder / "gtfs" / "cairns" / "cairns_gtfs.zip").is_file():
        raise SystemExit(f"the Cairns feed is missing under {folder} (set TAMNA_DATA)")
    return folder


def load_schedule() -> Any:
    from tamna.transit.gtfs.importer import load_feed
    from tamna.transit.schedule import Schedule

    loaded = load_feed(data_folder() / "gtfs" / "cairns" / "cairns_gtfs.zip")
    return Schedule(loaded.summary, loaded.tables)


def make_fixes(schedule: Any, vehicles: int, seed: int = 42) -> list[Any]:
    """Fixes of ``vehicles`` buses on distinct trip runs, ordered by time then vehicle."""
    from tamna.transit.matching import Ping

    rng = random.Random(seed)
    runs = [
        (trip, day)
        for day in DAYS
        for trip in schedule.trips.values()
        if trip.service_id in schedule.calendar.active(day)
    ]
    rng.shuffle(runs)
    plane = schedule.plane
    fixes = []
    for n, (trip, day) in enumerate(runs[:vehicles]):
        times = np.ravel(np.column_stack([trip.arr, trip.dep]))
        dists = np.repeat(trip.dist, 2)
        late = rng.uniform(-60, 300)
        span = times[-1] - times[0]
        start = times[0] + rng.uniform(0, max(span - EVERY_S * FIXES_PER_VEHICLE, 0))
        origin = schedule.origin(day)
        for k in range(FIXES_PER_VEHICLE):
            t = min(start + k * EVERY_S, times[-1])
            x, y = trip.line.point_at(float(np.interp(t, times, dists)))
            x += rng.gauss(0, NOISE_M / 1.4)
            y += rng.gauss(0, NOISE_M / 1.4)
            fixes.append(
                Ping(
                    vehicle_id=f"bus-{n:04d}",
                    time=datetime.fromtimestamp(origin + t + late, UTC),
                    lat=plane.lat0 + y / plane.ky,
                    lon=plane.lon0 + x / plane.kx,
                    source="bench",
                    trip_id=trip.trip_id,
                    route_id=trip.route_id,
                    start_date=day.strftime("%Y%m%d"),
                )
            )
    fixes.sort(key=lambda p: (p.time, p.vehicle_id))
    return fixes


def without_trips(fixes: list[Any]) -> list[Any]:
    return [replace(p, trip_id=None, start_date=None) for p in fixes]


def match_all(schedule: Any, fixes: list[Any]) -> tuple[float, int]:
    """Seconds to match every fix on a fresh matcher, and how many matched."""
    from tamna.transit.matching import Matcher

    matcher = Matcher(schedule)
    started, cpu = time.perf_counter(), time.process_time()
    matched = sum(1 for fix in fixes if matcher.match(fix).state.matched)
    _CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started, matched


#: CPU seconds of each match_all in this process (wall time is inflated when the machine is shared)
_CPU: list[float] = []


def right_runs(schedule: Any, fixes: list[Any], blind: list[Any]) -> float:
    """Share of route-only fixes matched to the very run (trip and service day) the bus was driving."""
    from tamna.transit.matching import Matcher

    matcher = Matcher(schedule)
    right = 0
    for truth, fix in zip(fixes, blind, strict=True):
        state = matcher.match(fix).state
        right += state.trip_id == truth.trip_id and state.start_date == truth.start_date
    return right / len(fixes)


_SHARED: dict[str, Any] = {}


def _worker(part: int) -> tuple[float, int, int]:
    fixes = _SHARED["parts"][part]
    seconds, matched = match_all(_SHARED["schedule"], fixes)
    return seconds, matched, len(fixes)


def match_in_processes(schedule: Any, fixes: list[Any], workers: int) -> tuple[float, int]:
    """Wall seconds for ``workers`` forked processes to match their share (vehicles split by id)."""
    parts: list[list[Any]] = [[] for _ in range(workers)]
    for fix in fixes:
        parts[int(fix.vehicle_id.split("-")[1]) % workers].append(fix)
    _SHARED.update(schedule=schedule, parts=parts)
    context = multiprocessing.get_context("fork")  # the schedule is shared copy-on-write, not pickled
    with context.Pool(workers) as pool:
        started = time.perf_counter()
        results = pool.map(_worker, range(workers))
        wall = time.perf_counter() - started
    return wall, sum(r[1] for r in results)


def ingest_end_to_end(fixes: list[Any]) -> tuple[float, int]:
    """Seconds to run fixes through TransitIngest into a fresh DuckDB store, in batches of 1,000."""
    from tamna.store import open_store
    from tamna.transit.gtfs.importer import import_feed
    from tamna.transit.live import TransitIngest

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "bench.duckdb"))
        try:
            store.migrate()
            import_feed(store, data_folder() / "gtfs" / "cairns" / "cairns_gtfs.zip")
            clock = {"now": fixes[0].time}
            ingest = TransitIngest(store, clock=lambda: clock["now"], max_age_s=10 * 86400 * 365)
            ingest.matcher()  # build the schedule before timing
            started = time.perf_counter()
            matched = 0
            for i in range(0, len(fixes), 1000):
                batch = fixes[i : i + 1000]
                clock["now"] = batch[-1].time
                matched += ingest.ingest_pings(batch, source="bench").matched
            return time.perf_counter() - started, matched
        finally:
            store.close()


def main() -> None:
    ap = harness.parser(__doc__ or "")
    ap.add_argument("--vehicles", type=int, default=1_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    schedule = load_schedule()
    fixes = make_fixes(schedule, args.vehicles)
    blind = without_trips(fixes)
    runs: dict[str, list[float]] = {"with_trip": [], "route_only": [], "parallel": [], "ingest": []}
    rates: dict[str, float] = {}
    for run in range(args.runs):
        seconds, matched_a = match_all(schedule, fixes)
        runs["with_trip"].append(len(fixes) / seconds)
        seconds, matched_b = match_all(schedule, blind)
        runs["route_only"].append(len(blind) / seconds)
        runs.setdefault("route_only_cpu", []).append(len(blind) / _CPU[-1])
        wall, matched_c = match_in_processes(schedule, blind, args.workers)
        runs["parallel"].append(len(blind) / wall)
        if run == 0:
            rates = {
                "matched_with_trip": matched_a / len(fixes),
                "matched_route_only": matched_b / len(blind),
                "matched_parallel": matched_c / len(blind),
            }
    ingest_fixes = blind[: min(len(blind), 20_000)]
    seconds, matched_d = ingest_end_to_end(ingest_fixes)
    runs["ingest"].append(len(ingest_fixes) / seconds)
    rates["matched_ingest"] = matched_d / len(ingest_fixes)
    rates["route_only_on_the_right_run"] = right_runs(schedule, fixes, blind)
    figures = [
        Figure(
            "fixes matched/s, 1 core, with trip_id",
            harness.median(runs["with_trip"]),
            "fixes/s",
            runs=runs["with_trip"],
        ),
        Figure(
            "fixes matched/s, 1 core, route only",
            harness.median(runs["route_only"]),
            "fixes/s",
            runs=runs["route_only"],
        ),
        Figure(
            "fixes matched per CPU second, 1 core, route only (CPU time, not wall)",
            harness.median(runs["route_only_cpu"]),
            "fixes/s",
            runs=runs["route_only_cpu"],
        ),
        Figure(
            f"fixes matched/s, {args.workers} processes, route only",
            harness.median(runs["parallel"]),
            "fixes/s",
            target=TARGET_PER_S,
            runs=runs["parallel"],
        ),
        Figure(
            "fixes ingested/s (checks + matching + DuckDB), 1 core, route only",
            runs["ingest"][0],
            "fixes/s",
            runs=runs["ingest"],
            note="one run of 20,000 fixes",
        ),
    ]
    details = {
        "feed": "cairns_gtfs.zip",
        "vehicles": args.vehicles,
        "fixes": len(fixes),
        "fix_every_s": EVERY_S,
        "gps_noise_m": NOISE_M,
        "share_matched": {k: round(v, 4) for k, v in rates.items()},
        "cpu_count": os.cpu_count(),
    }
    harness.save("transit_matching", args, figures, **details)
    print(json.dumps({"figures": [f.__dict__ for f in figures], **details}, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
