"""Graph MLP: a spatio-temporal network in PyTorch that trains in minutes on two CPU cores.

The leaders on METR-LA and PEMS-BAY point two ways. Graph WaveNet, MTGNN and DCRNN learn spatial mixing with
graph convolutions over diffusion steps; STID showed that a plain MLP does as well once each input carries an
identity: which sensor it is, what time of day, what kind of day. This model takes both, at the cost of an MLP:

- inputs per sensor: its last hour scaled, the same diffused one and two hops over the graph (DCRNN's random walk,
  both directions on a directed graph), and the gap between now and the sensor's usual value at the origin and at
  every target instant (the profile, learnt leave-one-day-out so that it never contains the target);
- identities (STID): learnt embeddings of the sensor, the time-of-day slot and weekday/weekend;
- a residual MLP with one graph convolution inside (normalised adjacency, sparse), so hidden states mix along roads;
- output: the change from the last reading at every step (so an untrained model is persistence).

The number of epochs is chosen on the validation slice (the best of ``epochs`` under a one-cycle schedule), then
the model is trained again on the whole training part for that many epochs of the same schedule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tamna.traffic.forecasting.base import FitData, Forecaster, fitted
from tamna.traffic.forecasting.errors import ForecastError
from tamna.traffic.forecasting.features import calendar_features, diffused_lags
from tamna.traffic.forecasting.graph import Walk, transitions
from tamna.traffic.forecasting.metrics import score
from tamna.traffic.forecasting.profile import Profile
from tamna.traffic.forecasting.windows import Windows, cut, fill_causal, targets

if TYPE_CHECKING:
    import torch

    from tamna.traffic.forecasting.models.graph_mlp.network import Network

LOSSES = ("huber", "mae", "mse")


@dataclass(frozen=True)
class GraphMlpParams:
    """Network size, training schedule and limits. ``members`` networks with consecutive seeds are averaged (an
    ensemble: cheaper variance reduction than a bigger network on a week of data). ``max_minutes`` caps each of the
    two trainings (select, refit); a member not started by then is left out.

    ``threads`` is what torch may use. One, not two: on a shared two-core machine two OpenMP threads spin at every
    barrier while the other is descheduled; measured on Los-loop under load, two threads took 6.6 times the wall time
    and 5 times the CPU time of one.
    """

    hidden: int = 128
    layers: int = 2
    embed: int = 16
    hops: int = 2
    epochs: int = 12
    batch: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    loss: str = "huber"
    members: int = 3
    max_minutes: float = 7.0
    threads: int = 1


@dataclass(frozen=True)
class Inputs:
    """A batch's tensors: features (B x N x F), slot and weekend of the origin (B), last scaled reading (B x N)."""

    features: torch.Tensor
    slot: torch.Tensor
    weekend: torch.Tensor
    last: torch.Tensor

    def take(self, index: torch.Tensor) -> Inputs:
        """The windows at ``index``."""
        return Inputs(self.features[index], self.slot[index], self.weekend[index], self.last[index])


class GraphMlp(Forecaster):
    """STID-style embeddings + graph diffusion + one sparse graph convolution, trained with a robust loss."""

    name = "graph-mlp"
    description = "spatio-temporal MLP on graph-diffused lags, profile and sensor/time embeddings (PyTorch)"
    Params = GraphMlpParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.params.loss not in LOSSES:
            raise ForecastError(f"loss {self.params.loss!r} is not one of {', '.join(LOSSES)}")
        self.profile: Profile | None = None
        self.transitions: list[Walk] = []
        self.adjacency: np.ndarray | None = None
        self.networks: list[Network] = []

    # ---- inputs ----------------------------------------------------------------------------------------
    def _inputs(self, history: np.ndarray, windows: Windows, leave_out: np.ndarray | None) -> Inputs:
        import torch

        profile = fitted(self.profile, self.name)
        scaler = self._scaler
        scaled = (history[:, -self._meta.input_steps :] - scaler.mean) / scaler.std
        lags = diffused_lags(scaled, self.transitions, self.params.hops)
        cal = calendar_features(windows, scaled[:, -1], profile, self._meta.horizon_steps, leave_out)
        features = np.concatenate([lags, cal.profile_gap], axis=2)
        return Inputs(
            features=torch.from_numpy(features.astype(np.float32)),
            slot=torch.from_numpy(cal.slot[:, 0].astype(np.int64)),
            weekend=torch.from_numpy(cal.weekend[:, 0].astype(np.int64)),
            last=torch.from_numpy(scaled[:, -1].astype(np.float32)),
        )

    def _build(self, features: int) -> Network:
        from tamna.traffic.forecasting.models.graph_mlp.network import Network

        p = self.params
        return Network(
            sensors=len(self._meta.sensor_ids),
            features=features,
            horizon=self._meta.horizon_steps,
            slots=fitted(self.profile, self.name).slots,
            hidden=p.hidden,
            layers=p.layers,
            embed=p.embed,
            adjacency=fitted(self.adjacency, self.name),
        )

    # ---- training --------------------------------------------------------------------------------------
    def _fit(self, data: FitData, selection: dict[str, Any] | None) -> dict[str, Any]:
        import torch

        part = data.fit_part()
        scaler = self._scaler
        self.transitions = transitions(part.adjacency)
        self.adjacency = part.adjacency
        self.profile = Profile(part.interval_s, part.timezone, len(part.sensor_ids)).add(
            part.times_s(), (part.values - scaler.mean) / scaler.std
        )
        horizon = self._meta.horizon_steps
        origins = np.arange(self._meta.input_steps - 1, part.steps - 1)
        windows = cut(part, origins, self._meta.input_steps)
        history = fill_causal(windows.history, scaler.mean)
        now = (history[:, -1] - scaler.mean) / scaler.std
        ahead = (targets(part, origins, horizon) - scaler.mean) / scaler.std  # B x H x N
        train = self._inputs(history, windows, np.concatenate([now[:, None], ahead], axis=1))
        goal = torch.from_numpy(ahead.transpose(0, 2, 1).astype(np.float32))  # B x N x H
        previous = torch.get_num_threads()
        torch.set_num_threads(self.params.threads)
        try:
            return self._train(data, train, goal, selection)
        finally:
            torch.set_num_threads(previous)

    def _train(
        self, data: FitData, train: Inputs, goal: torch.Tensor, selection: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Train ``members`` networks (seeds seed, seed + 1, ...); the forecast is their mean. While selecting,
        each keeps its best epoch on the validation slice; when refitting, each runs the epochs it chose."""
        p = self.params
        validation = self._validation(data) if selection is None else None
        deadline = time.monotonic() + p.max_minutes * 60
        planned = p.members if selection is None else len(selection["epochs"])
        self.networks = []
        chosen: list[int] = []
        curves: list[list[float]] = []
        ran: list[int] = []
        for member in range(planned):
            if member and time.monotonic() > deadline:
                break  # out of time: a smaller ensemble rather than a late one
            stop_at = p.epochs if selection is None else int(selection["epochs"][member])
            network, best, curve, epochs = self._train_one(train, goal, member, stop_at, validation, deadline)
            self.networks.append(network)
            chosen.append(best)
            curves.append(curve)
            ran.append(epochs)
        if selection is not None:
            return {**selection, "refit_epochs": ran}
        report: dict[str, Any] = {"epochs": chosen, "validation_mae_by_epoch": curves, "stopped_after": ran}
        if validation is not None:
            report["validation_mae"] = round(self._score(validation), 5)
        return report

    def _train_one(
        self,
        train: Inputs,
        goal: torch.Tensor,
        member: int,
        stop_at: int,
        validation: tuple[Inputs, np.ndarray] | None,
        deadline: float,
    ) -> tuple[Network, int, list[float], int]:
        """One network under a one-cycle schedule of ``epochs``, stopped after ``stop_at`` epochs (or the
        deadline); returns it (at its best validation epoch when selecting), that epoch, the curve, epochs run."""
        import torch

        p = self.params
        seed = self._meta.seed + member
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        network = self._build(int(train.features.shape[2]))
        optimiser = torch.optim.AdamW(network.parameters(), lr=p.lr, weight_decay=p.weight_decay)
        count = int(train.features.shape[0])
        batches = -(-count // p.batch)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=p.lr, total_steps=p.epochs * batches)
        best: tuple[float, int, dict[str, torch.Tensor] | None] = (np.inf, stop_at, None)
        curve: list[float] = []
        epoch = 0
        for epoch in range(1, stop_at + 1):
            network.train()
            order = torch.from_numpy(rng.permutation(count))
            for start in range(0, count, p.batch):
                index = order[start : start + p.batch]
                loss = _loss(network(train.take(index)), goal[index], p.loss)
                optimiser.zero_grad()
                torch.autograd.backward(loss)
                optimiser.step()
                schedule.step()
            if validation is not None:
                mae = self._score(validation, [network])
                curve.append(round(mae, 5))
                if mae < best[0]:
                    best = (mae, epoch, {k: v.detach().clone() for k, v in network.state_dict().items()})
            if time.monotonic() > deadline:
                break
        if best[2] is not None:
            network.load_state_dict(best[2])
        network.eval()
        return network, best[1] if validation is not None else epoch, curve, epoch

    def _validation(self, data: FitData) -> tuple[Inputs, np.ndarray]:
        """Inputs of the validation windows, built once, and their targets (scaled, B x N x H)."""
        origins = data.validation_origins()
        windows = cut(data.series, origins, self._meta.input_steps)
        history = fill_causal(windows.history, self._scaler.mean)
        actual = (targets(data.series, origins, self._meta.horizon_steps) - self._scaler.mean) / self._scaler.std
        return self._inputs(history, windows, None), actual.transpose(0, 2, 1)

    def _score(self, validation: tuple[Inputs, np.ndarray], networks: list[Network] | None = None) -> float:
        """Validation MAE in the data's unit, of ``networks`` (default: the ensemble)."""
        inputs, actual = validation
        scaled = self._run(inputs, networks)
        std, mean = self._scaler.std[None, :, None], self._scaler.mean[None, :, None]
        return score(actual * std + mean, scaled * std + mean).mae

    def _run(self, inputs: Inputs, networks: list[Network] | None = None) -> np.ndarray:
        """The mean scaled output (B x N x H) of ``networks`` (default: the ensemble), in chunks."""
        import torch

        members = networks if networks is not None else self.networks
        if not members:
            raise ForecastError(f"model {self.name!r} is not fitted")
        count = int(inputs.features.shape[0])
        previous = torch.get_num_threads()
        torch.set_num_threads(self.params.threads)
        total = None
        try:
            with torch.no_grad():
                for network in members:
                    was_training = network.training
                    network.eval()
                    out = np.concatenate(
                        [
                            network(inputs.take(torch.arange(start, min(start + 256, count)))).numpy()
                            for start in range(0, count, 256)
                        ],
                        axis=0,
                    )
                    network.train(was_training)
                    total = out if total is None else total + out
        finally:
            torch.set_num_threads(previous)
        return np.asarray(total) / len(members)

    # ---- prediction ------------------------------------------------------------------------------------
    def _predict(self, history: np.ndarray, windows: Windows) -> np.ndarray:
        scaled = self._run(self._inputs(history, windows, None)).transpose(0, 2, 1)  # B x H x N
        scaler = self._scaler
        forecast: np.ndarray = scaled.astype(np.float64) * scaler.std + scaler.mean
        return forecast

    # ---- persistence -----------------------------------------------------------------------------------
    def _save(self, folder: Path) -> None:
        import torch

        if not self.networks:
            raise ForecastError(f"model {self.name!r} is not fitted")
        torch.save({"members": [network.state_dict() for network in self.networks]}, folder / "weights.pt")
        arrays: dict[str, Any] = {f"transition_{i}": walk.dense for i, walk in enumerate(self.transitions)}
        arrays.update(fitted(self.profile, self.name).state(), adjacency=fitted(self.adjacency, self.name))
        np.savez(folder / "graph.npz", **arrays)

    def _load(self, folder: Path) -> None:
        import torch

        with np.load(folder / "graph.npz") as arrays:
            state = dict(arrays)
        self.adjacency = state["adjacency"]
        self.transitions = [Walk(state[key]) for key in sorted(k for k in state if k.startswith("transition_"))]
        self.profile = Profile.from_state(self._meta.interval_s, self._meta.timezone, state)
        members = torch.load(folder / "weights.pt", weights_only=True)["members"]
        self.networks = []
        for weights in members:
            network = self._build(int(weights["encode.weight"].shape[1]))
            network.load_state_dict(weights)
            network.eval()
            self.networks.append(network)


def _loss(predicted: torch.Tensor, actual: torch.Tensor, kind: str) -> torch.Tensor:
    """Masked loss over the targets that exist."""
    import torch

    seen = torch.isfinite(actual)
    error = predicted[seen] - actual[seen]
    if kind == "mae":
        return error.abs().mean()
    if kind == "mse":
        return (error**2).mean()
    return torch.nn.functional.huber_loss(error, torch.zeros_like(error), delta=1.0)
