"""A global ridge regression on lags, graph-diffused lags, calendar and profile, solved in closed form."""

from tamna.traffic.forecasting.models.ridge.model import Ridge

__all__ = ["Ridge"]
