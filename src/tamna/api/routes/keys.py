"""API key management (admin)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tamna.api.deps import Admin, State
from tamna.api.keys import create_api_key
from tamna.api.schemas.keys import KeyCreated, KeyInfo, KeyRequest
from tamna.core.timeutil import utcnow

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


@router.get("")
def list_keys(state: State, key: Admin) -> list[KeyInfo]:
    """All keys (ids, names, roles; never secrets)."""
    return [KeyInfo.model_validate(record, from_attributes=True) for record in state.store.api_keys()]


@router.post("", status_code=201)
def new_key(body: KeyRequest, state: State, key: Admin) -> KeyCreated:
    """Make a key. Its secret is in this answer only."""
    secret, record = create_api_key(state.store, body.role, body.name)
    return KeyCreated(key=secret, **KeyInfo.model_validate(record, from_attributes=True).model_dump())


@router.delete("/{key_id}", status_code=204, response_class=Response)
def revoke_key(key_id: str, state: State, key: Admin) -> Response:
    """Revoke a key at once."""
    state.store.revoke_api_key(key_id, utcnow())
    return Response(status_code=204)
