"""Measuring how fast the twin runs: simulated seconds per wall second for a scenario, flat out, with the
readings going through the ingest road into a DuckDB store (the embedded default) or nowhere.

``benchmarks/`` calls :func:`measure_speed`; ``tamna twin run`` prints the same figure for one run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tamna.twin.status import RunSummary


@dataclass(frozen=True)
class SpeedReport:
    """One measured run."""

    summary: RunSummary
    #: from start to the last reading stored (the simulation, then whatever the store still had to write)
    total_wall_s: float
    load_s: float

    @property
    def sim_per_wall_s(self) -> float:
        """Simulated seconds per wall second of the simulation loop (pauses excluded)."""
        return self.summary.speed

    @property
    def sim_per_total_wall_s(self) -> float:
        """Simulated seconds per wall second until every reading was stored."""
        return self.summary.simulated_s / self.total_wall_s if self.total_wall_s > 0 else 0.0


def measure_speed(
    config: Path,
    work_dir: Path,
    *,
    until_s: float | None = None,
    ingest: bool = True,
    interval_s: float = 60.0,
    all_vehicles: bool = False,
) -> SpeedReport:
    """Run the scenario at ``config`` as fast as possible (to ``until_s`` or its end) and time it. Generated
    files and the store go to ``work_dir``."""
    from tamna.ingest.pipeline import IngestPipeline
    from tamna.store.base import open_store
    from tamna.twin.clock import SimClock
    from tamna.twin.outbox import pipeline_sink
    from tamna.twin.runtime import TwinRuntime
    from tamna.twin.scenario import load_scenario
    from tamna.twin.setup import prepare_twin, register_twin
    from tamna.twin.status import TwinOptions

    started = time.perf_counter()
    scenario = load_scenario(config)
    setup = prepare_twin(scenario, work_dir / "twin" / scenario.name, interval_s=interval_s)
    clock = SimClock(scenario.begin_s)
    store = pipeline = None
    if ingest:
        store = open_store(str(work_dir / "speed.duckdb"))
        store.migrate()
        pipeline = IngestPipeline(store, clock=clock.now)
        register_twin(store, setup)
        pipeline.reload_sensors()
    options = TwinOptions(speed=0.0, interval_s=interval_s, all_vehicles=all_vehicles, until_s=until_s)
    runtime = TwinRuntime(
        setup, clock, sink=pipeline_sink(pipeline) if pipeline else None, store=store, options=options
    )
    loaded = time.perf_counter()
    try:
        summary = runtime.run()  # returns once the outbox has handed every reading to the store
    finally:
        if store is not None:
            store.close()
    return SpeedReport(summary, time.perf_counter() - loaded, loaded - started)
