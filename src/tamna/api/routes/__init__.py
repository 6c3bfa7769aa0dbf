"""One module per API resource; each exposes ``router``."""
