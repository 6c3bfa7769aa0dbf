"""DuckDB backend: the embedded default, one file under the data directory, no server."""
