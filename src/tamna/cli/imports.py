"""``tamna import``: observations, networks and sensors from files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tamna.cli.common import DbOption, fail, open_migrated, settings_with
from tamna.core.errors import TamnaError
from tamna.domain.rejections import Rejection
from tamna.ingest.files import import_observations
from tamna.ingest.network import ImportOutcome, import_network, import_sensors
from tamna.ingest.pipeline import IngestPipeline

app = typer.Typer(help="Import files into the store.", no_args_is_help=True)

AllowRejects = Annotated[bool, typer.Option("--allow-rejects", help="exit 0 even when some records were refused")]
PathArg = Annotated[Path, typer.Argument(help="file (or dataset folder)")]


def _report_rejections(rejections: list[Rejection], total: int, unit: str = "row") -> None:
    for item in rejections[:10]:
        where = f"{unit} {item.position}: " if item.position is not None else ""
        typer.echo(f"  refused {where}{item.reason}", err=True)
    if total > 10:
        typer.echo(f"  … and {total - 10} more (see the rejections table or GET /api/v1/rejections)", err=True)


def _finish(rejected: int, allow_rejects: bool) -> None:
    if rejected and not allow_rejects:
        raise typer.Exit(1)


@app.command()
def observations(path: PathArg, db: DbOption = None, allow_rejects: AllowRejects = False) -> None:
    """Import a CSV or Parquet file of observations (columns sensor_id, time, speed_kmh, flow_vph,
    occupancy_pct, quality)."""
    store = open_migrated(settings_with(db=db))
    try:
        result = import_observations(IngestPipeline(store), path)
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    typer.echo(f"{path.name}: {result.received} records, {result.stored} stored, {result.rejected} refused")
    # CSV positions are line numbers (header = line 1); Parquet positions are row numbers
    _report_rejections(result.rejections, result.rejected, "line" if path.suffix.lower() == ".csv" else "row")
    _finish(result.rejected, allow_rejects)


def _print_outcome(path: Path, outcome: ImportOutcome) -> None:
    what = f"{outcome.sensors} sensors" if outcome.sensors else f"{outcome.nodes} nodes, {outcome.links} links"
    typer.echo(f"{path.name} ({outcome.source}): {what} stored, {outcome.rejected} refused")
    _report_rejections(outcome.rejections, outcome.rejected)


@app.command()
def network(
    path: PathArg,
    db: DbOption = None,
    allow_rejects: AllowRejects = False,
    source: Annotated[str | None, typer.Option(help="adapter name (default: guessed from the file)")] = None,
    origin: Annotated[str | None, typer.Option(help="LON,LAT to place an unprojected SUMO network")] = None,
) -> None:
    """Import a road network: GeoJSON, SUMO .net.xml, or a Jeju node-link folder."""
    place = None
    if origin:
        try:
            lon, lat = (float(v) for v in origin.split(","))
        except ValueError:
            fail(f"--origin {origin!r} is not LON,LAT")
            return
        place = (lon, lat)
    store = open_migrated(settings_with(db=db))
    try:
        outcome = import_network(store, path, source_name=source, origin=place)
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    _print_outcome(path, outcome)
    _finish(outcome.rejected, allow_rejects)


@app.command()
def sensors(
    path: PathArg,
    db: DbOption = None,
    allow_rejects: AllowRejects = False,
    source: Annotated[str | None, typer.Option(help="adapter name (default: guessed from the file)")] = None,
) -> None:
    """Register sensors from CSV, GeoJSON points, or a sensor dataset folder (meta.json)."""
    store = open_migrated(settings_with(db=db))
    try:
        outcome = import_sensors(store, path, source_name=source)
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    _print_outcome(path, outcome)
    _finish(outcome.rejected, allow_rejects)
