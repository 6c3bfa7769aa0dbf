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

import argparse
import multiprocessing as mp
import os
import queue
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
from harness import Figure
from tamna.ingest.mqtt import broker_reachable
from tamna.store.base import open_store
from workload import Workload

TARGET_MSG_S = 10_000
CHUNK = 250  # messages published before waiting for their PUBACKs

_RECORDS: list[dict[str, object]] = []  # filled before the publisher processes fork


def publisher(index: int, publishers: int, broker: str, city: str, rate: float, start: Any, results: Any) -> None:
    from tamna.ingest.mqtt import MqttPublisher

    mine = _RECORDS[index::publishers]
    own_rate = rate / publishers
    client = MqttPublisher(broker, city, client_id=f"bench-pub-{city}-{index}")
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


def run_once(
    workload: Workload, folder: Path, broker: str, messages: int, rate: float, publishers: int
) -> dict[str, Any]:
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
    with harness.Server(str(db), folder, mqtt=broker, env={"TAMNA_CITY": city}) as server:
        deadline = time.monotonic() + 20
        while b'"mqtt":"connected"' not in server.get("/healthz")[1]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not subscribe:\n{server.log_tail()}")
            time.sleep(0.1)
        processes = [
            context.Process(target=publisher, args=(i, publishers, broker, city, rate, start, results))
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
    final = samples[-1][1]
    all_stored_at = next(t for t, value in samples if value >= min(published, final))
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


@contextmanager
def broker_for(args: argparse.Namespace, folder: Path) -> Iterator[str]:
    """The shared broker, or with ``--private-broker`` a Mosquitto of our own whose per-client queue is
    ``--max-queued`` messages (the stock configuration keeps 1,000 beyond the in-flight window, then drops)."""
    if not args.private_broker:
        yield harness.BROKER_URL
        return
    port = harness.free_port()
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        f"max_queued_messages {args.max_queued}\nlog_dest stderr\n"
    )
    with (folder / "mosquitto.log").open("wb") as log:
        process = subprocess.Popen([args.mosquitto, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"mqtt://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not broker_reachable(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start: {(folder / 'mosquitto.log').read_text()[-1000:]}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    ap = harness.parser(__doc__ or "")
    ap.add_argument("--rate", type=float, default=12_000, help="offered messages/s over all publishers (0: flat out)")
    ap.add_argument("--seconds", type=float, default=None, help="how long to publish (default 60; quick: 8)")
    ap.add_argument("--publishers", type=int, default=2, help="publisher processes")
    ap.add_argument("--private-broker", action="store_true", help="start a Mosquitto of our own on a free port")
    ap.add_argument("--max-queued", type=int, default=0, help="its max_queued_messages (0: no limit)")
    ap.add_argument("--mosquitto", default=shutil.which("mosquitto") or "/usr/sbin/mosquitto", help="its binary")
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
    with harness.scratch() as folder, broker_for(args, folder) as broker:
        for run in range(args.runs):
            outcome = run_once(workload, folder, broker, messages, args.rate, args.publishers)
            runs.append(outcome)
            print(
                f"run {run + 1}: published {outcome['published']:,} at {outcome['publish_rate']:,.0f}/s, stored "
                f"{outcome['stored']:,}, lost {outcome['lost']}, end to end {outcome['end_to_end_rate']:,.0f}/s "
                f"(last stored {outcome['lag_after_last_publish_s']} s after the last publish); "
                f"server {outcome['server_memory_mib']}"
            )
    rates = [r["end_to_end_rate"] for r in runs]
    where = f", private broker (max_queued_messages {args.max_queued})" if args.private_broker else ""
    figures = [
        Figure(
            f"MQTT ingest, end to end (msg/s){where}",
            round(harness.median(rates)),
            "msg/s",
            TARGET_MSG_S,
            runs=[round(r) for r in rates],
            note=f"offered {args.rate:,.0f} msg/s by {args.publishers} publisher processes, QoS 1, "
            f"{messages:,} messages per run",
        ),
        Figure(
            f"MQTT messages lost (published - stored), worst run{where}",
            max(r["lost"] for r in runs),
            "messages",
            0,
            better="lower",
            runs=[r["lost"] for r in runs],
        ),
        Figure(
            f"tamna serve peak RSS during MQTT ingest (MiB){where}",
            max(r["server_memory_mib"]["VmHWM"] for r in runs),
            "MiB",
            1024,
            better="lower",
            runs=[r["server_memory_mib"]["VmHWM"] for r in runs],
        ),
    ]
    broker = f"private mosquitto, max_queued_messages {args.max_queued}" if args.private_broker else harness.BROKER_URL
    name = "mqtt_private_broker" if args.private_broker else "mqtt"
    harness.save(name, args, figures, runs=runs, publishers=args.publishers, messages=messages, broker=broker)


if __name__ == "__main__":
    main()
