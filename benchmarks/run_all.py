"""Run every benchmark script and print the results as one markdown table (figure, target, median, runs).

The scripts share one folder of generated workload files (a temporary one unless ``--data-dir`` is given),
so the 8.64 M-row Parquet and CSV files are written once. ``--table-only`` renders the table from the JSON
files already in ``benchmarks/out`` without running anything.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import harness

#: The issue's ingest and query figures first, then every other ``bench_<name>.py`` in this folder.
CORE = ("import_duckdb", "import_postgres", "http_push", "mqtt", "queries")


def scripts() -> dict[str, Path]:
    """Benchmark name (the JSON it writes) -> script; each script writes ``out/<name>.json``."""
    found = {path.stem.removeprefix("bench_"): path for path in sorted(harness.HERE.glob("bench_*.py"))}
    return {name: found[name] for name in (*[n for n in CORE if n in found], *[n for n in found if n not in CORE])}


def table(out: Path, names: list[str], quick: bool) -> str:
    """The markdown table of the named benchmarks' latest results."""
    rows = [
        "| Figure | Target | Median | Runs | Met | Command | Date (UTC) | Machine | Load 1 min |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    suffix = "-quick" if quick else ""
    for name in names:
        # a script run in parts (``bench_twin_speed.py --cities jeju``) writes ``<name>@<part>.json`` per part
        paths = [p for p in (out / f"{name}{suffix}.json",) if p.exists()] + sorted(out.glob(f"{name}@*{suffix}.json"))
        if not paths:
            rows.append(f"| {name}: no result (did it fail?) | | | | | | | | |")
        rows.extend(row for path in paths for row in _rows(json.loads(path.read_text())))
    return "\n".join(rows)


def _rows(document: dict[str, Any]) -> list[str]:
    """One table row per figure of one result file."""
    rows = []
    machine = document["machine"]
    where = f"{machine['cpu']}, {machine['cores']} cores"
    # other work on the machine moves every figure: show how busy it was (start → end of the script)
    load = document.get("load_average_1m") or {}
    busy = f"{load['start']:g} → {load['end']:g}" if load else "?"
    for figure in document["figures"]:
        sign = "≥" if figure["better"] == "higher" else "≤"
        target = "—" if figure["target"] is None else f"{sign} {_number(figure['target'])} {figure['unit']}"
        runs = ", ".join(_number(r) for r in figure["runs"])
        met = {True: "yes", False: "**no**", None: "—"}[figure["met"]]
        rows.append(
            f"| {figure['name']} | {target} | {_number(figure['value'])} {figure['unit']} | {runs} | {met} "
            f"| `{document['command']}` | {document['date'][:16].replace('T', ' ')} | {where} | {busy} |"
        )
    return rows


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def main() -> None:
    known = scripts()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="each script's small workload")
    ap.add_argument("--runs", type=int, default=None, help="repetitions for every script (default: each its own)")
    ap.add_argument("--data-dir", type=Path, default=None, help="keep generated workload files here")
    ap.add_argument("--out", type=Path, default=harness.OUT, help="where the result JSON goes")
    ap.add_argument("--only", default=",".join(known), help="comma-separated subset of the benchmark names")
    ap.add_argument("--table-only", action="store_true", help="render the table from existing results")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}")
    failed: list[str] = []
    if not args.table_only:
        with harness.data_folder(args) as data:
            for name in names:
                argv = [sys.executable, str(known[name]), "--data-dir", str(data), "--out", str(args.out)]
                argv += (["--runs", str(args.runs)] if args.runs else []) + (["--quick"] if args.quick else [])
                print(f"== {known[name].name}", flush=True)
                started = time.perf_counter()
                done = subprocess.run(argv, check=False)
                print(f"== {known[name].name}: exit {done.returncode} after {time.perf_counter() - started:.0f} s\n")
                if done.returncode != 0:
                    failed.append(name)
    print(table(args.out, names, args.quick))
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
