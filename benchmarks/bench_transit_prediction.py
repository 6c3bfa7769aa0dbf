"""Bus arrival prediction on the digital twin: mean absolute error by horizon, schedule+delay against the learned
model, on history the twin produced through the real ingest path.

Each simulated service day is one build of the twin with its own seed (its own car demand and driving noise; the
bus timetable is the same every day) run headless with ``tamna twin run --transit`` on a weekday of its own: the
twin's bus lines are imported as GTFS, its buses report GPS fixes every ``--interval`` simulated seconds, the
transit ingest matches them and stores stop events, and ``tamna transit export-history`` writes them out. Then
``tamna transit evaluate`` trains on the earlier days and tests both models on the later ones.

Target (issue 6): the learned model's MAE at 10–20 min at least 30 % lower than the schedule-plus-delay
baseline's. The figures are the MAE of both models in each horizon bucket and the reduction at 10–20 min.

Prints the evaluation and writes ``benchmarks/out/transit_prediction.json`` (the city's name is added to the
file name for a city other than Jeju: ``transit_prediction-generated.json``). Days already simulated in
``--work`` are reused, so an interrupted run continues where it stopped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import harness
from harness import Figure

#: The first simulated day, a Monday; the following days skip weekends so that every day is a weekday.
FIRST_DAY = date(2026, 3, 2)
TARGET_REDUCTION_PCT = 30.0
BUCKETS = ("0-5", "5-10", "10-20", "20-30")
BASELINE, LEARNED = "schedule+delay", "segments+dwell (learned)"


def service_days(count: int) -> list[date]:
    """``count`` weekdays from :data:`FIRST_DAY` on."""
    days, day = [], FIRST_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def build(city: str, seed: int, work: Path) -> Path:
    """The twin of ``city`` for ``seed`` (reused when already built), by ``tamna twin build``; its ``.sumocfg``."""
    out = work / f"{city}-{seed}"
    data = Path(os.environ.get("TAMNA_DATA", harness.REPO.parent / "shared" / "data"))
    what = ["--generated"] if city == "generated" else ["--city", "jeju", "--data", str(data)]
    printed = harness.tamna("twin", "build", *what, "--seed", str(seed), "--out", str(out))
    return Path(printed.strip().splitlines()[-1])


def simulate_day(
    city: str, seed: int, day: date, work: Path, *, interval_s: float, until_s: float | None = None
) -> tuple[Path, str]:
    """Run one service day and export its stop events; returns the history file and what the run printed."""
    history = work / f"history-{city}" / f"{day:%Y%m%d}.csv"
    log = history.with_suffix(".log")
    if history.is_file() and log.is_file():
        return history, log.read_text()
    config = build(city, seed, work)
    db = work / f"{city}-{day:%Y%m%d}.duckdb"
    db.unlink(missing_ok=True)
    env = {"TAMNA_DATA_DIR": str(work / "var")}
    printed = harness.tamna(
        "twin", "run", "--scenario", str(config), "--no-ingest", "--transit", "--interval", f"{interval_s:g}",
        "--date", day.isoformat(), "--db", str(db), *(["--until", f"{until_s:g}"] if until_s else []), env=env,
    )  # fmt: skip
    until = (day + timedelta(days=2)).isoformat() + "T00:00:00Z"
    printed += harness.tamna(
        "transit", "export-history", str(history), "--db", str(db), "--days", "3", "--until", until, env=env
    )
    db.unlink(missing_ok=True)
    log.write_text(printed)
    return history, printed


def evaluate(gtfs: Path, history: Path, train_fraction: float) -> dict[str, Any]:
    """``tamna transit evaluate --json`` on the history folder."""
    out = harness.tamna(
        "transit", "evaluate", "--gtfs", str(gtfs), "--history", str(history),
        "--train-fraction", f"{train_fraction:g}", "--json",
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out)
    return result


def figures_of(result: dict[str, Any], city: str) -> list[Figure]:
    """MAE of both models by bucket, and the learned model's reduction at 10–20 min."""
    mae = result["mae_s"]
    figures = []
    for bucket in BUCKETS:
        for model in (BASELINE, LEARNED):
            cell = mae[model][bucket]
            if cell["mae_s"] is not None:
                figures.append(
                    Figure(
                        f"{city} twin, {model} MAE at {bucket} min ({cell['count']:,} predictions)",
                        round(cell["mae_s"], 1),
                        "s",
                        better="lower",
                        runs=[round(cell["mae_s"], 1)],
                    )
                )
    base, learned = mae[BASELINE]["10-20"]["mae_s"], mae[LEARNED]["10-20"]["mae_s"]
    if base and learned is not None:
        reduction = 100.0 * (1 - learned / base)
        figures.append(
            Figure(
                f"{city} twin, learned model's MAE reduction against schedule+delay at 10–20 min",
                round(reduction, 1),
                "%",
                target=TARGET_REDUCTION_PCT,
                better="higher",
                runs=[round(reduction, 1)],
            )
        )
    return figures


def main() -> None:
    ap = harness.parser(__doc__ or "", runs=1)
    ap.add_argument("--city", choices=("jeju", "generated"), default="jeju")
    ap.add_argument("--days", type=int, default=8, help="simulated service days (one seed each)")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between two GPS fixes of a bus")
    ap.add_argument("--train-fraction", type=float, default=0.7)
    ap.add_argument("--parallel", type=int, default=1, help="service days simulated at once")
    ap.add_argument("--until", type=float, default=None, help="end each day at this simulated second (a short run)")
    ap.add_argument("--work", type=Path, default=None, help="keep builds and history here (default: temporary)")
    args = ap.parse_args()
    started = time.perf_counter()
    with harness.scratch("tamna-bench-twin-") as scratch:
        work = (args.work or scratch).resolve()
        work.mkdir(parents=True, exist_ok=True)

        def one_day(seed: int, day: date) -> dict[str, Any]:
            began = time.perf_counter()
            _history, printed = simulate_day(args.city, seed, day, work, interval_s=args.interval, until_s=args.until)
            lines = [line for line in printed.splitlines() if line.startswith(("bus fixes", "simulated", "vehicles"))]
            print(f"{day} (seed {seed}): " + "; ".join(lines), flush=True)
            return {"day": day.isoformat(), "seed": seed, "wall_s": round(time.perf_counter() - began, 1), "run": lines}

        # days are independent runs, each a process of its own: on a shared machine several at once finish sooner
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            runs = list(pool.map(one_day, range(1, args.days + 1), service_days(args.days)))
        gtfs = build(args.city, 1, work).parent / "gtfs"
        result = evaluate(gtfs, work / f"history-{args.city}", args.train_fraction)
    print(json.dumps(result, indent=2))
    name = "transit_prediction" if args.city == "jeju" else f"transit_prediction-{args.city}"
    harness.save(
        name,
        args,
        figures_of(result, args.city),
        city=args.city,
        days=runs,
        interval_s=args.interval,
        evaluation=result,
        wall_s=round(time.perf_counter() - started, 1),
    )


if __name__ == "__main__":
    sys.exit(main())
