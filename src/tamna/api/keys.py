"""API keys: random secrets shown once, stored only as SHA-256 hashes.

A key looks like ``tmn_<id>_<secret>``: the id is public (logs, listings, revocation), the secret carries 256
bits of randomness, so a plain SHA-256 is a safe store (no slow hash needed: there is nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from tamna.core.errors import ValidationError
from tamna.core.timeutil import utcnow
from tamna.domain.access import ApiKeyRecord, Role
from tamna.store.base import Store

PREFIX = "tmn"


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(store: Store, role: Role, name: str) -> tuple[str, ApiKeyRecord]:
    """Make a key with ``role``; returns the plain key (show it once) and what was stored."""
    if not name.strip() or len(name) > 100:
        raise ValidationError(f"key name {name!r} must be 1–100 characters", field="name", value=name)
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKeyRecord(id=key_id, name=name.strip(), role=role, key_hash=hash_key(key), created_at=utcnow())
    store.add_api_key(record)
    return key, record


def ensure_key(store: Store, key: str, role: Role, name: str) -> ApiKeyRecord:
    """Register a key given from outside (``TAMNA_ADMIN_KEY``) unless it is already stored."""
    digest = hash_key(key)
    existing = store.api_key_by_hash(digest)
    if existing is not None:
        return existing
    record = ApiKeyRecord(id=f"env-{digest[:8]}", name=name, role=role, key_hash=digest, created_at=utcnow())
    store.add_api_key(record)
    return record


def verify(store: Store, key: str) -> ApiKeyRecord | None:
    """The active key record for ``key``, or None."""
    record = store.api_key_by_hash(hash_key(key))
    if record is None or record.revoked_at is not None:
        return None
    # compare again in constant time so a timing side channel cannot tell near-misses
    return record if hmac.compare_digest(record.key_hash, hash_key(key)) else None
