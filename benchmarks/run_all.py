"""Run every benchmark script and print the results as one markdown table (figure, target, median, runs).

The scripts share one folder of generated workload files (a temporary one unless ``--data-dir`` is given),
so the 8.64 M-row Parquet and CSV files are written once. ``--table-only`` renders the table from the JSON
files already in ``benchmarks/out`` without running anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import harness

SCRIPTS = {
    "import_duckdb": "bench_import_duckdb.py",
    "import_postgres": "bench_import_postgres.py",
    "http_push": "bench_http_push.py",
    "mqtt": "bench_mqtt.py",
    "queries": "bench_queries.py",
}


def table(out: Path, names: list[str], quick: bool) -> str:
    """The markdown table of the named benchmarks' latest results."""
    rows = [
        "| Figure | Target | Median | Runs | Met | Command | Date (UTC) | Machine |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        path = out / f"{name}{'-quick' if quick else ''}.json"
        if not path.exists():
            rows.append(f"| {name}: no result (did it fail?) | | | | | | | |")
            continue
        document = json.loads(path.read_text())
        machine = document["machine"]
        where = f"{machine['cpu']}, {machine['cores']} cores"
        for figure in document["figures"]:
            sign = "≥" if figure["better"] == "higher" else "≤"
            target = "—" if figure["target"] is None else f"{sign} {_number(figure['target'])} {figure['unit']}"
            runs = ", ".join(_number(r) for r in figure["runs"])
            met = {True: "yes", False: "**no**", None: "—"}[figure["met"]]
            rows.append(
                f"| {figure['name']} | {target} | {_number(figure['value'])} {figure['unit']} | {runs} | {met} "
                f"| `{document['command']}` | {document['date'][:16].replace('T', ' ')} | {where} |"
            )
    return "\n".join(rows)


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def main() -> None:
    ap = harness.parser(__doc__ or "")
    ap.add_argument("--only", default=",".join(SCRIPTS), help=f"comma-separated subset of {', '.join(SCRIPTS)}")
    ap.add_argument("--table-only", action="store_true", help="render the table from existing results")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}")
    failed: list[str] = []
    if not args.table_only:
        with harness.data_folder(args) as data:
            for name in names:
                argv = [sys.executable, str(harness.HERE / SCRIPTS[name]), "--runs", str(args.runs)]
                argv += ["--data-dir", str(data), "--out", str(args.out)] + (["--quick"] if args.quick else [])
                print(f"== {SCRIPTS[name]}", flush=True)
                started = time.perf_counter()
                done = subprocess.run(argv, check=False)
                print(f"== {SCRIPTS[name]}: exit {done.returncode} after {time.perf_counter() - started:.0f} s\n")
                if done.returncode != 0:
                    failed.append(name)
    print(table(args.out, names, args.quick))
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
