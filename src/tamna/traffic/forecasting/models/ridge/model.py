"""Global ridge regression: one linear model shared by all sensors, one per horizon step, solved in closed form.

Each (origin, sensor) is a row: the sensor's last ``lags`` scaled readings, the same diffused one and two hops over
the graph, the profile gap at the origin and at the target, time-of-day harmonics and the weekend flag at the
target. The target is the change from the last reading, so that the zero model is persistence. The penalty is
chosen on the validation slice from ``penalties``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tamna.traffic.forecasting.base import FitData, Forecaster, fitted
from tamna.traffic.forecasting.features import Calendar, calendar_features, diffused_lags, fourier
from tamna.traffic.forecasting.graph import Walk, transitions
from tamna.traffic.forecasting.metrics import score
from tamna.traffic.forecasting.profile import Profile
from tamna.traffic.forecasting.windows import Windows, cut, fill_causal, targets


@dataclass(frozen=True)
class RidgeParams:
    """``lags`` readings per sensor, ``hops`` of graph diffusion, ``harmonics`` of the time of day, and the
    penalties tried (per row of data)."""

    lags: int = 12
    hops: int = 2
    harmonics: int = 4
    penalties: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


class Ridge(Forecaster):
    """Closed-form ridge on lag, graph and calendar features."""

    name = "ridge"
    description = "global ridge regression on lags, graph-neighbour lags, time of day and profile (closed form)"
    Params = RidgeParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.profile: Profile | None = None
        self.weights: np.ndarray | None = None  # horizon x features
        self.transitions: list[Walk] = []

    @property
    def context_steps(self) -> int:
        return max(int(self.params.lags), self._meta.input_steps)

    # ---- features --------------------------------------------------------------------------------------
    def _parts(
        self, history: np.ndarray, windows: Windows, leave_out: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lag features (B x N x Fl), per-step profile features (B x N x H x 3), per-step timing (B x H x Ft)."""
        profile = fitted(self.profile, self.name)
        scaler = self._scaler
        horizon = self._meta.horizon_steps
        scaled = (history[:, -self.params.lags :] - scaler.mean) / scaler.std
        lags = diffused_lags(scaled, self.transitions, self.params.hops)
        cal: Calendar = calendar_features(windows, scaled[:, -1], profile, horizon, leave_out)
        origin_gap = np.broadcast_to(cal.profile_gap[:, :, :1], cal.profile_gap[:, :, 1:].shape)
        per_step = np.stack([cal.profile_gap[:, :, 1:], cal.profile[:, :, 1:], origin_gap], axis=3)
        wave = fourier(cal.slot[:, 1:], profile.slots, self.params.harmonics)
        weekend = cal.weekend[:, 1:, None].astype(np.float64)
        timing = np.concatenate([wave, weekend, wave * weekend, np.ones_like(weekend)], axis=2)
        return lags, per_step, timing

    @staticmethod
    def _rows(parts: tuple[np.ndarray, np.ndarray, np.ndarray], step: int) -> np.ndarray:
        """The (B * N) x F design of one horizon step (built per step: all steps at once would not fit in memory)."""
        lags, per_step, timing = parts
        count, sensors = lags.shape[:2]
        return np.concatenate(
            [lags, per_step[:, :, step], np.broadcast_to(timing[:, None, step], (count, sensors, timing.shape[2]))],
            axis=2,
        ).reshape(count * sensors, -1)

    def _normal_equations(self, data: FitData) -> list[tuple[np.ndarray, np.ndarray, int]]:
        """Per horizon step: X'X, X'y and the row count, over the fitted rows' windows."""
        part = data.fit_part()
        horizon = self._meta.horizon_steps
        scaler = self._scaler
        origins = np.arange(self.params.lags - 1, part.steps - 1)
        windows = cut(part, origins, self.context_steps)
        history = fill_causal(windows.history, scaler.mean)
        now = (history[:, -1] - scaler.mean) / scaler.std
        ahead = (targets(part, origins, horizon) - scaler.mean) / scaler.std  # B x H x N
        parts = self._parts(history, windows, np.concatenate([now[:, None], ahead], axis=1))
        change = ahead - now[:, None, :]
        systems = []
        for step in range(horizon):
            x = self._rows(parts, step)
            y = change[:, step].reshape(-1)
            keep = np.isfinite(y)
            x, y = x[keep], y[keep]
            systems.append((x.T @ x, x.T @ y, int(keep.sum())))
        return systems

    @staticmethod
    def _solve(systems: list[tuple[np.ndarray, np.ndarray, int]], penalty: float) -> np.ndarray:
        return np.stack(
            [np.linalg.solve(gram + penalty * max(rows, 1) * np.eye(len(gram)), xty) for gram, xty, rows in systems]
        )

    # ---- the interface ---------------------------------------------------------------------------------
    def _fit(self, data: FitData, selection: dict[str, Any] | None) -> dict[str, Any]:
        part = data.fit_part()
        self.transitions = transitions(part.adjacency)
        scaled = (part.values - self._scaler.mean) / self._scaler.std
        self.profile = Profile(part.interval_s, part.timezone, len(part.sensor_ids)).add(part.times_s(), scaled)
        systems = self._normal_equations(data)
        if selection is not None:
            self.weights = self._solve(systems, float(selection["penalty"]))
            return selection
        origins = data.validation_origins()
        windows = cut(data.series, origins, self.context_steps)
        actual = targets(data.series, origins, self._meta.horizon_steps)
        tried: dict[str, float] = {}
        best = (np.inf, self.params.penalties[0])
        for penalty in self.params.penalties:
            self.weights = self._solve(systems, penalty)
            mae = score(actual, self.predict(windows)).mae
            tried[f"{penalty:g}"] = round(mae, 5)
            best = min(best, (mae, penalty))
        self.weights = self._solve(systems, best[1])
        return {"penalty": best[1], "validation_mae_by_penalty": tried}

    def _predict(self, history: np.ndarray, windows: Windows) -> np.ndarray:
        weights = fitted(self.weights, self.name)
        parts = self._parts(history, windows, None)
        count, sensors = history.shape[0], history.shape[2]
        change = np.stack(
            [(self._rows(parts, step) @ weights[step]).reshape(count, sensors) for step in range(len(weights))],
            axis=1,
        )
        forecast: np.ndarray = history[:, -1][:, None, :] + change * self._scaler.std
        return forecast

    def _save(self, folder: Path) -> None:
        arrays: dict[str, Any] = {f"transition_{i}": walk.dense for i, walk in enumerate(self.transitions)}
        arrays.update(fitted(self.profile, self.name).state(), weights=fitted(self.weights, self.name))
        np.savez(folder / "weights.npz", **arrays)

    def _load(self, folder: Path) -> None:
        with np.load(folder / "weights.npz") as arrays:
            state = dict(arrays)
        self.weights = state.pop("weights")
        self.profile = Profile.from_state(self._meta.interval_s, self._meta.timezone, state)
        # the graph is part of the data, not of the weights: keep it with them so the artifact stands alone
        self.transitions = [Walk(state[key]) for key in sorted(k for k in state if k.startswith("transition_"))]
