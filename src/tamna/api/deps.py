"""FastAPI dependencies: the app state and the role a request's API key carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from tamna.api.keys import verify
from tamna.api.state import AppState
from tamna.core.errors import AuthError, PermissionDeniedError
from tamna.domain.access import ApiKeyRecord, Role

bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer tmn_…`")
header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key in `X-API-Key`")


def app_state(request: Request) -> AppState:
    """The running app's shared state."""
    state: AppState = request.app.state.tamna
    return state


State = Annotated[AppState, Depends(app_state)]


def require(role: Role) -> Callable[..., ApiKeyRecord]:
    """A dependency that admits requests whose key has at least ``role``."""

    def check(
        request: Request,
        state: State,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        api_key: Annotated[str | None, Depends(header_key)],
    ) -> ApiKeyRecord:
        key = credentials.credentials if credentials is not None else api_key
        if not key:
            raise AuthError("this endpoint needs an API key (Authorization: Bearer … or X-API-Key)")
        record = verify(state.store, key)
        if record is None:
            raise AuthError("the API key is unknown or revoked")
        if not record.role.allows(role):
            raise PermissionDeniedError(f"role {record.role.value!r} may not do this; it needs {role.value!r}")
        request.state.key_id = record.id
        return record

    return check


Viewer = Annotated[ApiKeyRecord, Depends(require(Role.VIEWER))]
Operator = Annotated[ApiKeyRecord, Depends(require(Role.OPERATOR))]
Admin = Annotated[ApiKeyRecord, Depends(require(Role.ADMIN))]

#: OpenAPI marker for endpoints anyone may read (open data, health).
PUBLIC = {"x-public": True}
