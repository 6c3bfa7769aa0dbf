"""The CLI runs in-process with ``--db`` pointing at a DuckDB file of the test; TAMNA_* settings of the shell
running the tests are kept out so that they cannot change what a command does."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tamna.cli.main import app

Tamna = Callable[..., Result]
KEPT = {"TAMNA_DATA", "TAMNA_TEST_POSTGRES"}


@pytest.fixture(autouse=True)
def _no_tamna_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TAMNA_") and name not in KEPT:
            monkeypatch.delenv(name)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Where the commands keep the store."""
    return tmp_path / "cli.duckdb"


@pytest.fixture
def tamna(db: Path) -> Tamna:
    """Run ``tamna <args> --db <db>``; the result has exit_code, stdout and stderr."""
    runner = CliRunner()

    def run(*args: str | Path) -> Result:
        return runner.invoke(app, [*map(str, args), "--db", str(db)])

    return run
