"""``tamna demo``: the platform on its embedded defaults with a real network and live data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tamna.cli.common import configure_logging, settings_with
from tamna.cli.forecast_model import ForecastModelOption, announce_forecast_model
from tamna.core.settings import redact_url

if TYPE_CHECKING:
    from tamna.api.state import AppState
    from tamna.ingest.replay import Replay

JEJU_NETWORK = Path("jeju") / "road-network"
REPLAY_DATASET = Path("traffic") / "los-loop"
DEFAULT_BROKER = "mqtt://127.0.0.1:1883"


def find_data(explicit: Path | None) -> Path | None:
    """The shared data folder: --data, then TAMNA_DATA, then ../shared/data beside the checkout."""
    candidates = [explicit] if explicit else []
    if os.environ.get("TAMNA_DATA"):
        candidates.append(Path(os.environ["TAMNA_DATA"]))
    candidates.append(Path.cwd().parent / "shared" / "data")
    for candidate in candidates:
        if candidate is not None and candidate.is_dir():
            return candidate.resolve()
    return None


def prepare_city(state: AppState, folder: Path, *, broker: str | None, backfill_hours: float) -> Replay:
    """Load the Jeju network and the replay's sensors, backfill history, and return the live replay."""
    from tamna.ingest.mqtt import MqttPublisher
    from tamna.ingest.network import import_network, import_sensors
    from tamna.ingest.replay import Replay, Sink, backfill
    from tamna.ingest.sources.sensor_dataset.adapter import load_dataset

    outcome = import_network(state.store, folder / JEJU_NETWORK)
    typer.echo(f"network: Jeju-si centre from the national node-link, {outcome.links} links, {outcome.nodes} nodes")
    sensors = import_sensors(state.store, folder / REPLAY_DATASET)
    state.pipeline.reload_sensors()
    dataset = load_dataset(folder / REPLAY_DATASET)
    typer.echo(
        f"live data: replay of {dataset.name} ({sensors.sensors} real loop detectors, one reading each "
        f"{dataset.interval}, same weekday and time of day, shifted to now)"
    )

    def local_sink(records: list[dict[str, object]]) -> None:
        state.pipeline.ingest_records(records, source="replay")

    sent = backfill(dataset, local_sink, hours=backfill_hours)
    state.pipeline.flush_rollups()
    typer.echo(f"backfilled {sent:,} readings ({backfill_hours:g} h)")
    sink: Sink = local_sink
    if broker:
        publisher = MqttPublisher(broker, state.settings.city)
        publisher.connect()

        def mqtt_sink(records: list[dict[str, object]]) -> None:
            publisher.publish(records)

        sink = mqtt_sink
        typer.echo(f"live readings travel through MQTT: {broker}, tamna/{state.settings.city}/sensors/+/observations")
    return Replay(dataset, sink)


def demo(
    data: Annotated[
        Path | None, typer.Option(help="shared data folder (default: TAMNA_DATA or ../shared/data)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None,
    mqtt: Annotated[str | None, typer.Option(help="broker for live data (default: 127.0.0.1:1883 if up)")] = None,
    backfill_hours: Annotated[float, typer.Option(help="hours of history replayed at start")] = 24.0,
    scenario: Annotated[
        Path | None, typer.Option(help="run on this SUMO twin (.sumocfg); default: Jeju or the generated city")
    ] = None,
    speed: Annotated[str, typer.Option(help='twin speed: simulated s per wall s, or "max"')] = "10",
    controller: Annotated[
        str | None, typer.Option(help="twin signals under this controller (default: the network's own programs)")
    ] = None,
    forecast_model: ForecastModelOption = None,
) -> None:
    """Start Tamna on a digital twin (a SUMO city feeding its sensors and buses); without one, on the Jeju road
    network with a live replay of real loop-detector data."""
    from tamna.api import serving
    from tamna.api.app import build_state, create_app
    from tamna.api.keys import create_api_key
    from tamna.cli.twin import check_controller, choose_scenario, parse_speed, twin_demo
    from tamna.domain.access import Role
    from tamna.ingest.mqtt import broker_reachable

    configure_logging()
    broker = mqtt or (DEFAULT_BROKER if broker_reachable(DEFAULT_BROKER) else None)
    settings = settings_with(port=port, mqtt=broker, forecast_model=forecast_model)
    announce_forecast_model(settings.forecast_model)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    rate = parse_speed(speed)
    controller = check_controller(controller)
    config = scenario or choose_scenario(settings, data)
    if config is not None:
        twin_demo(settings, config, broker=broker, speed=rate, controller=controller)
        return
    state = build_state(settings)
    folder = find_data(data)
    replay = None
    if folder is None:
        typer.echo("no shared data found (set TAMNA_DATA or --data): serving an empty city", err=True)
    else:
        replay = prepare_city(state, folder, broker=broker, backfill_hours=backfill_hours)
    key, _ = create_api_key(state.store, Role.OPERATOR, "demo")
    app = create_app(settings, app_state=state)
    if replay is not None:
        replay.start()
    address = f"http://{settings.host}:{settings.port}"
    typer.echo(f"store: {redact_url(settings.database_url)}")
    typer.echo(f"operator key for this demo (shown once): {key}")
    typer.echo(f"Dashboard: {address}/   API docs: {address}/docs")
    try:
        serving.run(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        if replay is not None:
            replay.stop()
        state.store.close()
