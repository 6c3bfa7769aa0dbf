"""A spatio-temporal MLP over graph-diffused inputs with sensor and time-of-day embeddings (PyTorch)."""

from tamna.traffic.forecasting.models.graph_mlp.model import GraphMlp

__all__ = ["GraphMlp"]
