"""The one interface every forecaster has: ``fit`` / ``predict`` / ``save`` / ``load``.

The base class owns what must be the same for all of them, so that no model can get it wrong on its own:

- ``fit`` receives the training part only. It carves the validation slice from the *end* of that part, fits the
  per-sensor scaler on the rows before it, lets the model choose its hyper-parameters (ridge penalty, epochs) on
  the slice, measures the residual band there, and then (``refit``) fits again on the whole training part with the
  choice fixed, because in a week of data the latest day matters most.
- ``predict`` fills missing inputs the same way for every model (:func:`~.windows.fill_causal`).
- ``save`` writes ``model.json`` (config and band) and ``scaler.json``; the model adds its weights.
"""

from __future__ import annotations

import dataclasses
import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import numpy as np

from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.metrics import score
from tamna.traffic.forecasting.windows import FILL_LIMIT_STEPS, Windows, cut, fill_causal, targets

FORMAT = 1
T = TypeVar("T")
#: the residual quantiles that make a forecast's band (an 80 % interval)
BAND_QUANTILES = (0.1, 0.9)


@dataclass(frozen=True)
class FitSpec:
    """What to fit for: input window, horizon (both in steps), validation slice and seed."""

    input_steps: int = 12
    horizon_steps: int = 12
    validation_fraction: float = 0.2
    seed: int = 0
    refit: bool = True


@dataclass(frozen=True)
class ModelMeta:
    """What a fitted model knows about the data it was fitted on."""

    sensor_ids: tuple[str, ...]
    unit: str
    quantity: str
    interval_s: int
    timezone: str
    input_steps: int
    horizon_steps: int
    seed: int


@dataclass(frozen=True)
class FitData:
    """The training part handed to a model: it fits on rows ``[0, fit_rows)`` and may score choices on origins
    after them (the validation slice); when refitting, ``fit_rows`` is every row and there is no slice."""

    series: SensorSeries
    fit_rows: int
    spec: FitSpec

    def fit_part(self) -> SensorSeries:
        """The rows a model may fit on."""
        return self.series.rows(0, self.fit_rows)

    def validation_origins(self) -> np.ndarray:
        """Origins whose targets lie in the validation slice (inputs may reach back into the rows before it)."""
        return np.arange(self.fit_rows - 1, self.series.steps - 1)

    @property
    def has_validation(self) -> bool:
        """Whether a slice is left after the fitted rows."""
        return self.fit_rows < self.series.steps


class Scaler:
    """Per-sensor mean and spread of the rows it was fitted on (NaN ignored)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean = mean
        self.std = std

    @classmethod
    def fit(cls, series: SensorSeries) -> Scaler:
        """Fit on ``series``; a sensor without a single reading there is an error naming it."""
        seen = np.isfinite(series.values).sum(axis=0)
        empty = [series.sensor_ids[i] for i in np.flatnonzero(seen == 0)]
        if empty:
            shown = ", ".join(empty[:5]) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
            raise ForecastError(f"{series.name}: no readings in the training rows for sensor(s) {shown}")
        mean = np.nanmean(series.values, axis=0)
        std = np.nanstd(series.values, axis=0)
        return cls(mean, np.maximum(std, 1e-3 * np.abs(mean) + 1e-6))

    def to_json(self) -> dict[str, list[float]]:
        """A JSON-ready mapping."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> Scaler:
        """The scaler :meth:`to_json` wrote."""
        return cls(np.asarray(data["mean"], dtype=np.float64), np.asarray(data["std"], dtype=np.float64))


def fitted(value: T | None, model: str) -> T:
    """``value``, which only a fitted (or loaded) model has; otherwise the error says the model is not fitted."""
    if value is None:
        raise ForecastError(f"model {model!r} is not fitted")
    return value


def params_from(kind: type[Any], given: dict[str, Any]) -> Any:
    """Build the ``Params`` dataclass ``kind`` from ``given``; text values (CLI) take the default's type."""
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise ForecastError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(fields) or 'none'}")
    defaults = kind()
    values: dict[str, Any] = {}
    for key, value in given.items():
        default = getattr(defaults, key)
        values[key] = _coerce(key, value, default)
    return kind(**values)


def _coerce(key: str, value: Any, default: Any) -> Any:
    if not isinstance(value, str) or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            return tuple(float(v) for v in value.split(","))
    except ValueError as err:
        raise ForecastError(f"parameter {key}={value!r}: expected {type(default).__name__}") from err
    return value


class Forecaster(ABC):
    """A model that forecasts every sensor ``horizon_steps`` ahead from the readings before an origin."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[Any]]

    def __init__(self, **params: Any) -> None:
        self.params = params_from(self.Params, params)
        self.meta: ModelMeta | None = None
        self.scaler: Scaler | None = None
        #: horizon_steps x 2 residual quantiles (BAND_QUANTILES) from the validation slice
        self.band: np.ndarray | None = None
        self.selection: dict[str, Any] = {}

    # ---- what a model provides -------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, data: FitData, selection: dict[str, Any] | None) -> dict[str, Any]:
        """Fit on ``data.fit_part()``; with ``selection`` None, choose hyper-parameters on the validation slice and
        return the choice; with a selection, fit with it (the refit) and return it."""

    @abstractmethod
    def _predict(self, history: np.ndarray, windows: Windows) -> np.ndarray:
        """B x horizon x N forecasts from ``history`` (B x context x N, already filled)."""

    def _save(self, folder: Path) -> None:  # noqa: B027 - a model without weights has nothing to add
        """Write the model's own state into ``folder``."""

    def _load(self, folder: Path) -> None:  # noqa: B027
        """Read what :meth:`_save` wrote."""

    @property
    def context_steps(self) -> int:
        """How many past steps ``predict`` reads (the input window unless a model needs more)."""
        return self._meta.input_steps

    # ---- the shared part -----------------------------------------------------------------------------
    @property
    def _meta(self) -> ModelMeta:
        return fitted(self.meta, self.name)

    @property
    def _scaler(self) -> Scaler:
        return fitted(self.scaler, self.name)

    def fit(self, train: SensorSeries, spec: FitSpec | None = None) -> dict[str, Any]:
        """Fit on the training part ``train`` (nothing after it); returns what was chosen and measured."""
        spec = spec or FitSpec()
        started = time.perf_counter()
        need = spec.input_steps + spec.horizon_steps
        validation_rows = int(train.steps * spec.validation_fraction)
        if train.steps - validation_rows < need + 1 or (spec.validation_fraction > 0 and validation_rows < 2):
            raise ForecastError(
                f"{train.name}: {train.steps} training rows of {train.interval} are too little history: an input "
                f"window of {spec.input_steps} and a horizon of {spec.horizon_steps} steps need at least "
                f"{need + 1} rows to fit on plus a validation slice of {spec.validation_fraction:.0%}"
            )
        self.meta = ModelMeta(
            sensor_ids=train.sensor_ids,
            unit=train.unit,
            quantity=train.quantity,
            interval_s=train.interval_s,
            timezone=train.timezone,
            input_steps=spec.input_steps,
            horizon_steps=spec.horizon_steps,
            seed=spec.seed,
        )
        data = FitData(train, train.steps - validation_rows, spec)
        self.scaler = Scaler.fit(data.fit_part())
        self.selection = self._fit(data, None)
        report: dict[str, Any] = {"selection": self.selection, "validation_rows": validation_rows}
        if data.has_validation:
            origins = data.validation_origins()
            predicted = self.predict(cut(train, origins, self.context_steps))
            actual = targets(train, origins, spec.horizon_steps)
            residual = actual - predicted
            self.band = np.stack(
                [np.nan_to_num(np.nanquantile(residual[:, h], BAND_QUANTILES)) for h in range(spec.horizon_steps)]
            )
            report["validation"] = score(actual, predicted).as_dict()
        if spec.refit and data.has_validation:
            whole = FitData(train, train.steps, spec)
            self.scaler = Scaler.fit(train)
            self._fit(whole, self.selection)
        report["fit_seconds"] = round(time.perf_counter() - started, 3)
        return report

    def predict(self, windows: Windows) -> np.ndarray:
        """B x horizon x N forecasts for the windows' origins, in the unit of the training data."""
        meta = self._meta
        if windows.history.shape[2] != len(meta.sensor_ids):
            raise ForecastError(
                f"model {self.name!r} forecasts {len(meta.sensor_ids)} sensors, the windows hold "
                f"{windows.history.shape[2]}"
            )
        if windows.interval_s != meta.interval_s:
            raise ForecastError(f"model {self.name!r} works on {meta.interval_s} s steps, not {windows.interval_s} s")
        context = self.context_steps
        history = windows.history
        if history.shape[1] < context:
            pad = np.full((history.shape[0], context - history.shape[1], history.shape[2]), np.nan)
            history = np.concatenate([pad, history], axis=1)
        filled = fill_causal(history[:, -context:], self._scaler.mean, FILL_LIMIT_STEPS)
        return self._predict(filled, windows)

    def save(self, folder: Path) -> None:
        """Write config, scaler and weights into ``folder`` (created)."""
        meta = self._meta
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "format": FORMAT,
            "model": self.name,
            "params": dataclasses.asdict(self.params),
            "meta": dataclasses.asdict(meta),
            "selection": self.selection,
            "band": None if self.band is None else self.band.tolist(),
            "band_quantiles": list(BAND_QUANTILES),
        }
        (folder / "model.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        (folder / "scaler.json").write_text(json.dumps(self._scaler.to_json()), encoding="utf-8")
        self._save(folder)

    @classmethod
    def load(cls, folder: Path) -> Self:
        """The model :meth:`save` wrote into ``folder``."""
        try:
            config = json.loads((folder / "model.json").read_text(encoding="utf-8"))
            scaler = Scaler.from_json(json.loads((folder / "scaler.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as err:
            raise ForecastError(f"{folder}: not a saved model ({err})") from err
        if config.get("format") != FORMAT or config.get("model") != cls.name:
            raise ForecastError(
                f"{folder}: holds {config.get('model')!r} format {config.get('format')}, not {cls.name!r}"
            )
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in config["params"].items()}
        model = cls(**params)
        meta = config["meta"]
        model.meta = ModelMeta(**{**meta, "sensor_ids": tuple(meta["sensor_ids"])})
        model.scaler = scaler
        model.selection = config.get("selection") or {}
        model.band = None if config.get("band") is None else np.asarray(config["band"], dtype=np.float64)
        model._load(folder)
        return model
