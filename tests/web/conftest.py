"""The dashboard on a real server: Jeju-si's centre network, detectors on some of its roads, three hours of
history, and Debian's Chromium driven by Playwright.

One server and one browser serve the whole module (the browser tests must stay under ~90 s on two cores); each
test opens its own page and sets the readings it checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright

from tamna.api.app import build_state, create_app
from tamna.api.keys import create_api_key
from tamna.api.state import AppState
from tamna.core.settings import Settings
from tamna.core.timeutil import utcnow
from tamna.domain.access import Role
from tamna.domain.network import Link
from tamna.domain.sensors import Sensor, SensorKind
from tamna.ingest.network import import_network
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, serve

#: Road pairs (both directions) that get a detector each.
MEASURED_PAIRS = 20
HISTORY = timedelta(hours=3)
STEP = timedelta(minutes=5)


def data_folder() -> Path:
    """``TAMNA_DATA`` or ``../shared/data`` beside the checkout; missing data fails the test, never skips it."""
    override = os.environ.get("TAMNA_DATA")
    folder = Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    network = folder / "jeju" / "road-network"
    if not network.is_dir():
        pytest.fail(
            f"the Jeju road network is missing from {network}; the dashboard tests read it (set TAMNA_DATA to the "
            "shared data folder, or deselect them with -m 'not data')",
            pytrace=False,
        )
    return folder


@dataclass
class City:
    """The running dashboard and what the tests need to drive it."""

    url: str
    state: AppState
    links: dict[str, Link]  # measured links
    sensor_of: dict[str, str]  # link id → its detector
    reverse: dict[str, str]  # link id → the other direction
    operator_key: str
    names: dict[str, str | None] = field(default_factory=dict)

    def push(self, speeds: dict[str, float], *, at: datetime | None = None, flow_vph: float = 600.0) -> None:
        """Store one reading per link (speed in km/h) through the ingest pipeline, as a detector would."""
        when = (at or utcnow()).isoformat()
        records: list[object] = [
            {"sensor_id": self.sensor_of[link], "time": when, "speed_kmh": speed, "flow_vph": flow_vph}
            for link, speed in speeds.items()
        ]
        outcome = self.state.pipeline.ingest_records(records, source="test:dashboard")
        assert outcome.stored == len(records), outcome.rejections

    def freeflow(self, link: str) -> float:
        reference = self.links[link].reference_speed_kmh
        assert reference is not None
        return reference


def _measured_pairs(links: list[Link]) -> list[tuple[Link, Link]]:
    by_ends = {(link.from_node, link.to_node): link for link in links}
    pairs = []
    for link in links:
        back = by_ends.get((link.to_node, link.from_node))
        if back is None or link.id > back.id or not link.name or not link.freeflow_speed_kmh:
            continue
        if link.length_m > 300 and back.freeflow_speed_kmh:
            pairs.append((link, back))
    step = max(1, len(pairs) // MEASURED_PAIRS)
    return pairs[::step][:MEASURED_PAIRS]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    """Tamna on a DuckDB file with the Jeju-si centre network, 40 detectors and 3 h of history, served by uvicorn."""
    folder = data_folder()
    settings = Settings(data_dir=tmp_path_factory.mktemp("dashboard"), env="test")
    state = build_state(settings)
    import_network(state.store, folder / "jeju" / "road-network")
    pairs = _measured_pairs(state.store.network().links)
    assert len(pairs) == MEASURED_PAIRS
    links = {link.id: link for pair in pairs for link in pair}
    reverse = {a.id: b.id for a, b in pairs} | {b.id: a.id for a, b in pairs}
    sensors = []
    for number, link in enumerate(links.values()):
        (lon0, lat0), (lon1, lat1) = link.geometry[0], link.geometry[-1]
        sensors.append(
            Sensor(
                id=f"det-{number:02d}",
                kind=SensorKind.LOOP,
                link_id=link.id,
                # a third of the way along, so that the two directions' detectors do not sit on one spot
                lon=lon0 + 0.35 * (lon1 - lon0),
                lat=lat0 + 0.35 * (lat1 - lat0),
            )
        )
    state.store.upsert_sensors(sensors)
    state.pipeline.reload_sensors()
    key, _ = create_api_key(state.store, Role.OPERATOR, "dashboard test")
    city = City(
        url="",
        state=state,
        links=links,
        sensor_of={sensor.link_id: sensor.id for sensor in sensors if sensor.link_id},
        reverse=reverse,
        operator_key=key,
    )
    now = utcnow()
    for step in range(int(HISTORY / STEP), 0, -1):  # a morning's worth of history, flowing at 85 % of free flow
        city.push({link: 0.85 * city.freeflow(link) for link in links}, at=now - step * STEP, flow_vph=400 + 10 * step)
    app = create_app(settings, app_state=state)
    try:
        with serve(app) as url:
            city.url = url
            yield city
    finally:
        state.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a browser downloaded by Playwright). Module-scoped: Playwright's sync
    API keeps an event loop running on the main thread while it is open."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Visit:
    """A page on the dashboard, with what it asked for and what went wrong."""

    page: Page
    requests: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed.append((response.status, response.url))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            where = message.location
            self.errors.append(f"{message.text} at {where.get('url')}:{where.get('lineNumber')}")


@pytest.fixture
def visit(browser: Browser, city: City) -> Iterator[Any]:
    """Open the dashboard (1920×1080, a control-room wall) and wait until its map has drawn the links."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    opened: list[Visit] = []

    def open_page(*, before: Any = None) -> Visit:
        page = context.new_page()
        seen = Visit(page)
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("response", seen.on_response)
        page.on("console", seen.on_console)
        page.on("pageerror", lambda error: seen.errors.append(str(error)))
        if before is not None:
            before(page)
        page.goto(city.url + "/")
        page.wait_for_selector("html[data-ready='1']", state="attached", timeout=20_000)
        opened.append(seen)
        return seen

    yield open_page
    context.close()
    for seen in opened:
        assert not seen.errors, seen.errors
