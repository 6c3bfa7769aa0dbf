"""Settings: typed, refuse unsafe secrets outside development, and build the store address."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tamna.core.errors import ConfigError
from tamna.core.settings import Settings, load_settings, redact_url

STRONG_KEY = "k" * 24


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read TAMNA_* variables; a developer's shell must not change these tests."""
    for name in ("TAMNA_ENV", "TAMNA_ADMIN_KEY", "TAMNA_DB", "TAMNA_DATA_DIR", "TAMNA_TIMEZONE", "TAMNA_CITY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("env", ["test", "production"])
@pytest.mark.parametrize("key", ["short", "change-me", "k" * 23, "  Admin  "])
def test_a_weak_admin_key_is_refused_outside_development(env: str, key: str) -> None:
    with pytest.raises(ConfigError, match="TAMNA_ADMIN_KEY"):
        Settings(env=env, admin_key=key)


def test_placeholders_are_refused_even_when_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tamna.core.settings.PLACEHOLDER_SECRETS", frozenset({"x" * 30}))
    with pytest.raises(ConfigError):
        Settings(env="production", admin_key="x" * 30)


def test_acceptable_admin_keys() -> None:
    assert Settings(env="production", admin_key=STRONG_KEY).admin_key == STRONG_KEY
    assert Settings(env="production").admin_key is None  # no key at all is not a weak key
    assert Settings(env="development", admin_key="short").admin_key == "short"


def test_the_environment_is_read_and_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAMNA_ENV", "production")
    monkeypatch.setenv("TAMNA_ADMIN_KEY", "weak")
    with pytest.raises(ConfigError):
        load_settings()
    settings = load_settings(admin_key=STRONG_KEY, port=None)
    assert (settings.env, settings.admin_key, settings.port) == ("production", STRONG_KEY, 8000)


def test_database_url_defaults_to_duckdb_in_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).database_url == f"duckdb:///{tmp_path.resolve() / 'tamna.duckdb'}"
    assert Settings(db="postgresql://db/tamna").database_url == "postgresql://db/tamna"


def test_an_unknown_zone_or_bad_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        Settings(timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings(port=70000)
    with pytest.raises(ValidationError):
        Settings(city="Jeju City")


def test_passwords_are_redacted() -> None:
    assert redact_url("postgresql://tamna:s3cret@db:5432/tamna") == "postgresql://tamna:***@db:5432/tamna"
    assert redact_url("postgresql://tamna@db/tamna") == "postgresql://tamna@db/tamna"
