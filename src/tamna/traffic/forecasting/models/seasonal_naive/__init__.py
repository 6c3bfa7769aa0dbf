"""The reading one season (a day by default) before each target instant."""

from tamna.traffic.forecasting.models.seasonal_naive.model import SeasonalNaive

__all__ = ["SeasonalNaive"]
