"""Traffic forecasting: models in ``models/<id>/`` behind one interface, found through :mod:`.registry`; the
published evaluation protocol in :mod:`.evaluate`; versioned artifacts in :mod:`.artifacts`; the platform's live
forecasts in :mod:`.live`. Importing this package loads nothing heavy (torch is imported by the model that needs it).
"""
