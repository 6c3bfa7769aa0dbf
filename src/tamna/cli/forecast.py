"""``tamna forecast``: evaluate and train forecasting models on a dataset folder or on the store's history."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tamna.cli.common import DbOption, fail, open_migrated, settings_with
from tamna.core.errors import TamnaError

if TYPE_CHECKING:
    from tamna.core.settings import Settings
    from tamna.traffic.datasets.series import SensorSeries

app = typer.Typer(help="Forecast traffic: evaluate models under the published protocol, train artifacts.")

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="dataset folder with meta.json (default: the store's recent history)"),
]
ModelOption = Annotated[str, typer.Option("--model", help="model name, or 'best' for the recommended one")]
ParamOption = Annotated[
    list[str] | None, typer.Option("--param", help="model parameter KEY=VALUE (repeatable), e.g. epochs=5")
]
DaysOption = Annotated[float, typer.Option("--days", help="days of store history to use when --data is not given")]
SeedOption = Annotated[int, typer.Option("--seed", help="random seed")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def _params(pairs: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--param {pair!r} is not KEY=VALUE")
        params[key.strip()] = value.strip()
    return params


def _series(data: Path | None, settings: Settings, days: float) -> SensorSeries:
    from tamna.core.timeutil import utcnow
    from tamna.traffic.datasets import from_store, load_folder

    if data is not None:
        return load_folder(data)
    store = open_migrated(settings)
    try:
        end = utcnow()
        return from_store(store, start=end - timedelta(days=days), end=end, timezone=settings.timezone)
    finally:
        store.close()


@app.command("models")
def list_models() -> None:
    """List the registered models."""
    from tamna.traffic.forecasting.registry import RECOMMENDED, forecasters

    for name, kind in forecasters():
        mark = "  (best)" if name == RECOMMENDED else ""
        typer.echo(f"{name:20s} {kind.description}{mark}")


@app.command()
def evaluate(
    model: ModelOption,
    data: DataOption = None,
    param: ParamOption = None,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    days: DaysOption = 7.0,
    db: DbOption = None,
) -> None:
    """Fit on the first 80 % of rows, score on the rest at 15/30/45/60 min, under both conventions."""
    from tamna.traffic.forecasting.evaluate import Protocol
    from tamna.traffic.forecasting.evaluate import evaluate as run

    try:
        series = _series(data, settings_with(db=db), days)
        result, _ = run(series, model, _params(param), Protocol(seed=seed))
    except TamnaError as err:
        fail(str(err))
        return
    if as_json:
        typer.echo(result.to_json())
        return
    typer.echo(
        f"{result.model} on {result.dataset}: fitted in {result.fit_seconds:.1f} s, "
        f"peak memory {result.peak_rss_mb:.0f} MB, test from {result.split['test_starts']}"
    )
    typer.echo(result.table())
    typer.echo("tgcn-pooled: T-GCN's convention (15 min pools steps 5, 10, 15); single-step: DCRNN's (step h only)")


@app.command()
def train(
    model: ModelOption,
    data: DataOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="parent folder (default: data_dir/models)")] = None,
    param: ParamOption = None,
    seed: SeedOption = 0,
    all_rows: Annotated[
        bool, typer.Option("--all-rows", help="fit on every row (for deployment); metrics are then validation only")
    ] = False,
    as_json: JsonOption = False,
    days: DaysOption = 7.0,
    db: DbOption = None,
) -> None:
    """Train a model and write a versioned artifact (weights, config, scaler, metrics, data fingerprint)."""
    from tamna.traffic.forecasting.artifacts import write_artifact
    from tamna.traffic.forecasting.evaluate import Protocol
    from tamna.traffic.forecasting.evaluate import evaluate as run
    from tamna.traffic.forecasting.registry import create

    settings = settings_with(db=db)
    protocol = Protocol(seed=seed)
    try:
        series = _series(data, settings, days)
        if all_rows:
            fitted = create(model, _params(param))
            report = fitted.fit(series, protocol.fit_spec(series.interval_s))
            metrics: dict[str, Any] = {"fitted_on": "all rows", "fit": report}
            rows = series.steps
            table = json.dumps(report.get("validation"), indent=2)
        else:
            result, fitted = run(series, model, _params(param), protocol)
            metrics = result.to_dict()
            rows = int(result.split["train_rows"])
            table = result.table()
        folder = write_artifact(fitted, series, out or settings.data_dir / "models", trained_rows=rows, metrics=metrics)
    except TamnaError as err:
        fail(str(err))
        return
    if as_json:
        typer.echo(json.dumps({"artifact": str(folder), "model": fitted.name, "metrics": metrics}, indent=2))
        return
    typer.echo(f"wrote {folder}")
    typer.echo(table)
