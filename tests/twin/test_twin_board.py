"""The whole chain on the running twin, in a browser: the generated city's buses drive in SUMO, report GPS fixes,
are matched to the trips of the twin's own GTFS (imported as ``tamna demo`` does), and the stop board of the
third stop of line 1 east counts its first bus down, live, in Debian's Chromium.

About 30 s: the twin runs at 10× real time from 07:00, and line 1's first bus reaches the stop at about 07:03.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tamna.api.app import build_state, create_app
from tamna.api.routes.twin import attach
from tamna.cli.twin import import_bus_timetable
from tamna.core.settings import Settings
from tamna.twin.clock import SimClock
from tamna.twin.runtime import TwinRuntime
from tamna.twin.scenario import load_scenario
from tamna.twin.setup import prepare_twin, register_twin
from tamna.twin.status import TwinOptions
from tests.twin.conftest import DAY
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, serve, wait_until

#: The third of line 1 eastbound's four stops (a board lists no arrivals at a trip's last stop: nobody boards).
STOP = "stop_E1F1"
MINUTES = re.compile(r"^(\d+)분")

ROWS_JS = """() => [...document.querySelectorAll('#arrivals tbody tr')].map((tr) => ({
  route: tr.querySelector('.route').textContent,
  headsign: tr.querySelector('.headsign').textContent,
  when: tr.querySelector('.when').textContent,
  live: tr.querySelector('.mark.live') !== null,
}))"""


@pytest.fixture
def twin_url(generated_city: Path, tmp_path: Path) -> Iterator[tuple[str, TwinRuntime]]:
    """The platform serving the generated city's twin, its bus timetable imported, the twin at 10× real time."""
    scenario = load_scenario(generated_city)
    settings = Settings(data_dir=tmp_path, db=":memory:", env="test")
    clock = SimClock(scenario.begin_s, base_date=DAY, timezone=settings.timezone)
    setup = prepare_twin(scenario, tmp_path / "cache")
    state = build_state(settings, clock=clock.now)
    register_twin(state.store, setup, bus=state.bus)
    assert import_bus_timetable(state.store, setup, timezone=settings.timezone)
    runtime = TwinRuntime(
        setup, clock, bus=state.bus, store=state.store, options=TwinOptions(speed=10.0, interval_s=10.0)
    )
    app = create_app(settings, app_state=state, background=False)
    attach(app, runtime)
    try:
        with serve(app) as url:
            runtime.start()
            yield url, runtime
            runtime.stop()
    finally:
        runtime.stop()
        state.store.close()


def test_the_board_counts_down_the_twins_first_bus(twin_url: tuple[str, TwinRuntime], tmp_path: Path) -> None:
    url, runtime = twin_url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{url}/board/{STOP}?refresh_s=5")
            assert page.text_content("#stop-name") == "stop E1F1"
            # the first bus of line 1 east, live from its GPS fixes, seen with more than a minute to go
            first = wait_until(
                page,
                f"() => ({ROWS_JS})().find((r) => r.route === '1' && r.live && /^\\d+분/.test(r.when))",
                timeout_s=20,
            )
            minutes = [int(MINUTES.match(first["when"]).group(1))]  # type: ignore[union-attr]
            page.screenshot(path=str(tmp_path / "board-first.png"))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                rows = [r for r in page.evaluate(ROWS_JS) if r["route"] == "1" and r["live"]]
                if not rows:
                    break
                found = MINUTES.match(rows[0]["when"])
                if found is None:  # "곧 도착": arriving within the minute
                    minutes.append(0)
                    break
                if int(found.group(1)) != minutes[-1]:
                    minutes.append(int(found.group(1)))
                time.sleep(0.25)
            page.screenshot(path=str(tmp_path / "board.png"))
            print(f"line 1 at {STOP}, minutes shown: {minutes}; twin at {runtime.clock.now():%H:%M:%S} UTC")
            print(f"screenshots in {tmp_path}")
            assert len(minutes) >= 3, minutes
            assert minutes == sorted(minutes, reverse=True), minutes
            assert minutes[-1] <= 1
            assert not errors, errors
        finally:
            browser.close()
