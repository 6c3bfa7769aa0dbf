"""Options and helpers shared by the command groups."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from tamna.core.errors import TamnaError
from tamna.core.settings import Settings, load_settings, redact_url
from tamna.store.base import Store, open_store

DbOption = Annotated[
    str | None, typer.Option("--db", help="postgresql://… or a DuckDB file (default: TAMNA_DB or var/tamna.duckdb)")
]


def settings_with(**overrides: object) -> Settings:
    """Settings from TAMNA_* with CLI flags on top; a bad setting is a clear one-line error."""
    try:
        return load_settings(**overrides)
    except (TamnaError, ValueError) as err:
        fail(f"configuration: {err}")
        raise  # unreachable; fail() exits


def open_migrated(settings: Settings) -> Store:
    """Open the configured store and bring its schema up to date."""
    try:
        store = open_store(settings.database_url, memory_limit=settings.duckdb_memory_limit)
        store.migrate()
    except TamnaError as err:
        fail(f"store {redact_url(settings.database_url)}: {err}")
        raise
    return store


def fail(message: str, code: int = 2) -> None:
    """Print an error for a person and exit with ``code``."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def configure_logging(verbose: bool = False) -> None:
    """Plain, timestamped logs on stderr."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
