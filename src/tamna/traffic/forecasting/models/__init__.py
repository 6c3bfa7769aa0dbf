"""One folder per forecasting model (BasicTS style); :mod:`tamna.traffic.forecasting.registry` lists them."""
