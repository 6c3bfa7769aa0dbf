"""The evaluation harness: the published protocol, on any dataset folder, for any registered model.

- Chronological split: the first ``train_fraction`` of rows train (T-GCN: 80 %), the rest test. The model sees the
  training rows only; it carves its validation slice from their end (:meth:`Forecaster.fit`).
- Input window: the last hour (12 steps of 5 min; other intervals scale). Horizons: 15, 30, 45 and 60 min.
- Two conventions, both reported, never mixed:

  ``tgcn-pooled``
      T-GCN's (Zhao et al. 2019, code ``utils/data/functions.py``): "15 min" pools the 3 steps 5, 10 and 15 min;
      windows are cut inside the test part, ``len(test) - 12 - steps`` of them (T-GCN's count, which leaves out the
      last possible window). These numbers sit beside T-GCN's Table 2.
  ``single-step``
      DCRNN / Graph WaveNet's: the error at exactly the horizon's step, over every test window with all its steps
      inside the test part.

- Metrics in the data's unit (mph for Los-loop), missing and zero targets masked (:mod:`.metrics`).
"""

from __future__ import annotations

import dataclasses
import json
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tamna import __version__
from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.base import FitSpec, Forecaster
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.metrics import score
from tamna.traffic.forecasting.registry import create
from tamna.traffic.forecasting.windows import cut, targets

CONVENTIONS = {
    "tgcn-pooled": "T-GCN's: horizon h pools every step up to h (15 min = 5, 10 and 15 min)",
    "single-step": "DCRNN / Graph WaveNet's: the error at exactly step h",
}


@dataclass(frozen=True)
class Protocol:
    """The split, window and horizons of an evaluation."""

    #: the input window (12 steps of 5 min; 4 steps of 15 min)
    input_minutes: int = 60
    horizons_min: tuple[int, ...] = (15, 30, 45, 60)
    train_fraction: float = 0.8
    validation_fraction: float = 0.2
    seed: int = 0
    refit: bool = True

    def steps(self, interval_s: int) -> list[int]:
        """Each horizon in steps of ``interval_s``; a horizon that is not a whole number of steps is an error."""
        out = []
        for minutes in self.horizons_min:
            if minutes <= 0 or (minutes * 60) % interval_s:
                raise ForecastError(f"horizon {minutes} min is not a whole number of {interval_s} s steps")
            out.append(minutes * 60 // interval_s)
        return out

    def input_steps(self, interval_s: int) -> int:
        """The input window in steps; it must be a whole number of them."""
        if self.input_minutes <= 0 or (self.input_minutes * 60) % interval_s:
            raise ForecastError(
                f"an input window of {self.input_minutes} min is not a whole number of {interval_s} s steps"
            )
        return self.input_minutes * 60 // interval_s

    def fit_spec(self, interval_s: int) -> FitSpec:
        """What the model is fitted for."""
        return FitSpec(
            input_steps=self.input_steps(interval_s),
            horizon_steps=max(self.steps(interval_s)),
            validation_fraction=self.validation_fraction,
            seed=self.seed,
            refit=self.refit,
        )


@dataclass(frozen=True)
class ResultRow:
    """The scores of one model at one horizon under one convention."""

    model: str
    convention: str
    horizon_min: int
    mae: float
    rmse: float
    mape: float
    accuracy: float
    windows: int
    values: int


@dataclass
class Evaluation:
    """One model evaluated on one dataset: scores, and everything needed to reproduce them."""

    dataset: str
    fingerprint: str
    unit: str
    model: str
    params: dict[str, Any]
    protocol: dict[str, Any]
    split: dict[str, Any]
    fit: dict[str, Any]
    fit_seconds: float
    predict_seconds: float
    peak_rss_mb: float
    tamna_version: str = __version__
    conventions: dict[str, str] = field(default_factory=lambda: dict(CONVENTIONS))
    rows: list[ResultRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (NaN becomes null)."""
        clean: dict[str, Any] = _clean(dataclasses.asdict(self))
        return clean

    def to_json(self) -> str:
        """The evaluation as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def table(self) -> str:
        """A Markdown table of the scores."""
        return results_table(self.rows, self.unit)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if not np.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def results_table(rows: list[ResultRow], unit: str) -> str:
    """Markdown: one line per model, convention and horizon."""
    lines = [
        f"| model | convention | horizon | MAE ({unit}) | RMSE ({unit}) | MAPE % | accuracy | windows |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.model} | {r.convention} | {r.horizon_min} min | {r.mae:.4f} | {r.rmse:.4f} | {r.mape:.2f} | "
        f"{r.accuracy:.4f} | {r.windows} |"
        for r in rows
    ]
    return "\n".join(lines)


def split_rows(series: SensorSeries, protocol: Protocol) -> int:
    """Index of the first test row; refuses a test part too short for one full window."""
    first_test = int(series.steps * protocol.train_fraction)
    longest = max(protocol.steps(series.interval_s))
    inputs = protocol.input_steps(series.interval_s)
    if series.steps - first_test < inputs + longest:
        raise ForecastError(
            f"{series.name}: {series.steps} rows of {series.interval} are too little history: the test part "
            f"({series.steps - first_test} rows) must hold an input window of {inputs} steps and a "
            f"horizon of {longest} steps"
        )
    return first_test


def test_origins(series: SensorSeries, first_test: int, protocol: Protocol) -> dict[tuple[str, int], np.ndarray]:
    """Origin rows per (convention, steps), windows cut inside the test part as each convention cuts them."""
    test_rows = series.steps - first_test
    inputs = protocol.input_steps(series.interval_s)
    start = first_test + inputs - 1
    steps = protocol.steps(series.interval_s)
    longest = max(steps)
    out: dict[tuple[str, int], np.ndarray] = {}
    for step in steps:
        out["tgcn-pooled", step] = start + np.arange(max(test_rows - inputs - step, 0))
        out["single-step", step] = start + np.arange(test_rows - inputs - longest + 1)
    return out


def evaluate(
    series: SensorSeries,
    model_name: str,
    params: dict[str, Any] | None = None,
    protocol: Protocol | None = None,
) -> tuple[Evaluation, Forecaster]:
    """Fit ``model_name`` on the training part of ``series`` and score it on the test part, both conventions."""
    protocol = protocol or Protocol()
    first_test = split_rows(series, protocol)
    model = create(model_name, params)
    train = series.rows(0, first_test)
    fitted = model.fit(train, protocol.fit_spec(series.interval_s))
    origins = test_origins(series, first_test, protocol)
    every = np.unique(np.concatenate(list(origins.values())))
    started = time.perf_counter()
    predicted = model.predict(cut(series, every, model.context_steps))
    predict_seconds = time.perf_counter() - started
    actual = targets(series, every, max(protocol.steps(series.interval_s)))
    position = {int(o): i for i, o in enumerate(every)}
    rows = []
    for (convention, step), chosen in origins.items():
        pick = np.array([position[int(o)] for o in chosen], dtype=np.int64)
        if convention == "tgcn-pooled":
            scores = score(actual[pick, :step], predicted[pick, :step])
        else:
            scores = score(actual[pick, step - 1], predicted[pick, step - 1])
        minutes = step * series.interval_s // 60
        rows.append(
            ResultRow(
                model=model.name,
                convention=convention,
                horizon_min=minutes,
                mae=scores.mae,
                rmse=scores.rmse,
                mape=scores.mape,
                accuracy=scores.accuracy,
                windows=len(chosen),
                values=scores.values,
            )
        )
    rows.sort(key=lambda r: (r.convention != "tgcn-pooled", r.horizon_min))
    evaluation = Evaluation(
        dataset=series.name,
        fingerprint=series.fingerprint(),
        unit=series.unit,
        model=model.name,
        params=dataclasses.asdict(model.params),
        protocol=dataclasses.asdict(protocol),
        split={
            "rows": series.steps,
            "train_rows": first_test,
            "test_rows": series.steps - first_test,
            "validation_rows": fitted.get("validation_rows"),
            "test_starts": series.time_of(first_test).isoformat(),
        },
        fit=fitted,
        fit_seconds=float(fitted["fit_seconds"]),
        predict_seconds=round(predict_seconds, 3),
        peak_rss_mb=round(peak_rss_mb(), 1),
        rows=rows,
    )
    return evaluation, model


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (``getrusage`` maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
