"""Datasets for forecasting: a sensor dataset folder (``meta.json`` layout) or Tamna's own store, as a
:class:`SensorSeries` on a regular time grid."""

from tamna.traffic.datasets.folder import load_folder
from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.datasets.store import from_store

__all__ = ["SensorSeries", "from_store", "load_folder"]
