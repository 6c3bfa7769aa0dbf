"""Forecast inference for a city of 1,000 sensors: one origin, every horizon (5 to 60 min), each model.

The live service forecasts the whole city once per interval from the latest hour, so the figure is the time of
one ``predict`` call for all sensors at once (features, graph diffusion, network), median over ``--runs``. The
sensors and their graph are synthetic (random positions, a Gaussian distance kernel, three days of speeds with a
rush hour each): inference cost depends on the number of sensors and edges, not on where they are. Models are fitted
briefly first (graph-mlp for 2 epochs): training quality does not change inference cost.

    python benchmarks/bench_forecast_inference.py [--quick] [--runs 50]
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta

import numpy as np

import harness
from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.base import FitSpec
from tamna.traffic.forecasting.graph import distance_graph
from tamna.traffic.forecasting.registry import create, forecasters
from tamna.traffic.forecasting.windows import cut

TARGET_MS = 100.0
QUICK_PARAMS = {"graph-mlp": {"epochs": 2}, "ridge": {"penalties": (1.0,)}}


def synthetic_city(sensors: int, days: int, seed: int = 3) -> SensorSeries:
    """Sensors scattered over ~20 km around Jeju-si, speeds with a rush hour that moves along the graph."""
    rng = np.random.default_rng(seed)
    lon = 126.53 + rng.uniform(-0.1, 0.1, sensors)
    lat = 33.50 + rng.uniform(-0.08, 0.08, sensors)
    graph = distance_graph([(float(x), float(y)) for x, y in zip(lon, lat, strict=True)], threshold=0.9)
    steps = days * 288
    minutes = np.arange(steps)[:, None] * 5 - rng.uniform(0, 30, sensors)[None, :]
    rush = 25 * np.exp(-((((minutes % 1440) - 480) / 45.0) ** 2)) + 20 * np.exp(
        -((((minutes % 1440) - 1080) / 60.0) ** 2)
    )
    values = 70 - rush + rng.normal(0, 3, (steps, sensors))
    return SensorSeries(
        name="synthetic-city",
        sensor_ids=tuple(f"b{i:04d}" for i in range(sensors)),
        start=datetime(2026, 3, 2, tzinfo=UTC),
        interval=timedelta(minutes=5),
        values=values,
        adjacency=graph,
        unit="km/h",
        timezone="Asia/Seoul",
    )


def main() -> None:
    ap = harness.parser(__doc__.splitlines()[0], runs=50)
    args = ap.parse_args()
    sensors = 200 if args.quick else 1000
    series = synthetic_city(sensors, days=3)
    edges = int((series.adjacency > 0).sum() - sensors)
    origin = np.array([series.steps - 13])
    figures: list[harness.Figure] = []
    details: dict[str, object] = {"sensors": sensors, "edges": edges, "horizon_steps": 12, "origins_per_call": 1}
    for name, _ in forecasters():
        model = create(name, QUICK_PARAMS.get(name))
        started = time.perf_counter()
        model.fit(series.rows(0, series.steps - 12), FitSpec(refit=False))
        fit_s = time.perf_counter() - started
        windows = cut(series, origin, model.context_steps)
        model.predict(windows)  # warm-up: first calls load code paths and allocate
        for threads in (1, 2) if name == "graph-mlp" else (1,):
            if name == "graph-mlp":
                model.params = dataclasses.replace(model.params, threads=threads)
            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                predicted = model.predict(windows)
                samples.append(time.perf_counter() - started)
            assert predicted.shape == (1, 12, sensors)
            label = f"{name} predict, {sensors} sensors x 12 steps" + (
                f", {threads} thread(s)" if name == "graph-mlp" else ""
            )
            stats = harness.percentiles(samples)
            figures.append(
                harness.Figure(
                    name=label,
                    value=stats["p50_ms"],
                    unit="ms",
                    target=TARGET_MS,
                    better="lower",
                    runs=[round(s * 1000, 2) for s in samples[:10]],
                    note=f"p90 {stats['p90_ms']} ms, p99 {stats['p99_ms']} ms; fitted in {fit_s:.1f} s (not timed)",
                )
            )
    harness.save("forecast_inference", args, figures, **details)


if __name__ == "__main__":
    main()
