"""Tiny synthetic datasets: a few sensors on a ring road, three days of 5-minute speeds with a daily rush hour.

Small enough that every model fits in a second; regular enough that a learnt model has something to learn.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tamna.traffic.datasets.series import SensorSeries

SENSORS = 5
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
INTERVAL = timedelta(minutes=5)

#: parameters that make every registered model fit in well under a second
TINY_PARAMS: dict[str, dict[str, object]] = {
    "graph-mlp": {"epochs": 2, "hidden": 8, "embed": 4, "batch": 64, "members": 2}
}


def speeds(steps: int, sensors: int = SENSORS, seed: int = 7) -> np.ndarray:
    """Free flow near 60 with a dip at 18:00 (inside the test part) that reaches sensor i i*5 minutes late."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(steps)[:, None] * 5 - np.arange(sensors)[None, :] * 5
    dip = 25 * np.exp(-((((minutes % 1440) - 1080) / 40.0) ** 2))
    return np.round(60 - dip + rng.normal(0, 1.5, (steps, sensors)), 2)


def ring(sensors: int = SENSORS) -> np.ndarray:
    """Each sensor linked to the next, weight 0.8, and to itself."""
    graph = np.eye(sensors)
    for i in range(sensors - 1):
        graph[i, i + 1] = graph[i + 1, i] = 0.8
    return graph


def make_series(steps: int = 3 * 288, sensors: int = SENSORS, name: str = "tiny") -> SensorSeries:
    """A series straight from arrays."""
    return SensorSeries(
        name=name,
        sensor_ids=tuple(f"{name}-s{i}" for i in range(sensors)),
        start=START,
        interval=INTERVAL,
        values=speeds(steps, sensors),
        adjacency=ring(sensors),
        unit="km/h",
        timezone="UTC",
    )


FolderMaker = Callable[..., Path]


@pytest.fixture
def make_folder(tmp_path: Path) -> FolderMaker:
    """Write a dataset folder; ``timestamps`` adds a time column (and ``skip`` drops those rows from the file)."""

    def make(
        *,
        steps: int = 2 * 288,
        name: str = "tiny",
        timestamps: bool = False,
        skip: tuple[int, ...] = (),
        graph: np.ndarray | None = None,
        meta: dict[str, object] | None = None,
    ) -> Path:
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        values = speeds(steps)
        header = [f"s{i}" for i in range(SENSORS)]
        lines = [",".join((["time"] if timestamps else []) + header)]
        for row in range(steps):
            if row in skip:
                continue
            cells = [f"{v:.2f}" for v in values[row]]
            if timestamps:
                cells.insert(0, (START + row * INTERVAL).isoformat())
            lines.append(",".join(cells))
        (folder / "speed.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        adjacency = ring() if graph is None else graph
        (folder / "adj.csv").write_text(
            "\n".join(",".join(f"{w:g}" for w in row) for row in adjacency) + "\n", encoding="utf-8"
        )
        readings: dict[str, object] = {"file": "speed.csv", "header": "sensor_ids", "orientation": "rows_are_times"}
        if timestamps:
            readings["timestamp_column"] = "time"
        spec: dict[str, object] = {
            "name": name,
            "quantity": "speed",
            "unit": "km/h",
            "interval_minutes": 5,
            "timezone": "UTC",
            "readings": readings,
            "adjacency": {"file": "adj.csv", "header": False, "kind": "weighted", "order": "same_as_readings"},
        }
        if not timestamps:
            spec["start"] = START.isoformat()
        spec.update(meta or {})
        (folder / "meta.json").write_text(json.dumps(spec), encoding="utf-8")
        return folder

    return make


@pytest.fixture
def series() -> SensorSeries:
    """Three days of five sensors."""
    return make_series()
