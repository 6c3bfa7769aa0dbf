"""Bodies of the key management endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tamna.domain.access import Role


class KeyRequest(BaseModel):
    """Ask for a new key."""

    role: Role
    name: str = Field(min_length=1, max_length=100)


class KeyInfo(BaseModel):
    """A key as listed (never its secret or hash)."""

    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyInfo):
    """A new key; ``key`` is shown this once."""

    key: str
