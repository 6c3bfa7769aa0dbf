"""``tamna db``: schema migrations."""

from __future__ import annotations

import typer

from tamna.cli.common import DbOption, open_migrated, settings_with
from tamna.core.settings import redact_url

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def migrate(db: DbOption = None) -> None:
    """Apply pending migrations and print the schema version."""
    settings = settings_with(db=db)
    store = open_migrated(settings)
    typer.echo(f"{redact_url(settings.database_url)}: schema version {store.schema_version()}")
    store.close()
