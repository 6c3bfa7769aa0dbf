"""Body of the health endpoint."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    """Whether the platform can serve, and what it runs on."""

    status: str
    version: str
    store: str
    schema_version: int
    mqtt: str
