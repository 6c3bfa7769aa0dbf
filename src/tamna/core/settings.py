"""One typed settings tree, read from ``TAMNA_*`` environment variables once and passed in everywhere.

Nothing reads the environment on import: call :func:`load_settings` (the CLI does) or build a
:class:`Settings` directly (tests do).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tamna.core.errors import ConfigError
from tamna.core.timeutil import zone

Environment = Literal["development", "test", "production"]

#: Values that mean "nobody set this secret yet". Refused outside development.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "password", "admin"})


class Settings(BaseSettings):
    """Tamna's configuration. Every field can be set as ``TAMNA_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TAMNA_", extra="ignore", frozen=True)

    env: Environment = "development"
    city: str = Field(default="jeju", pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    timezone: str = "Asia/Seoul"
    data_dir: Path = Path("var")
    db: str | None = Field(
        default=None,
        description="postgresql://… for PostgreSQL, a file path or duckdb:///path for DuckDB; "
        "unset means DuckDB in data_dir/tamna.duckdb",
    )
    mqtt: str | None = Field(default=None, description="mqtt://host:port of the broker to subscribe to")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_batch_records: int = Field(default=50_000, ge=1)
    future_tolerance_s: float = Field(default=300.0, ge=0)
    rollup_interval_s: float = Field(default=5.0, gt=0)
    duckdb_memory_limit: str = "512MB"
    admin_key: str | None = Field(
        default=None, description="an admin API key accepted at start-up (hashed before it is stored)"
    )
    forecast_model: Path | None = Field(
        default=None,
        description="the model artifact live forecasts use (a folder written by `tamna forecast train`); "
        "unset means the newest under data_dir/models, else the last-value baseline",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        if (
            self.env != "development"
            and self.admin_key is not None
            and (self.admin_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.admin_key) < 24)
        ):
            raise ConfigError("TAMNA_ADMIN_KEY is a placeholder or shorter than 24 characters")
        return self

    @property
    def database_url(self) -> str:
        """The store address with the DuckDB default filled in."""
        if self.db:
            return self.db
        return f"duckdb:///{(self.data_dir / 'tamna.duckdb').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit ``overrides`` (CLI flags) taking precedence."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**clean)  # type: ignore[arg-type]


def redact_url(url: str) -> str:
    """Hide the password in a connection URL so that it can be logged.

    >>> redact_url("postgresql://tamna:s3cret@db:5432/tamna")
    'postgresql://tamna:***@db:5432/tamna'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
