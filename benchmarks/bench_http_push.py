"""HTTP push through the API: ``tamna serve`` as a real uvicorn process on a free port with a DuckDB file, and
client processes that POST JSON arrays of 1,000 readings to ``/api/v1/observations`` with an operator key
over keep-alive connections (stdlib ``http.client``), a few connections at once.

The store first holds the earlier days of the workload (imported through the pipeline before the server
starts), and the last days are pushed, so the upserts land in a store of millions of rows as in operation.
Request bodies are encoded before the clock starts; the rate is readings stored (answers' ``stored``) over
the wall time from the first request to the last answer. Afterwards the store is opened and counted: every
pushed reading must be there.

Target (issue): >= 50,000 observations/s.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

import orjson

import harness
from harness import Figure
from tamna.ingest.columns import typed_from_arrow
from tamna.ingest.pipeline import IngestPipeline
from tamna.store.base import open_store
from workload import STEPS_PER_DAY, Workload

TARGET_OBS_S = 50_000
BATCH = 1000

_BODIES: list[bytes] = []  # filled before the client processes fork


def client(index: int, clients: int, port: int, key: str, start: Any, results: Any) -> None:
    import http.client

    mine = _BODIES[index::clients]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    latencies: list[float] = []
    stored = failed = 0
    start.wait()
    began = time.perf_counter()
    for body in mine:
        sent = time.perf_counter()
        connection.request("POST", "/api/v1/observations", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        latencies.append(time.perf_counter() - sent)
        if response.status == 200:
            stored += int(orjson.loads(answer)["stored"])
        else:
            failed += 1
    ended = time.perf_counter()
    connection.close()
    results.put({"began": began, "ended": ended, "stored": stored, "failed": failed, "latencies": latencies})


def preload(db: Path, workload: Workload, days: int) -> None:
    store = open_store(str(db))
    try:
        workload.register(store)
        pipeline = IngestPipeline(store)
        for day in range(days):
            typed, errors = typed_from_arrow(workload.day_table(day))  # as the Parquet import does
            pipeline.ingest_table(typed, source="file:preload", errors=errors)
        pipeline.flush_rollups()
    finally:
        store.close()


def push_once(workload: Workload, folder: Path, preload_days: int, clients: int) -> dict[str, Any]:
    db = folder / "push.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    preload(db, workload, preload_days)
    key = harness.create_key(str(db), "operator")
    context = mp.get_context("fork")
    start, results = context.Event(), context.Queue()
    with harness.Server(str(db), folder) as server:
        before = server.metric("tamna_ingest_stored_total", 'path="http"')
        processes = [
            context.Process(target=client, args=(i, clients, server.port, key, start, results)) for i in range(clients)
        ]
        for process in processes:
            process.start()
        time.sleep(0.5)
        start.set()
        outcomes = [results.get(timeout=900) for _ in processes]
        for process in processes:
            process.join()
        counted = server.metric("tamna_ingest_stored_total", 'path="http"') - before
        memory = server.memory()
    store = open_store(str(db))
    try:
        in_store = store.count_observations()
    finally:
        store.close()
        for leftover in (db, db.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)
    stored = sum(o["stored"] for o in outcomes)
    seconds = max(o["ended"] for o in outcomes) - min(o["began"] for o in outcomes)
    latencies = [s for o in outcomes for s in o["latencies"]]
    expected = preload_days * STEPS_PER_DAY * workload.sensors + stored
    return {
        "stored": stored,
        "failed_requests": sum(o["failed"] for o in outcomes),
        "server_counted": counted,
        "in_store": in_store,
        "in_store_expected": expected,
        "seconds": seconds,
        "rate": stored / seconds,
        "request_latency": harness.percentiles(latencies),
        "server_memory_mib": memory,
    }


def main() -> None:
    ap = harness.parser(__doc__ or "")
    ap.add_argument("--clients", type=int, default=4, help="concurrent client processes (one connection each)")
    ap.add_argument("--push-days", type=int, default=None, help="days pushed over HTTP (default 3; quick: 1)")
    args = ap.parse_args()
    workload = harness.workload_of(args)
    push_days = args.push_days or (1 if args.quick else 3)
    preload_days = workload.days - push_days
    global _BODIES  # noqa: PLW0603 - the client processes inherit it through fork
    records = [
        record for day in range(preload_days, workload.days) for step in workload.step_records(day) for record in step
    ]
    _BODIES = [orjson.dumps(records[i : i + BATCH]) for i in range(0, len(records), BATCH)]
    del records
    runs = []
    with harness.scratch() as folder:
        for run in range(args.runs):
            outcome = push_once(workload, folder, preload_days, args.clients)
            runs.append(outcome)
            print(
                f"run {run + 1}: {outcome['stored']:,} readings in {outcome['seconds']:.2f} s = "
                f"{outcome['rate']:,.0f}/s; failed requests {outcome['failed_requests']}; "
                f"store {outcome['in_store']:,} (expected {outcome['in_store_expected']:,}); "
                f"p99 request {outcome['request_latency']['p99_ms']} ms; server {outcome['server_memory_mib']}"
            )
            if outcome["failed_requests"] or outcome["in_store"] != outcome["in_store_expected"]:
                raise RuntimeError(f"readings went missing: {outcome}")
    rates = [r["rate"] for r in runs]
    figures = [
        Figure(
            "HTTP push, DuckDB (obs/s)",
            round(harness.median(rates)),
            "obs/s",
            TARGET_OBS_S,
            runs=[round(r) for r in rates],
            note=f"{args.clients} keep-alive connections, {BATCH} readings per POST, {push_days} d pushed "
            f"onto {preload_days} d already stored",
        ),
        Figure(
            "tamna serve peak RSS during HTTP push (MiB)",
            max(r["server_memory_mib"]["VmHWM"] for r in runs),
            "MiB",
            1024,
            better="lower",
            runs=[r["server_memory_mib"]["VmHWM"] for r in runs],
        ),
    ]
    harness.save("http_push", args, figures, runs=runs, clients=args.clients, batch=BATCH)


if __name__ == "__main__":
    main()
