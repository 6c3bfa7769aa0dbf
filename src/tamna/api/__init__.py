"""The HTTP API: app factory, auth, error mapping, and one module per resource under ``routes/``."""
