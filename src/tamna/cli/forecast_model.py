"""``--forecast-model``, shared by ``tamna serve`` and ``tamna demo``: which artifact live forecasts use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ForecastModelOption = Annotated[
    Path | None,
    typer.Option(
        "--forecast-model",
        help="model artifact folder (written by `tamna forecast train`) for live forecasts "
        "(TAMNA_FORECAST_MODEL; default: the newest under the data directory's models/, else the last-value baseline)",
    ),
]


def announce_forecast_model(path: Path | None) -> None:
    """Say which model live forecasts will use. An unusable artifact does not stop the platform: forecasts fall
    back to the last-value baseline and every answer says why, so this only warns."""
    from tamna.core.errors import TamnaError
    from tamna.traffic.forecasting.artifacts import load_artifact

    if path is None:
        return
    try:
        artifact = load_artifact(path)
    except TamnaError as err:
        typer.secho(
            f"warning: forecast model unusable ({err}); forecasts fall back to the last-value baseline",
            fg=typer.colors.YELLOW,
            err=True,
        )
        return
    typer.echo(f"forecasts: {artifact.model.name}, trained {artifact.created:%Y-%m-%d %H:%M} UTC ({path})")
