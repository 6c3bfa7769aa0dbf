"""Query latency against the full store, through the HTTP API of a running ``tamna serve``, and the server's
peak memory under that load.

The store is built first (the workload's Parquet file through ``import_observations``, roll-ups refreshed),
then the server starts on it and one keep-alive client asks, one request at a time:

* the latest state of every link (``GET /api/v1/state/links``),
* one link's last 24 h (``GET /api/v1/links/{id}/history``, default bucket for 24 h: 5 min, from raw readings),
* one link's 30 days at 1 h buckets (``…/history?bucket=1h``, from the 1-h roll-up),

with the link drawn at random (seeded) for each request. Latency is client-side wall time per request; each
run measures every query ``--requests`` times and the reported p99 is the median over runs. Then a few client
processes send the mix at once for a while, and the server's VmHWM (peak resident set) is read from /proc.

Targets (issue): p99 <= 20 ms, <= 30 ms, <= 50 ms; server peak RSS <= 1 GiB.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

import harness
from harness import Figure
from tamna.ingest.files import import_observations
from tamna.ingest.pipeline import IngestPipeline
from tamna.store.base import open_store
from workload import Workload

TARGETS_MS = {"latest": 20.0, "day": 30.0, "month": 50.0}
LABELS = {
    "latest": "latest state, all links",
    "day": "one link, 24 h history",
    "month": "one link, 30 d at 1 h",
}
RSS_TARGET_MIB = 1024


def paths(workload: Workload, kind: str, rng: random.Random) -> str:
    """The request path of one query of ``kind``."""
    if kind == "latest":
        return "/api/v1/state/links"
    link = workload.link_id(rng.randrange(workload.links))
    if kind == "day":
        query = {"start": (workload.end - timedelta(hours=24)).isoformat(), "end": workload.end.isoformat()}
    else:
        query = {"start": workload.start.isoformat(), "end": workload.end.isoformat(), "bucket": "1h"}
    return f"/api/v1/links/{link}/history?{urlencode(query)}"


def check_answer(workload: Workload, kind: str, body: bytes) -> None:
    """The answers must be the real thing, not a fast error."""
    value = orjson.loads(body)
    if kind == "latest":
        expected = workload.links
        got = len(value)
    else:
        expected = 288 if kind == "day" else workload.days * 24
        got = len(value["points"])
    if got != expected:
        raise RuntimeError(f"{kind}: {got} items in the answer, expected {expected}")


def timed(server: harness.Server, workload: Workload, key: str, kind: str, count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    connection = server.connection()
    headers = {"X-API-Key": key}
    seconds = []
    try:
        for i in range(count):
            path = paths(workload, kind, rng)
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            seconds.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
            if i == 0:
                check_answer(workload, kind, body)
    finally:
        connection.close()
    return seconds


def mixed_client(port: int, workload: Workload, key: str, seconds: float, seed: int, results: Any) -> None:
    import http.client

    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        connection.request("GET", paths(workload, rng.choice(list(LABELS)), rng), headers={"X-API-Key": key})
        response = connection.getresponse()
        response.read()
        done += response.status == 200
    connection.close()
    results.put(done)


@contextmanager
def built_store(backend: str, workload: Workload, parquet: Path, folder: Path) -> Iterator[tuple[str, float]]:
    """The full store for ``backend``: yields its URL and how long the import took."""

    def fill(url: str) -> float:
        store = open_store(url)
        try:
            workload.register(store)
            started = time.perf_counter()
            result = import_observations(IngestPipeline(store), parquet)  # flushes the roll-ups
            if result.stored != workload.observations:
                raise RuntimeError(f"stored {result.stored} of {workload.observations}")
            return time.perf_counter() - started
        finally:
            store.close()

    if backend == "postgresql":
        with harness.postgres_database() as url:
            yield url, fill(url)
        return
    db = folder / "queries.duckdb"
    try:
        yield str(db), fill(str(db))
    finally:
        for leftover in (db, db.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)


def measure(backend: str, args: argparse.Namespace, workload: Workload, parquet: Path, folder: Path) -> list[Figure]:
    figures: list[Figure] = []
    with built_store(backend, workload, parquet, folder) as (url, build_s):
        print(f"{backend}: store built in {build_s:.1f} s")
        key = harness.create_key(url, "viewer")
        with harness.Server(url, folder) as server:
            per_kind: dict[str, list[dict[str, float]]] = {kind: [] for kind in LABELS}
            for kind in LABELS:
                timed(server, workload, key, kind, 20, seed=-1)  # warm-up, not counted
            for run in range(args.runs):
                for number, kind in enumerate(LABELS):
                    summary = harness.percentiles(
                        timed(server, workload, key, kind, args.requests, seed=run * 10 + number)
                    )
                    per_kind[kind].append(summary)
                    print(f"{backend} run {run + 1} {kind}: {summary}")
            context = mp.get_context("fork")
            results = context.Queue()
            clients = [
                context.Process(
                    target=mixed_client, args=(server.port, workload, key, args.load_seconds, 100 + i, results)
                )
                for i in range(args.load_clients)
            ]
            for client in clients:
                client.start()
            answered = sum(results.get(timeout=args.load_seconds + 120) for _ in clients)
            for client in clients:
                client.join()
            memory = server.memory()
            print(f"{backend}: mixed load {answered / args.load_seconds:,.0f} req/s; server memory {memory} MiB")
    name = "DuckDB" if backend == "duckdb" else "PostgreSQL"
    for kind, label in LABELS.items():
        p99s = [s["p99_ms"] for s in per_kind[kind]]
        figures.append(
            Figure(
                f"{name}: {label}, p99 (ms)",
                round(harness.median(p99s), 2),
                "ms",
                TARGETS_MS[kind],
                better="lower",
                runs=p99s,
                note=f"p50 {harness.median([s['p50_ms'] for s in per_kind[kind]]):.2f} ms; "
                f"{args.requests} requests per run",
            )
        )
    figures.append(
        Figure(
            f"{name}: tamna serve peak RSS under query load (MiB)",
            memory["VmHWM"],
            "MiB",
            RSS_TARGET_MIB,
            better="lower",
            note=f"{args.load_clients} clients x {args.load_seconds:g} s of mixed queries, "
            f"{answered / args.load_seconds:,.0f} req/s; store import took {build_s:.1f} s",
        )
    )
    return figures


def main() -> None:
    ap = harness.parser(__doc__ or "")
    ap.add_argument("--backends", default="duckdb,postgresql", help="comma-separated: duckdb, postgresql")
    ap.add_argument("--requests", type=int, default=None, help="requests per query and run (default 500; quick 100)")
    ap.add_argument("--load-clients", type=int, default=4, help="client processes in the mixed-load phase")
    ap.add_argument("--load-seconds", type=float, default=None, help="mixed-load phase length (default 30; quick 5)")
    args = ap.parse_args()
    args.requests = args.requests or (100 if args.quick else 500)
    args.load_seconds = args.load_seconds or (5.0 if args.quick else 30.0)
    workload = harness.workload_of(args)
    figures: list[Figure] = []
    with harness.data_folder(args) as data, harness.scratch() as folder:
        parquet, _ = workload.files(data)
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            figures += measure(backend, args, workload, parquet, folder)
    harness.save("queries", args, figures, requests=args.requests, backends=args.backends)


if __name__ == "__main__":
    main()
