"""The dashboard on the real digital twin: the generated city run by SUMO in this process, wired as `tamna demo`
wires it (detectors through the ingest pipeline, buses on the bus, the simulation clock as the platform's now), at
30× real time. What the operator sees is read from the map itself: links drawn and coloured by live speed, a chart
with data for a clicked road, KPIs that move, and buses that move. A screenshot is kept in var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tamna.api.app import build_state, create_app
from tamna.api.routes.twin import attach
from tamna.api.state import AppState
from tamna.core.settings import Settings
from tamna.domain.network import Link
from tamna.twin import sumo
from tamna.twin.build.generated import build_generated_city
from tamna.twin.clock import SimClock
from tamna.twin.outbox import pipeline_sink
from tamna.twin.runtime import TwinRuntime
from tamna.twin.scenario import load_scenario
from tamna.twin.setup import cache_dir_for, prepare_twin, register_twin
from tamna.twin.status import TwinOptions
from tests.web.support import AMBER, GREEN, LINK_POINT_JS, PIXELS_JS, RED, has_colour, open_dashboard, serve, wait_until

SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "dashboard-twin.png"
#: simulated seconds per wall second, and between two readings and bus positions: a tick every wall second
SPEED = 30.0
INTERVAL_S = 30.0
#: the live colours of web/src/map.js, by the speed / free-flow thresholds of its legend
COLOUR_OF = ((0.75, GREEN), (0.5, AMBER), (0.0, RED))

READ_LINKS_JS = """
() => tamna.map.queryRenderedFeatures({layers: tamna.linkLayers})
  .map((f) => ({id: f.properties.id, ratio: f.state.ratio}))
"""
READ_BUSES_JS = """
() => Object.fromEntries(tamna.map.queryRenderedFeatures({layers: ['buses']})
  .map((f) => [f.properties.id, f.geometry.coordinates]))
"""


@dataclass
class RunningTwin:
    url: str
    state: AppState
    runtime: TwinRuntime
    links: dict[str, Link]


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    """The generated city (seed 1) served with its twin running, as ``tamna demo`` does without Jeju data."""
    folder = tmp_path_factory.mktemp("twin-dashboard")
    scenario = load_scenario(build_generated_city(folder / "generated-1", seed=1))
    settings = Settings(data_dir=folder, env="test")
    clock = SimClock(scenario.begin_s, timezone=settings.timezone)
    setup = prepare_twin(scenario, cache_dir_for(settings.data_dir, scenario), interval_s=INTERVAL_S)
    state = build_state(settings, clock=clock.now)
    register_twin(state.store, setup, bus=state.bus)
    state.pipeline.reload_sensors()
    options = TwinOptions(speed=SPEED, interval_s=INTERVAL_S)
    runtime = TwinRuntime(
        setup, clock, bus=state.bus, sink=pipeline_sink(state.pipeline), store=state.store, options=options
    )
    app = create_app(settings, app_state=state, background=False)
    attach(app, runtime)
    state.start_background()
    try:
        runtime.start()
        with serve(app) as url:
            yield RunningTwin(url, state, runtime, {link.id: link for link in state.store.network().links})
    finally:
        runtime.stop()
        state.stop_background()
        state.store.close()
        assert sumo.current_owner() is None, "the twin still holds SUMO"


@pytest.fixture
def page(browser: Browser, twin: RunningTwin) -> Iterator[Page]:
    with open_dashboard(browser, twin.url, width=1600, height=900) as opened:
        yield opened


def kpi(page: Page, name: str) -> str:
    text: str = page.locator(f"#kpi-{name} .value").inner_text()
    return text


def expected_colour(ratio: float) -> tuple[int, int, int]:
    return next(colour for floor, colour in COLOUR_OF if ratio >= floor)


def test_the_dashboard_follows_the_running_twin(page: Page, twin: RunningTwin, tmp_path: Path) -> None:
    # links drawn, and coloured by live speed once the detectors' first readings arrive through ingest
    rendered = page.evaluate(READ_LINKS_JS)
    assert {row["id"] for row in rendered} == set(twin.links), "not every link of the city is drawn"
    coloured = wait_until(
        page,
        f"() => ({READ_LINKS_JS})().filter((f) => f.ratio >= 0).length >= 20 && ({READ_LINKS_JS})()",
        timeout_s=20,
    )
    live = {row["id"]: row["ratio"] for row in coloured if row["ratio"] is not None and row["ratio"] >= 0}
    assert len(live) >= 20
    # ...and the canvas shows the colour the legend gives each ratio, on a road picked alone on screen
    for link_id in sorted(live, key=lambda i: -twin.links[i].length_m):
        geometry = twin.links[link_id].geometry
        point = page.evaluate(
            LINK_POINT_JS, {"id": link_id, "start": list(geometry[0]), "end": list(geometry[-1]), "fraction": 0.5}
        )
        if not point:
            continue
        ratio = page.evaluate("(id) => tamna.map.getFeatureState({source: 'links', id}).ratio", link_id)
        pixels = page.evaluate(PIXELS_JS, {"x": point["cx"], "y": point["cy"], "r": 2})
        assert has_colour(pixels, expected_colour(ratio)), (link_id, ratio, pixels[:12])
        break
    else:
        pytest.fail("no measured road could be picked alone on screen")

    # buses are markers on the map, and they move
    first = wait_until(
        page, f"() => {{ const b = ({READ_BUSES_JS})(); return Object.keys(b).length && b; }}", timeout_s=15
    )
    kpis_before = (kpi(page, "vehicles"), kpi(page, "speed"))

    # a click on a measured road opens its chart, with the readings the twin produced
    page.mouse.click(point["x"], point["y"])
    wait_until(page, "(id) => document.getElementById('details').dataset.id === id", arg=link_id)
    # the chart follows the road's new readings: a minute of simulation is two wall seconds
    wait_until(page, "() => Number(document.getElementById('chart').dataset.points) >= 2", timeout_s=15)

    moved = wait_until(
        page,
        f"""(before) => {{
          const now = ({READ_BUSES_JS})();
          return Object.keys(now).some((id) => id in before &&
            (now[id][0] !== before[id][0] || now[id][1] !== before[id][1])) && now;
        }}""",
        arg=first,
        timeout_s=15,
    )
    assert moved
    # the city KPIs change as the simulation runs (seconds apart at 30× real time)
    wait_until(
        page,
        "([v, s]) => document.querySelector('#kpi-vehicles .value').textContent !== v"
        " && document.querySelector('#kpi-speed .value').textContent !== s",
        arg=list(kpis_before),
        timeout_s=15,
    )
    assert int(kpi(page, "vehicles").replace(",", "")) > 0
    assert page.locator("#twin-state").inner_text() == "running"

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(tmp_path / "dashboard-twin.png"))
    SCREENSHOT.write_bytes((tmp_path / "dashboard-twin.png").read_bytes())
    assert SCREENSHOT.stat().st_size > 20_000
