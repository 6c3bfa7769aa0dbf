"""Signal controllers, one module each, registered by name in :mod:`tamna.signals.registry`."""
