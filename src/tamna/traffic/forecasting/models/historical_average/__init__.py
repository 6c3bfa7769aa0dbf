"""The training mean of each sensor at the same time of week (falling back to day type, then time of day)."""

from tamna.traffic.forecasting.models.historical_average.model import HistoricalAverage

__all__ = ["HistoricalAverage"]
