"""Traffic intelligence: the city's live state and KPIs (forecasting, incident detection and routing come later)."""
