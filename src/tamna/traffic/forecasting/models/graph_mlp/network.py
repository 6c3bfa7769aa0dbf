"""The torch module of :mod:`.model`. Imported only when a graph-mlp is built, so torch loads only then."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    from tamna.traffic.forecasting.models.graph_mlp.model import Inputs


def normalised_adjacency(adjacency: np.ndarray) -> torch.Tensor:
    """D^-1/2 (A + I) D^-1/2 as a sparse tensor (Kipf & Welling's graph convolution); a directed graph is
    symmetrised first, so that the convolution mixes both ways along a road."""
    weights = np.maximum(adjacency, adjacency.T).astype(np.float64)
    np.fill_diagonal(weights, 1.0)
    degree = weights.sum(axis=1)
    scaled = weights / np.sqrt(degree[:, None] * degree[None, :])
    rows, cols = np.nonzero(scaled)
    return torch.sparse_coo_tensor(
        torch.from_numpy(np.stack([rows, cols])),
        torch.from_numpy(scaled[rows, cols].astype(np.float32)),
        scaled.shape,
        check_invariants=True,
    ).coalesce()


class Network(nn.Module):
    """Embeddings + encoder, residual MLP blocks with a graph convolution before the last, and a linear head."""

    def __init__(
        self,
        *,
        sensors: int,
        features: int,
        horizon: int,
        slots: int,
        hidden: int,
        layers: int,
        embed: int,
        adjacency: np.ndarray,
    ) -> None:
        super().__init__()
        self.sensor = nn.Parameter(torch.randn(sensors, embed) * 0.1)
        self.slot = nn.Embedding(slots, embed)
        self.weekend = nn.Embedding(2, embed)
        self.encode = nn.Linear(features, hidden)
        # one linear layer over [features, identities], split so that the identities are projected once per
        # sensor or per window and broadcast, instead of being copied to every (window, sensor) row
        self.identity = nn.Linear(3 * embed, hidden, bias=False)
        self.blocks = nn.ModuleList(
            [
                nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
                for _ in range(layers)
            ]
        )
        self.mix = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, horizon)
        self.register_buffer("adjacency", normalised_adjacency(adjacency), persistent=False)

    def forward(self, batch: Inputs) -> torch.Tensor:
        """B x N x horizon: the scaled forecast (last reading + predicted change)."""
        embed = self.sensor.shape[1]
        weights = self.identity.weight  # hidden x 3 embed
        per_sensor = self.sensor @ weights[:, :embed].T  # N x hidden
        per_window = self.slot(batch.slot) @ weights[:, embed : 2 * embed].T
        per_window = per_window + self.weekend(batch.weekend) @ weights[:, 2 * embed :].T  # B x hidden
        hidden = self.encode(batch.features) + per_sensor[None] + per_window[:, None]
        for depth, block in enumerate(self.blocks):
            if depth == len(self.blocks) - 1:
                hidden = hidden + torch.relu(self.mix(self._convolve(hidden)))
            hidden = hidden + block(hidden)
        change: torch.Tensor = self.head(torch.relu(hidden))
        return change + batch.last[..., None]

    def _convolve(self, hidden: torch.Tensor) -> torch.Tensor:
        count, sensors, width = hidden.shape
        flat = hidden.permute(1, 0, 2).reshape(sensors, count * width)
        mixed = torch.sparse.mm(self.adjacency, flat)
        out: torch.Tensor = mixed.reshape(sensors, count, width).permute(1, 0, 2)
        return out
