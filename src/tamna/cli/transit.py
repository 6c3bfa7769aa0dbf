"""``tamna transit``: GTFS import and validation, GTFS-Realtime ingest, the live listener, evaluation, KPIs."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from tamna.cli.common import DbOption, configure_logging, fail, open_migrated, settings_with
from tamna.core.errors import TamnaError
from tamna.core.timeutil import parse_instant
from tamna.transit.errors import FeedRefusedError, FeedUnreadableError, RealtimeUnreadableError

app = typer.Typer(help="Public transport: GTFS feeds, live vehicles, predictions, KPIs.", no_args_is_help=True)

FeedArg = Annotated[Path, typer.Argument(help="a GTFS feed: a .zip archive or a folder of .txt files")]
JsonOption = Annotated[bool, typer.Option("--json", help="print the report as JSON")]


@app.command("import")
def import_gtfs(
    feed: FeedArg,
    db: DbOption = None,
    feed_id: Annotated[str | None, typer.Option("--feed-id", help="default: the file name")] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a GTFS feed and load it. Exit 0 when loaded (warnings allowed), 1 when refused for errors,
    2 when the input is not a readable feed."""
    from tamna.transit.gtfs.importer import import_feed

    store = open_migrated(settings_with(db=db))
    try:
        loaded = import_feed(store, feed, feed_id=feed_id)
    except FeedRefusedError as err:
        _print_report(err.report.render() if not as_json else json.dumps(err.report.to_dict(), ensure_ascii=False))
        fail(str(err), code=1)
        return
    except (FeedUnreadableError, ValueError) as err:
        fail(str(err))
        return
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    _print_report(loaded.report.render() if not as_json else json.dumps(loaded.report.to_dict(), ensure_ascii=False))
    counts = ", ".join(f"{v} {k}" for k, v in loaded.summary.counts.items() if v)
    typer.echo(f"loaded feed {loaded.summary.feed_id!r}: {counts}")


@app.command()
def validate(feed: FeedArg, as_json: JsonOption = False) -> None:
    """Validate a GTFS feed without loading it (exit 1 when it has errors, 2 when unreadable)."""
    from tamna.transit.gtfs.importer import load_feed

    try:
        loaded = load_feed(feed)
    except (FeedUnreadableError, ValueError) as err:
        fail(str(err))
        return
    _print_report(loaded.report.render() if not as_json else json.dumps(loaded.report.to_dict(), ensure_ascii=False))
    if not loaded.report.ok:
        raise typer.Exit(1)


def _print_report(text: str) -> None:
    typer.echo(text)


@app.command()
def feeds(db: DbOption = None) -> None:
    """List the imported feeds (the first is the active one)."""
    store = open_migrated(settings_with(db=db))
    try:
        for feed in store.gtfs_feeds():
            typer.echo(
                f"{feed.feed_id}\t{feed.source}\timported {feed.imported_at:%Y-%m-%d %H:%M}\t"
                f"{feed.counts.get('routes', 0)} routes, {feed.counts.get('trips', 0)} trips\t"
                f"{feed.errors} errors, {feed.warnings} warnings"
            )
    finally:
        store.close()


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="a GTFS-Realtime .pb file, or an http(s) URL")],
    db: DbOption = None,
    replay: Annotated[
        bool, typer.Option("--replay", help="judge the fixes' age by the message's own time (recorded files)")
    ] = False,
    poll_s: Annotated[float, typer.Option("--poll-s", help="poll the URL every N seconds (0: once)")] = 0.0,
) -> None:
    """Ingest GTFS-Realtime VehiclePositions and/or TripUpdates into the store (exit 1 when some were refused,
    2 when the message is unreadable)."""
    from tamna.transit.live import TransitIngest
    from tamna.transit.realtime import fetch
    from tamna.transit.runtime import RealtimePoller

    store = open_migrated(settings_with(db=db))
    try:
        ingest_ = TransitIngest(store)
        if poll_s > 0:
            configure_logging()
            poller = RealtimePoller(ingest_, source, interval_s=poll_s)
            _until_stopped(poller.start, poller.stop)
            return
        data = fetch(source) if source.startswith(("http://", "https://")) else Path(source).read_bytes()
        result = ingest_.ingest_realtime(data, source=f"file:{Path(source).name}", replay=replay)
    except (RealtimeUnreadableError, OSError) as err:
        fail(str(err))
        return
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    typer.echo(
        f"{source}: {result.received} entities, {result.matched} fixes matched, {result.unmatched} unmatched, "
        f"{result.trip_updates} trip updates, {result.rejected} refused, {result.stop_events} stop events"
    )
    for reason, count in result.unmatched_reasons.most_common(5):
        typer.echo(f"  unmatched × {count}: {reason}")
    for item in result.rejections[:10]:
        typer.echo(f"  refused: {item.reason}", err=True)
    if result.rejected:
        raise typer.Exit(1)


@app.command()
def listen(
    db: DbOption = None,
    mqtt: Annotated[str | None, typer.Option(help="mqtt://host:port (default: TAMNA_MQTT)")] = None,
    poll: Annotated[list[str] | None, typer.Option(help="a GTFS-Realtime URL to poll (repeatable)")] = None,
    poll_s: Annotated[float, typer.Option("--poll-s")] = 15.0,
) -> None:
    """Run the live inputs until stopped: vehicle fixes over MQTT and polled GTFS-Realtime URLs."""
    from tamna.core.events import EventBus
    from tamna.transit.live import TransitIngest
    from tamna.transit.runtime import TransitRuntime

    settings = settings_with(db=db, mqtt=mqtt)
    if not settings.mqtt and not poll:
        fail("nothing to listen to: give --mqtt (or TAMNA_MQTT) and/or --poll URL")
    configure_logging()
    store = open_migrated(settings)
    bus = EventBus()
    runtime = TransitRuntime(
        TransitIngest(store, bus),
        bus,
        city=settings.city,
        mqtt_url=settings.mqtt,
        poll_urls=poll or (),
        poll_interval_s=poll_s,
    )
    try:
        _until_stopped(lambda: runtime.start(wait_s=5.0), runtime.stop)
    finally:
        store.close()


def _until_stopped(start: Callable[[], None], stop: Callable[[], None]) -> None:
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    start()
    done.wait()
    stop()


@app.command()
def evaluate(
    gtfs: Annotated[Path, typer.Option(help="the GTFS feed the history ran on (zip or folder)")],
    history: Annotated[Path, typer.Option(help="a folder of stop-event or position-log CSVs (docs/transit.md)")],
    train_fraction: Annotated[float, typer.Option(min=0.1, max=0.9)] = 0.7,
    as_json: JsonOption = False,
) -> None:
    """MAE of arrival predictions by horizon (0–5, 5–10, 10–20, 20–30 min): the schedule-plus-delay baseline
    against the model learned from the earlier days of the history, tested on the later days."""
    from tamna.transit.gtfs.importer import load_feed
    from tamna.transit.predict.evaluate import evaluate as run
    from tamna.transit.predict.history import load_history
    from tamna.transit.schedule import Schedule

    try:
        loaded = load_feed(gtfs)
        if not loaded.report.ok:
            typer.echo(loaded.report.render(), err=True)
            fail(f"{gtfs.name} has errors; fix the feed first", code=1)
        schedule = Schedule(loaded.summary, loaded.tables)
        events = load_history(history, schedule)
        result = run(schedule, events, train_fraction=train_fraction)
    except (TamnaError, ValueError) as err:
        fail(str(err))
        return
    typer.echo(json.dumps(result.to_dict(), indent=2) if as_json else result.render())


@app.command("export-history")
def export_history(
    out: Annotated[Path, typer.Argument(help="the CSV file to write")],
    db: DbOption = None,
    days: Annotated[int, typer.Option(min=1, max=366)] = 28,
    until: Annotated[str | None, typer.Option(help="ISO 8601 end of the period (default: now)")] = None,
) -> None:
    """Write the stored stop events of the active feed as a history CSV (the format `evaluate` reads)."""
    from tamna.core.timeutil import utcnow
    from tamna.transit.live import ScheduleSource
    from tamna.transit.predict.history import write_history

    store = open_migrated(settings_with(db=db))
    try:
        end = parse_instant(until, field="until") if until else utcnow()
        feed_id = ScheduleSource(store).get().feed_id
        events = store.stop_events(feed_id, start=end - timedelta(days=days), end=end)
        written = write_history(events, out)
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    typer.echo(f"{written} stop events of feed {feed_id!r} written to {out}")


@app.command()
def kpis(
    db: DbOption = None,
    start: Annotated[str | None, typer.Option(help="ISO 8601 (default: 24 h before end)")] = None,
    end: Annotated[str | None, typer.Option(help="ISO 8601 (default: now)")] = None,
) -> None:
    """On-time performance, headway regularity and excess wait time per route, from stored stop events."""
    from tamna.core.timeutil import utcnow
    from tamna.transit.service import TransitService

    store = open_migrated(settings_with(db=db))
    try:
        stop: datetime = parse_instant(end, field="end") if end else utcnow()
        begin = parse_instant(start, field="start") if start else stop - timedelta(days=1)
        result = TransitService(store).kpis(begin, stop)
    except TamnaError as err:
        fail(str(err))
        return
    finally:
        store.close()
    typer.echo(f"{result.events} stop events")
    for on_time in (k for k in result.on_time if k.hour is None):
        typer.echo(
            f"route {on_time.route_id}: on time {on_time.on_time or 0:.0%} of {on_time.events} stop events, "
            f"mean delay {on_time.mean_delay_s or 0:.0f} s"
        )
    for regularity in (h for h in result.headways if h.hour is None):
        typer.echo(
            f"route {regularity.route_id}: headway CV {regularity.cv or 0:.2f}, "
            f"excess wait {regularity.ewt_s or 0:.0f} s"
        )
