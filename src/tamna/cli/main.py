"""The ``tamna`` command: assembles the command groups."""

from __future__ import annotations

import typer

from tamna.cli import db, forecast, imports, keys, signals, transit, twin
from tamna.cli.demo import demo
from tamna.cli.serve import serve

app = typer.Typer(help="Tamna: a city's smart transportation and public-safety platform.", no_args_is_help=True)
app.command()(serve)
app.command()(demo)
app.add_typer(imports.app, name="import")
app.add_typer(keys.app, name="keys")
app.add_typer(db.app, name="db")
app.add_typer(twin.app, name="twin")
app.add_typer(transit.app, name="transit")
app.add_typer(forecast.app, name="forecast")
app.add_typer(signals.app, name="signals")
