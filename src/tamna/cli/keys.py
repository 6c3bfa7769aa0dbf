"""``tamna keys``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from tamna.api.keys import create_api_key
from tamna.cli.common import DbOption, fail, open_migrated, settings_with
from tamna.core.errors import TamnaError
from tamna.core.timeutil import utcnow
from tamna.domain.access import Role

app = typer.Typer(help="API keys.", no_args_is_help=True)


@app.command()
def create(
    role: Annotated[Role, typer.Option(help="viewer, operator or admin")] = Role.VIEWER,
    name: Annotated[str, typer.Option(help="who or what uses the key")] = "cli",
    db: DbOption = None,
) -> None:
    """Make a key and print it once (only its hash is stored)."""
    store = open_migrated(settings_with(db=db))
    try:
        key, record = create_api_key(store, role, name)
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    typer.echo(key)
    typer.echo(f"id {record.id}, role {record.role.value}; store it now: it is not shown again", err=True)


@app.command("list")
def list_keys(db: DbOption = None) -> None:
    """List keys (ids, roles, names; never secrets)."""
    store = open_migrated(settings_with(db=db))
    for record in store.api_keys():
        state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
        typer.echo(f"{record.id}\t{record.role.value}\t{state}\t{record.name}")
    store.close()


@app.command()
def revoke(key_id: str, db: DbOption = None) -> None:
    """Revoke a key by id."""
    store = open_migrated(settings_with(db=db))
    try:
        store.revoke_api_key(key_id, utcnow())
    except TamnaError as err:
        fail(str(err))
    finally:
        store.close()
    typer.echo(f"revoked {key_id}")
