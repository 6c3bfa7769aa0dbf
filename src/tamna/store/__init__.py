"""Storage: one :class:`~tamna.store.base.Store` interface, DuckDB (embedded default) and PostgreSQL backends."""

from tamna.store.base import Bucket, Store, open_store

__all__ = ["Bucket", "Store", "open_store"]
