"""What every benchmark script shares: options, the machine description, result files, temporary stores,
and `tamna serve` as a real server process.

Each script measures one figure (or one group of figures that come out of the same load) and writes
``benchmarks/out/<name>.json``; ``run_all.py`` runs them and prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from workload import FULL, QUICK, Workload

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("TAMNA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
BROKER_URL = os.environ.get("TAMNA_BENCH_MQTT", "mqtt://127.0.0.1:1883")


# ---- options -------------------------------------------------------------------------------------------
_LOAD_AT_START = os.getloadavg()


def parser(description: str, *, runs: int = 3) -> argparse.ArgumentParser:
    """The options every script takes."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=f"small workload ({QUICK.sensors} sensors x {QUICK.days} d)")
    ap.add_argument("--runs", type=int, default=runs, help="repetitions; the median is reported")
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder to keep generated workload files in (reused across scripts); default: a temporary folder",
    )
    ap.add_argument("--out", type=Path, default=OUT, help="where the result JSON goes")
    return ap


def workload_of(args: argparse.Namespace) -> Workload:
    return QUICK if args.quick else FULL


@contextlib.contextmanager
def scratch(prefix: str = "tamna-bench-") -> Iterator[Path]:
    """A temporary folder, removed afterwards whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def data_folder(args: argparse.Namespace) -> Iterator[Path]:
    """Where workload files live: ``--data-dir`` (kept) or a temporary folder (removed)."""
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        yield args.data_dir
        return
    with scratch("tamna-bench-data-") as folder:
        yield folder


# ---- numbers -------------------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values, dtype=float)))


def percentiles(samples_s: Sequence[float]) -> dict[str, float]:
    """Latency summary in milliseconds."""
    ms = np.asarray(samples_s, dtype=float) * 1000.0
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "mean_ms": round(float(ms.mean()), 2),
    }


@dataclass
class Figure:
    """One measured figure beside its target."""

    name: str
    value: float
    unit: str
    target: float | None = None
    better: str = "higher"  # or "lower"
    runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.better == "higher" else self.value <= self.target


def machine() -> dict[str, Any]:
    """CPU model and count, memory, and the versions that matter to the figures."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    memory_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    import duckdb
    import pyarrow

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
    }


def command_line() -> str:
    """How to run this measurement again: the script and its options, less where files were put."""
    argv, kept = sys.argv[1:], []
    while argv:
        item = argv.pop(0)
        if item in ("--data-dir", "--out"):
            argv = argv[1:]
        elif not item.startswith(("--data-dir=", "--out=")):
            kept.append(item)
    # the switch that runs signal control's pure-Python modules instead of the compiled ones (tamna.native)
    switch = ["TAMNA_NATIVE=0"] if os.environ.get("TAMNA_NATIVE") == "0" else []
    return " ".join([*switch, ".venv/bin/python", str(Path(sys.argv[0]).resolve().relative_to(REPO)), *kept])


def save(name: str, args: argparse.Namespace, figures: list[Figure], **details: Any) -> Path:
    """Write ``<out>/<name>.json`` and print the figures."""
    workload = workload_of(args)
    document = {
        "benchmark": name,
        "command": command_line(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "workload": {
            "name": workload.name,
            "sensors": workload.sensors,
            "days": workload.days,
            "observations": workload.observations,
            "quick": bool(args.quick),
        },
        "runs": args.runs,
        # other work on the machine skews every figure: the 1-min load average says whether there was any
        "load_average_1m": {"start": round(_LOAD_AT_START[0], 2), "end": round(os.getloadavg()[0], 2)},
        "figures": [{**asdict(f), "met": f.met} for f in figures],
        "details": details,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{name}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    for f in figures:
        target = "" if f.target is None else f" (target {'≥' if f.better == 'higher' else '≤'} {f.target:,.0f})"
        verdict = {True: " MET", False: " MISSED", None: ""}[f.met]
        print(f"{f.name}: {f.value:,.2f} {f.unit}{target}{verdict}")
    print(f"-> {path}")
    return path


# ---- stores --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one run, dropped afterwards."""
    import psycopg

    name = f"tamna_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# ---- the server process --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tamna(*argv: str, env: dict[str, str] | None = None) -> str:
    """Run the ``tamna`` CLI and return its stdout."""
    done = subprocess.run(
        [str(BIN / "tamna"), *argv], capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"tamna {' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def create_key(db: str, role: str = "operator") -> str:
    """A fresh API key through ``tamna keys create`` (before the server opens a DuckDB file)."""
    return tamna("keys", "create", "--role", role, "--name", f"bench-{role}", "--db", db).strip().splitlines()[-1]


class Server:
    """``tamna serve`` on a free port, as its own process; stopped with SIGINT like an operator would."""

    def __init__(self, db: str, folder: Path, *, mqtt: str | None = None, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = folder / f"serve-{self.port}.log"
        argv = [str(BIN / "tamna"), "serve", "--db", db, "--port", str(self.port)]
        if mqtt:
            argv += ["--mqtt", mqtt]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # its cwd is scratch space: nothing lands in the repository
            argv, cwd=folder, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        self.pid = self.process.pid

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tamna serve exited ({self.process.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _ = self.get("/healthz")
                if status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"tamna serve did not answer /healthz in {timeout_s} s:\n{self.log_tail()}")

    def connection(self, timeout_s: float = 60.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)

    def get(self, path: str, key: str | None = None) -> tuple[int, bytes]:
        connection = self.connection()
        try:
            connection.request("GET", path, headers={"X-API-Key": key} if key else {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def metric(self, name: str, labels: str = "") -> float:
        """One sample from ``/metrics`` (0 when absent)."""
        _, body = self.get("/metrics")
        wanted = f"{name}{{{labels}}}" if labels else name
        for line in body.decode().splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def memory(self) -> dict[str, float]:
        """Resident memory now and at its peak (VmRSS, VmHWM), MiB."""
        values: dict[str, float] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = round(int(rest.split()[0]) / 1024, 1)
        return values

    def stop(self, timeout_s: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return int(self.process.returncode)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def __enter__(self) -> Server:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
