"""Dead letters: input refused by validation, kept with the reason so nothing is silently dropped."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

MAX_RECORD_CHARS = 4_000


class Rejection(BaseModel):
    """A refused record: where it came from, what it was, and why (the field and the value)."""

    source: str = Field(description="ingest path, e.g. 'http', 'mqtt', 'file:obs.csv'")
    received_at: datetime
    reason: str
    field: str | None = None
    value: str | None = None
    record: str | None = Field(default=None, description="the raw record, cut at 4,000 characters")
    position: int | None = Field(default=None, description="index or line of the record in its batch/file")
