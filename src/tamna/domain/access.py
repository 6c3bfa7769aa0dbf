"""Who may do what: roles and the stored form of an API key (its hash, never the key)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    """Roles in increasing power; each role may do everything the ones before it may."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in the order viewer < operator < admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether this role includes the ``needed`` one."""
        return self.rank >= needed.rank


class ApiKeyRecord(BaseModel):
    """An API key as stored: a public id (shown in logs), its role and the SHA-256 of the secret."""

    id: str
    name: str
    role: Role
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
