"""``tamna serve``: the production entry point."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tamna.cli.common import DbOption, configure_logging, fail, settings_with
from tamna.cli.forecast_model import ForecastModelOption, announce_forecast_model
from tamna.core.settings import redact_url
from tamna.ingest.mqtt import PER_PROCESS_ENV

MqttOption = Annotated[str | None, typer.Option("--mqtt", help="broker to subscribe to, mqtt://host:port")]


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (TAMNA_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (TAMNA_PORT)")] = None,
    db: DbOption = None,
    mqtt: MqttOption = None,
    workers: Annotated[int, typer.Option(help="worker processes (PostgreSQL only)")] = 1,
    forecast_model: ForecastModelOption = None,
) -> None:
    """Serve the API (and the MQTT subscriber when a broker is configured)."""
    import uvicorn

    from tamna.api import serving
    from tamna.api.app import create_app

    configure_logging()
    settings = settings_with(host=host, port=port, db=db, mqtt=mqtt, forecast_model=forecast_model)
    announce_forecast_model(settings.forecast_model)
    if workers > 1:
        if not settings.database_url.startswith("postgres"):
            fail("several workers need PostgreSQL (TAMNA_DB=postgresql://…); DuckDB allows one writer process")
        typer.echo(
            f"serving {workers} workers on http://{settings.host}:{settings.port} ({redact_url(settings.database_url)})"
        )
        os.environ[PER_PROCESS_ENV] = "1"  # each worker process subscribes under its own MQTT client id
        # workers are fresh processes that build their settings from the environment: hand the flags on
        for name, value in (("DB", db), ("MQTT", mqtt)):
            if value is not None:
                os.environ[f"TAMNA_{name}"] = value
        if forecast_model is not None:
            os.environ["TAMNA_FORECAST_MODEL"] = str(forecast_model.resolve())
        uvicorn.run(
            "tamna.api.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            # workers are separate processes: their event streams are cut after the grace period
            timeout_graceful_shutdown=serving.SHUTDOWN_GRACE_S,
        )
        return
    app = create_app(settings)
    typer.echo(f"Tamna on http://{settings.host}:{settings.port} (store {redact_url(settings.database_url)})")
    serving.run(app, host=settings.host, port=settings.port, log_level="info")
