"""MQTT ingest: ``tamna serve --mqtt`` (a real server process with a DuckDB file) subscribed to the broker,
and publisher processes that send one message per reading to ``tamna/<city>/sensors/<id>/observations`` at
QoS 1 with Tamna's own :class:`~tamna.ingest.mqtt.MqttPublisher`, paced to an offered rate.

The city name is unique per run, so nothing else on the broker can add to or take from the count. While the
publishers run, the server's ``/metrics`` is sampled to follow what is stored; when everything is in (or
nothing moves for a while) the server is stopped with SIGINT (it stores and acknowledges what it holds) and
the DuckDB file is counted. ``lost = published - stored`` must be 0.

The figure is end to end: messages stored / (last one stored - first one published), so the time the last
batch spends in buffers counts against it.

Target (issue): >= 10,000 messages/s sustained, none lost.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from pathlib import Path
from typing import Any

import harness
from harness import Figure
from tamna.store.base import open_store
from workload import Workload

TARGET_MSG_S = 10_000
CHUNK = 250  # messages published before waiting for their PUBACKs

_RECORDS: list[dict[str, object]] = []  # filled before the publisher processes fork


def publisher(index: int, publishers: int, city: str, rate: float, start: Any, results: Any) -> None:
    from tamna.ingest.mqtt import MqttPublisher

    mine = _RECORDS[index::publishers]
    own_rate = rate / publishers
    client = MqttPublisher(harness.BROKER_URL, city, client_id=f"bench-pub-{city}-{index}")
    client.connect()
    start.wait()
    began = time.perf_counter()
    sent = 0
    for offset in range(0, len(mine), CHUNK):
        if own_rate:
            delay = began + sent / own_rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        sent += client.publish(mine[offset : offset + CHUNK], wait=True)
    ended = time.perf_counter()
    client.close()
    results.put({"began": began, "ended": ended, "sent": sent})


def run_once(workload: Workload, folder: Path, messages: int, rate: float, publishers: int) -> dict[str, Any]:
    db = folder / "mqtt.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    store = open_store(str(db))
    try:
        workload.register(store)
    finally:
        store.close()
    city = f"bench{os.getpid()}-{time.monotonic_ns() % 10**9}"
    context = mp.get_context("fork")
    start, results = context.Event(), context.Queue()
    samples: list[tuple[float, float]] = []
    with harness.Server(str(db), folder, mqtt=harness.BROKER_URL, env={"TAMNA_CITY": city}) as server:
        deadline = time.monotonic() + 20
        while b'"mqtt":"connected"' not in server.get("/healthz")[1]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not subscribe:\n{server.log_tail()}")
            time.sleep(0.1)
        processes = [
            context.Process(target=publisher, args=(i, publishers, city, rate, start, results))
            for i in range(publishers)
        ]
        for process in processes:
            process.start()
        time.sleep(1.0)  # let the publishers connect
        start.set()
        done: list[dict[str, Any]] = []
        last_change, last_value = time.perf_counter(), -1.0
        while True:
            time.sleep(0.2)
            with_time = (time.perf_counter(), server.metric("tamna_ingest_stored_total", 'path="mqtt"'))
            samples.append(with_time)
            if with_time[1] != last_value:
                last_change, last_value = with_time
            while True:
                try:
                    done.append(results.get_nowait())
                except queue.Empty:
                    break
            if len(done) == publishers and last_value >= messages:
                break
            if len(done) == publishers and time.perf_counter() - last_change > 20:
                break  # nothing moves any more: count what arrived
        for process in processes:
            process.join(timeout=30)
        memory = server.memory()
    store = open_store(str(db))
    try:
        stored = store.count_observations()
        rejected = store.count_rejections()
    finally:
        store.close()
        for leftover in (db, db.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)
    published = sum(d["sent"] for d in done)
    first = min(d["began"] for d in done)
    published_by = max(d["ended"] for d in done)
    all_stored_at = next((t for t, value in samples if value >= published), samples[-1][0])
    backlog = [
        (t - first, published_rate_at(t, first, published_by, published) - value) for t, value in samples if t >= first
    ]
    return {
        "offered_rate": rate,
        "published": published,
        "stored": stored,
        "rejected": rejected,
        "lost": published - stored,
        "publish_seconds": published_by - first,
        "publish_rate": published / (published_by - first),
        "end_to_end_seconds": all_stored_at - first,
        "end_to_end_rate": stored / (all_stored_at - first),
        "lag_after_last_publish_s": round(all_stored_at - published_by, 2),
        "max_backlog_estimate": round(max((b for _, b in backlog), default=0.0)),
        "server_memory_mib": memory,
    }


def published_rate_at(t: float, first: float, last: float, total: int) -> float:
    """Messages published by ``t``, assuming the publishers kept their pace (they are paced)."""
    if t >= last:
        return float(total)
    return total * max(0.0, t - first) / (last - first)


def main() -> None:
    ap = harness.parser(__doc__ or "")
    ap.add_argument("--rate", type=float, default=12_000, help="offered messages/s over all publishers (0: flat out)")
    ap.add_argument("--seconds", type=float, default=None, help="how long to publish (default 60; quick: 8)")
    ap.add_argument("--publishers", type=int, default=2, help="publisher processes")
    args = ap.parse_args()
    workload = harness.workload_of(args)
    seconds = args.seconds or (8 if args.quick else 60)
    messages = int((args.rate or 15_000) * seconds)
    messages -= messages % workload.sensors
    for day in range(workload.days):
        for step in workload.step_records(day):
            _RECORDS.extend(step)
            if len(_RECORDS) >= messages:
                break
        if len(_RECORDS) >= messages:
            break
    messages = len(_RECORDS)
    runs = []
    with harness.scratch() as folder:
        for run in range(args.runs):
            outcome = run_once(workload, folder, messages, args.rate, args.publishers)
            runs.append(outcome)
            print(
                f"run {run + 1}: published {outcome['published']:,} at {outcome['publish_rate']:,.0f}/s, stored "
                f"{outcome['stored']:,}, lost {outcome['lost']}, end to end {outcome['end_to_end_rate']:,.0f}/s "
                f"(last stored {outcome['lag_after_last_publish_s']} s after the last publish); "
                f"server {outcome['server_memory_mib']}"
            )
    rates = [r["end_to_end_rate"] for r in runs]
    figures = [
        Figure(
            "MQTT ingest, end to end (msg/s)",
            round(harness.median(rates)),
            "msg/s",
            TARGET_MSG_S,
            runs=[round(r) for r in rates],
            note=f"offered {args.rate:,.0f} msg/s by {args.publishers} publisher processes, QoS 1, "
            f"{messages:,} messages per run",
        ),
        Figure(
            "MQTT messages lost (published - stored), worst run",
            max(r["lost"] for r in runs),
            "messages",
            0,
            better="lower",
            runs=[r["lost"] for r in runs],
        ),
        Figure(
            "tamna serve peak RSS during MQTT ingest (MiB)",
            max(r["server_memory_mib"]["VmHWM"] for r in runs),
            "MiB",
            1024,
            better="lower",
            runs=[r["server_memory_mib"]["VmHWM"] for r in runs],
        ),
    ]
    harness.save("mqtt", args, figures, runs=runs, publishers=args.publishers, messages=messages)


if __name__ == "__main__":
    main()
