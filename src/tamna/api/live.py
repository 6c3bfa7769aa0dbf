"""The live feed behind the dashboard: events from the bus (published on any thread) reach the event loop,
are coalesced, turned into "links", "kpis", "vehicles", "twin" and "incidents" messages, and fanned out to the
stream's clients.

Bursts are merged (readings of many sensors stored within ``coalesce_s`` give one "links" message) and no more
than one round is sent per ``min_interval_s``, so a twin ticking ten times a second cannot flood a browser.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from tamna.api.sse import SseHub
from tamna.api.state import AppState
from tamna.core.events import Event, Handler
from tamna.domain.observations import LinkState
from tamna.traffic.live import LiveCity

log = logging.getLogger(__name__)

#: What a browser needs of a vehicle position to draw it.
VEHICLE_FIELDS = ("vehicle_id", "kind", "lon", "lat", "bearing_deg", "speed_kmh", "route_id")
#: Incidents waiting for the next round beyond this many are dropped (the oldest first).
MAX_PENDING_INCIDENTS = 100
#: How long stopping waits for the sending loop (a round in a worker thread cannot be interrupted).
STOP_WAIT_S = 10.0


class LiveFeed:
    """Bridges the synchronous bus to the SSE hub. Started and stopped on the server's event loop."""

    def __init__(
        self,
        app_state: AppState,
        hub: SseHub,
        *,
        coalesce_s: float = 0.05,
        min_interval_s: float = 0.2,
        kpi_interval_s: float = 15.0,
    ) -> None:
        self.city = LiveCity(app_state.store, app_state.clock)
        self.hub = hub
        self.bus = app_state.bus
        self.coalesce_s = coalesce_s
        self.min_interval_s = min_interval_s
        self.kpi_interval_s = kpi_interval_s
        self._sensors: set[str] = set()
        self._vehicles: dict[str, Any] | None = None
        self._tick: dict[str, Any] | None = None
        self._incidents: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._detach: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        #: set when the server is stopping: streams are ended and no new one is opened
        self.closing = False

    async def start(self) -> None:
        """Subscribe to the bus and start the sending loop."""
        loop = self._loop = asyncio.get_running_loop()

        def relay(note: Callable[[dict[str, Any]], None]) -> Handler:
            def handler(event: Event) -> None:
                # a closed loop means the server is stopping and nobody is listening
                with suppress(RuntimeError):
                    loop.call_soon_threadsafe(note, event.payload)

            return handler

        self._detach = [
            self.city.attach(self.bus),
            self.bus.subscribe("observations.stored", relay(self._note_readings)),
            self.bus.subscribe("vehicles.positions", relay(self._note_vehicles)),
            self.bus.subscribe("twin.tick", relay(self._note_tick)),
            self.bus.subscribe("incidents.created", relay(self._note_incident)),
            self.bus.subscribe("incidents.cleared", relay(self._note_incident)),
        ]
        self._task = asyncio.create_task(self._run(), name="tamna-live-feed")

    async def stop(self) -> None:
        """Unsubscribe, stop the loop and end every stream."""
        for detach in self._detach:
            detach()
        self._detach = []
        self._stopping = True  # the loop also ends on its own, should a cancellation be swallowed (see _run)
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            done, _ = await asyncio.wait({self._task}, timeout=STOP_WAIT_S)
            if not done:
                log.warning("live feed did not stop within %.0f s; left behind", STOP_WAIT_S)
            else:
                with suppress(asyncio.CancelledError):
                    self._task.result()
        self.hub.close()

    def end_streams(self) -> None:
        """End every open stream and refuse new ones. Safe from any thread and from a signal handler."""
        self.closing = True
        if self._loop is not None:
            with suppress(RuntimeError):  # the loop has already closed
                self._loop.call_soon_threadsafe(self.hub.close)

    # ---- notes from the bus (loop thread) ------------------------------------------------------------------
    def _note_readings(self, payload: dict[str, Any]) -> None:
        self._sensors.update(str(sensor) for sensor in payload.get("sensor_ids") or ())
        self._wake.set()

    def _note_vehicles(self, payload: dict[str, Any]) -> None:
        self._vehicles = payload  # only the newest positions matter
        self._wake.set()

    def _note_tick(self, payload: dict[str, Any]) -> None:
        self._tick = payload
        self._wake.set()

    def _note_incident(self, payload: dict[str, Any]) -> None:
        self._incidents = [*self._incidents[-(MAX_PENDING_INCIDENTS - 1) :], payload]
        self._wake.set()

    # ---- sending ---------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        kpis_at = loop.time()
        while not self._stopping:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as the
            # wake-up does (a twin at full speed wakes the feed constantly), and the server's shutdown then hung
            with suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, kpis_at + self.kpi_interval_s - loop.time())):
                    await self._wake.wait()
                    await asyncio.sleep(self.coalesce_s)
            if self._stopping:
                break
            self._wake.clear()
            started = loop.time()
            kpis_due = started - kpis_at >= self.kpi_interval_s
            try:
                sent = await self._send_round(kpis_due=kpis_due)
            except Exception:  # a failed round (the store restarting) must not end the feed
                log.exception("live feed round failed")
                sent = False
            if sent or kpis_due:
                kpis_at = started
            await asyncio.sleep(max(0.0, started + self.min_interval_s - loop.time()))

    async def _send_round(self, *, kpis_due: bool) -> bool:
        """Send what arrived since the last round; True when KPIs were sent."""
        sensors, self._sensors = self._sensors, set()
        tick, self._tick = self._tick, None
        vehicles, self._vehicles = self._vehicles, None
        incidents, self._incidents = self._incidents, []
        if not self.hub.clients:
            return False  # a client that connects later loads the current state itself
        if tick is not None:
            self.hub.publish("twin", _json(tick))
        if vehicles is not None:
            self.hub.publish("vehicles", _json(compact_vehicles(vehicles)))
        for incident in incidents:
            self.hub.publish("incidents", _json(incident))
        if not sensors and not kpis_due:
            return False
        if sensors:
            links, kpis = await run_in_threadpool(self.city.refresh, sensors)
            if links:
                rows = [link_row(state) for state in links]
                self.hub.publish("links", _json({"time": kpis.time, "links": rows}))
        else:
            kpis = await run_in_threadpool(self.city.kpis)
        self.hub.publish("kpis", _json(kpis))
        return True


def link_row(state: LinkState) -> dict[str, Any]:
    """A link state as the map needs it (figures rounded: float32 readings carry no more than this)."""
    return {
        "link_id": state.link_id,
        "time": state.time,
        "speed_kmh": _round(state.speed_kmh, 1),
        "flow_vph": _round(state.flow_vph, 0),
        "occupancy_pct": _round(state.occupancy_pct, 1),
        "speed_ratio": _round(state.speed_ratio, 3),
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def compact_vehicles(payload: dict[str, Any]) -> dict[str, Any]:
    """The positions of a ``vehicles.positions`` event with only what the map draws."""
    rows = []
    for position in payload.get("positions") or ():
        row = position.model_dump() if isinstance(position, BaseModel) else position
        if isinstance(row, dict):
            rows.append({name: row.get(name) for name in VEHICLE_FIELDS})
    return {"time": payload.get("time"), "vehicles": rows}


def _json(value: object) -> bytes:
    return orjson.dumps(value, default=_plain, option=orjson.OPT_UTC_Z)


def _plain(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@asynccontextmanager
async def live_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run a live feed for as long as the app serves (the stream router's lifespan)."""
    feed = LiveFeed(app.state.tamna, SseHub())
    await feed.start()
    app.state.live = feed
    try:
        yield
    finally:
        await feed.stop()


def end_streams(app: FastAPI) -> None:
    """End the app's event streams now, because the server is stopping (uvicorn would wait for them)."""
    feed: LiveFeed | None = getattr(app.state, "live", None)  # absent when the lifespan never ran
    if feed is not None:
        feed.end_streams()


def live_feed(request: Request) -> LiveFeed:
    """The running app's live feed."""
    try:
        feed: LiveFeed = request.app.state.live
    except AttributeError as err:
        raise HTTPException(503, "the live feed is not running (the app was started without its lifespan)") from err
    return feed


Live = Annotated[LiveFeed, Depends(live_feed)]
