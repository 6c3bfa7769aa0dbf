"""The last observed value, held for every horizon (persistence)."""

from tamna.traffic.forecasting.models.last_value.model import LastValue

__all__ = ["LastValue"]
