"""``tamna twin``: build SUMO cities and run a scenario headless; and the digital-twin flavour of ``tamna demo``."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tamna.cli.common import DbOption, configure_logging, fail, open_migrated, settings_with
from tamna.core.errors import TamnaError
from tamna.core.settings import Settings, redact_url

if TYPE_CHECKING:
    from tamna.api.state import AppState
    from tamna.core.events import EventBus
    from tamna.store.base import Store
    from tamna.twin.clock import SimClock
    from tamna.twin.runtime import TwinRuntime
    from tamna.twin.scenario import Scenario
    from tamna.twin.setup import TwinSetup

app = typer.Typer(help="The digital twin: build SUMO cities, run scenarios.", no_args_is_help=True)

SpeedOption = Annotated[
    str, typer.Option(help='simulated seconds per wall second, e.g. 10; 0 or "max": as fast as possible')
]
ScenarioOption = Annotated[Path, typer.Option("--scenario", help="the scenario's .sumocfg")]
ControllerOption = Annotated[
    str | None,
    typer.Option(
        help="run every signal under this controller (tamna signals controllers; 'best'); "
        "default: the network's own programs, no Tamna control"
    ),
]
#: The Jeju builder's folder in the shared data.
JEJU_DATA = "jeju"


def parse_speed(text: str) -> float:
    """``"10"`` → 10.0; ``"max"`` and ``"0"`` → 0.0 (as fast as possible)."""
    if text.strip().lower() == "max":
        return 0.0
    try:
        speed = float(text)
    except ValueError:
        fail(f"--speed {text!r} is not a number or 'max'")
        raise
    if not math.isfinite(speed) or speed < 0:
        fail(f"--speed {text!r} must be 0, 'max' or a positive number")
    return speed


def check_controller(name: str | None) -> str | None:
    """The controller name, checked before SUMO starts: an unknown one exits 2 listing the known names."""
    from tamna.signals.evaluation import NETWORK_PROGRAM
    from tamna.signals.registry import resolve

    if name is None or name == NETWORK_PROGRAM:
        return None
    try:
        resolve(name)
    except TamnaError as err:
        fail(f"--controller: {err}, {NETWORK_PROGRAM}")
    return name


def load_or_exit(path: Path) -> Scenario:
    """The checked scenario, or a one-line error and exit code 2."""
    from tamna.twin.scenario import load_scenario

    try:
        return load_scenario(path)
    except TamnaError as err:
        fail(str(err))
        raise


@app.command()
def build(
    generated: Annotated[bool, typer.Option("--generated", help="the generated grid city")] = False,
    city: Annotated[str | None, typer.Option("--city", help="a real city: jeju")] = None,
    osm: Annotated[Path | None, typer.Option("--osm", help="an OpenStreetMap file (.osm, .osm.pbf)")] = None,
    seed: Annotated[int, typer.Option(help="random seed of the demand")] = 1,
    data: Annotated[Path | None, typer.Option(help="shared data folder (for --city)")] = None,
    whole_island: Annotated[bool, typer.Option(help="Jeju: the whole island, not Jeju-si centre")] = False,
    out: Annotated[Path | None, typer.Option(help="output folder (default: <data dir>/twin/<name>)")] = None,
) -> None:
    """Build a scenario offline with SUMO's tools and print its .sumocfg."""
    from tamna.cli.demo import find_data

    if sum((generated, city is not None, osm is not None)) != 1:
        fail("choose exactly one of --generated, --city jeju, --osm FILE")
    settings = settings_with()
    twin_dir = settings.data_dir / "twin"
    try:
        if generated:
            from tamna.twin.build.generated import build_generated_city

            config = build_generated_city(out or twin_dir / f"generated-{seed}", seed=seed)
        elif city is not None:
            if city.lower() != "jeju":
                fail(f"--city {city!r}: only jeju is known")
            folder = find_data(data)
            if folder is None:
                fail("the shared data folder was not found (give --data or set TAMNA_DATA)")
                return
            build_jeju = _builder("jeju", "build_jeju")
            if build_jeju is None:
                fail("the Jeju builder (tamna.twin.build.jeju) is not installed in this version")
                return
            name = "jeju-island" if whole_island else "jeju"
            config = build_jeju(folder, out or twin_dir / name, whole_island=whole_island, seed=seed)
        else:
            assert osm is not None
            if not osm.is_file():
                fail(f"--osm {osm}: no such file")
            build_from_osm = _builder("osm", "build_from_osm")
            if build_from_osm is None:
                fail("the OpenStreetMap builder (tamna.twin.build.osm) is not installed in this version")
                return
            stem = osm.name.split(".")[0]
            config = build_from_osm(osm, out or twin_dir / f"osm-{stem}", seed=seed)
    except TamnaError as err:
        fail(str(err))
        return
    typer.echo(str(config))


@app.command()
def run(
    scenario: ScenarioOption,
    speed: SpeedOption = "max",
    until: Annotated[
        float | None, typer.Option(help="stop at this simulated time, in the scenario's seconds (default: its end)")
    ] = None,
    interval: Annotated[float, typer.Option(help="aggregation interval, simulated seconds")] = 60.0,
    ingest: Annotated[bool, typer.Option(help="store the readings (through the ingest pipeline)")] = True,
    all_vehicles: Annotated[bool, typer.Option(help="track every vehicle, not only buses")] = False,
    controller: ControllerOption = None,
    transit: Annotated[
        bool, typer.Option(help="import the twin's bus timetable and match its buses (stop events for history)")
    ] = False,
    service_date: Annotated[
        datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="the simulated day (default: today)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Run a scenario headless and print a summary (speed, vehicles, readings stored)."""
    from tamna.core.events import EventBus
    from tamna.twin.clock import SimClock
    from tamna.twin.runtime import TwinRuntime
    from tamna.twin.status import TwinOptions

    configure_logging()
    rate = parse_speed(speed)
    controller = check_controller(controller)
    loaded = load_or_exit(scenario)
    if until is not None and until <= loaded.begin_s:
        fail(f"--until {until:g} is not after the scenario's begin ({loaded.begin_s:g} s); give a simulated time")
    if interval <= 0:
        fail("--interval must be positive")
    settings = settings_with(db=db)
    clock = SimClock(
        loaded.begin_s, timezone=settings.timezone, base_date=service_date.date() if service_date else None
    )
    store = sink = pipeline = None
    bus = EventBus()
    buses: Callable[[], str] | None = None
    try:
        setup = _prepare(settings, loaded, interval)
        if ingest:
            from tamna.ingest.pipeline import IngestPipeline
            from tamna.twin.outbox import pipeline_sink
            from tamna.twin.setup import register_twin

            store = open_migrated(settings)
            pipeline = IngestPipeline(store, future_tolerance_s=settings.future_tolerance_s, clock=clock.now)
            bus = pipeline.bus
            registered = register_twin(store, setup, bus=pipeline.bus)
            pipeline.reload_sensors()
            sink = pipeline_sink(pipeline)
            typer.echo(
                f"store {redact_url(settings.database_url)}: {registered.links} links, {registered.sensors} sensors"
            )
        if transit:
            store = store or open_migrated(settings)
            buses = _match_buses(store, bus, setup, clock, timezone=settings.timezone)
        options = TwinOptions(
            speed=rate, interval_s=interval, all_vehicles=all_vehicles, until_s=until, controller=controller
        )
        runtime = TwinRuntime(setup, clock, bus=bus, sink=sink, store=store, options=options)
        summary = runtime.run()
        if buses is not None:
            typer.echo(buses())
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        if pipeline is not None:
            pipeline.flush_rollups()
        if store is not None:
            store.close()
    for line in summary.lines():
        typer.echo(line)
    if summary.error:
        raise typer.Exit(1)


def _match_buses(store: Store, bus: EventBus, setup: TwinSetup, clock: SimClock, *, timezone: str) -> Callable[[], str]:
    """Import the twin's timetable and match its buses' positions on ``bus`` through the transit ingest; returns
    what tells, after the run, how many fixes matched and how many stop events were stored."""
    from tamna.transit.live import TransitIngest

    imported = import_bus_timetable(store, setup, timezone=timezone)
    if imported is None:
        fail(f"scenario {setup.scenario.name} runs no scheduled buses: --transit has nothing to match")
    typer.echo(str(imported))
    ingest = TransitIngest(store, bus, clock=clock.now, feed_id=f"twin-{setup.scenario.name}")
    ingest.attach(bus)

    def tally() -> str:
        feed_id = f"twin-{setup.scenario.name}"
        kinds = store.count_vehicle_states(feed_id)
        fixes = sum(kinds.values())
        matched = fixes - kinds.get("none", 0)
        day = clock.at(setup.scenario.begin_s)
        events = store.stop_events(feed_id, start=day - timedelta(hours=1), end=day + timedelta(days=1))
        share = f"{matched / fixes:.1%}" if fixes else "–"
        return f"bus fixes: {fixes:,}, matched {matched:,} ({share}); stop events stored: {len(events):,}"

    return tally


def _prepare(settings: Settings, scenario: Scenario, interval: float) -> TwinSetup:
    from tamna.twin.setup import cache_dir_for, prepare_twin

    return prepare_twin(scenario, cache_dir_for(settings.data_dir, scenario), interval_s=interval)


def _builder(module: str, name: str) -> Callable[..., Path] | None:
    """A city builder of ``tamna.twin.build``, when this version has it (the Jeju and OpenStreetMap builders are
    developed alongside; imported by module name so that the twin works before they land)."""
    try:
        found = importlib.import_module(f"tamna.twin.build.{module}")
    except ImportError:
        return None
    builder: Callable[..., Path] = getattr(found, name)
    return builder


# ---- tamna demo on a twin ------------------------------------------------------------------------------------
def choose_scenario(settings: Settings, data: Path | None) -> Path | None:
    """The twin ``tamna demo`` runs without --scenario: Jeju when its builder and the shared data are here,
    otherwise the generated city. None (with the reason printed) when no twin can be built."""
    from tamna.cli.demo import find_data

    folder = find_data(data)
    build_jeju = _builder("jeju", "build_jeju")
    try:
        if build_jeju is not None and folder is not None and (folder / JEJU_DATA).is_dir():
            typer.echo("digital twin: Jeju-si centre, built from the national node-link (first run builds it)")
            return build_jeju(folder, settings.data_dir / "twin" / "jeju", whole_island=False, seed=1)
        from tamna.twin.build.generated import build_generated_city

        why = "the Jeju builder is not installed" if build_jeju is None else "the shared Jeju data was not found"
        typer.echo(f"digital twin: the generated city (48 signalised junctions, 4 bus lines; {why})")
        return build_generated_city(settings.data_dir / "twin" / "generated-1", seed=1)
    except TamnaError as err:
        typer.echo(f"no digital twin could be built ({err}); falling back to the data replay", err=True)
        return None


def twin_demo(
    settings: Settings, config: Path, *, broker: str | None, speed: float, controller: str | None = None
) -> None:
    """Serve the platform with the twin of ``config`` as its city and its clock."""
    from tamna.api.app import build_state
    from tamna.twin.clock import SimClock
    from tamna.twin.outbox import pipeline_sink
    from tamna.twin.runtime import TwinRuntime
    from tamna.twin.setup import register_twin
    from tamna.twin.status import TwinOptions

    scenario = load_or_exit(config)
    clock = SimClock(scenario.begin_s, timezone=settings.timezone)
    try:
        setup = _prepare(settings, scenario, 60.0)
        state = build_state(settings, clock=clock.now)
        registered = register_twin(state.store, setup, bus=state.bus)
    except TamnaError as err:
        fail(str(err))
        return
    state.pipeline.reload_sensors()
    typer.echo(
        f"scenario {scenario.name}: {registered.links} links, {setup.net.signals} traffic lights, "
        f"{registered.sensors} {'generated ' if setup.generated else ''}detectors as sensors"
    )
    try:
        imported = import_bus_timetable(state.store, setup, timezone=settings.timezone)
    except TamnaError as err:
        imported = f"the twin's bus timetable was not imported: {err}"
    typer.echo(imported or "the scenario runs no scheduled buses: no bus timetable imported")
    sink, close_sink = pipeline_sink(state.pipeline), None
    if broker:
        from tamna.twin.outbox import mqtt_sink

        try:
            sink, close_sink = mqtt_sink(broker, settings.city)
            typer.echo(f"readings travel through MQTT: {broker}, tamna/{settings.city}/sensors/+/observations")
        except TamnaError as err:
            typer.echo(f"MQTT unavailable ({err}); readings go straight to the pipeline", err=True)
    options = TwinOptions(speed=speed, controller=controller)
    runtime = TwinRuntime(setup, clock, bus=state.bus, sink=sink, store=state.store, options=options)
    try:
        _serve(state, runtime)
    finally:
        if close_sink is not None:
            close_sink()


def import_bus_timetable(store: Store, setup: TwinSetup, *, timezone: str) -> str | None:
    """Make the twin's bus lines the active GTFS feed (the scenario's own ``gtfs/``, else one exported from its
    SUMO files), so that its buses are matched, predicted and shown on the boards and GTFS-Realtime feeds as a
    city's are. Returns a line saying what was imported, None when the scenario runs no scheduled buses; a
    timetable the validator refuses raises its TamnaError."""
    from tamna.transit.gtfs.importer import import_feed
    from tamna.twin.build.gtfs import find_or_export

    folder = find_or_export(setup.scenario.config, setup.cache_dir, timezone=timezone)
    if folder is None:
        return None
    loaded = import_feed(store, folder, feed_id=f"twin-{setup.scenario.name}")
    counts = loaded.summary.counts
    return (
        f"bus timetable {loaded.summary.feed_id}: {counts.get('routes', 0)} lines, {counts.get('stops', 0)} stops, "
        f"{counts.get('trips', 0)} trips (GTFS {folder})"
    )


def _serve(state: AppState, runtime: TwinRuntime) -> None:
    from tamna.api import serving
    from tamna.api.app import create_app
    from tamna.api.keys import create_api_key
    from tamna.api.routes.twin import attach
    from tamna.domain.access import Role

    settings = state.settings
    key, _ = create_api_key(state.store, Role.OPERATOR, "demo")
    app = create_app(settings, app_state=state, background=False)
    attach(app, runtime)
    # the MQTT subscriber must hold its subscription before the twin publishes its first reading
    state.start_background()
    if state.mqtt is not None:
        state.mqtt.connected.wait(5.0)
    try:
        runtime.start()
    except TamnaError as err:
        state.stop_background()
        fail(str(err))
        return
    address = f"http://{settings.host}:{settings.port}"
    speed = runtime.options.speed
    pace = "as fast as possible" if speed == 0 else f"{speed:g}× real time"
    typer.echo(
        f"simulation from {runtime.clock.now():%Y-%m-%d %H:%M} UTC, {pace}; store {redact_url(settings.database_url)}"
    )
    typer.echo(f"operator key for this demo (shown once): {key}")
    typer.echo(f"Dashboard: {address}/   API docs: {address}/docs   Twin: {address}/api/v1/twin")
    try:
        serving.run(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        summary = runtime.stop()
        state.stop_background()
        typer.echo(summary.lines()[1])
