"""The dashboard's signal layer on the running twin (generated city, every signal under max-pressure): each
signalised intersection is a circle coloured by what it shows now, and a click on one tells the controller in
charge and the phase, as GET /api/v1/signals has them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page

from tamna.api.app import build_state, create_app
from tamna.api.routes.twin import attach
from tamna.core.settings import Settings
from tamna.twin import sumo
from tamna.twin.build.generated import build_generated_city
from tamna.twin.clock import SimClock
from tamna.twin.runtime import TwinRuntime
from tamna.twin.scenario import load_scenario
from tamna.twin.setup import cache_dir_for, prepare_twin, register_twin
from tamna.twin.status import TwinOptions
from tests.web.support import open_dashboard, serve, wait_until

READ_SIGNALS_JS = """
() => tamna.map.queryRenderedFeatures({layers: ['signals-live']}).map((f) => ({
  id: f.properties.id, stage: f.properties.stage, controller: f.properties.controller,
  lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1],
}))
"""


@dataclass
class Served:
    url: str
    runtime: TwinRuntime


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("signals-dashboard")
    scenario = load_scenario(build_generated_city(folder / "generated-1", seed=1))
    settings = Settings(data_dir=folder, env="test")
    clock = SimClock(scenario.begin_s, timezone=settings.timezone)
    setup = prepare_twin(scenario, cache_dir_for(settings.data_dir, scenario))
    state = build_state(settings, clock=clock.now)
    register_twin(state.store, setup, bus=state.bus)
    runtime = TwinRuntime(
        setup, clock, bus=state.bus, store=state.store, options=TwinOptions(speed=10.0, controller="max-pressure")
    )
    app = create_app(settings, app_state=state, background=False)
    attach(app, runtime)
    try:
        runtime.start()
        with serve(app) as url:
            yield Served(url, runtime)
    finally:
        runtime.stop()
        state.store.close()
        assert sumo.current_owner() is None, "the twin still holds SUMO"


@pytest.fixture
def page(browser: Browser, twin: Served) -> Iterator[Page]:
    with open_dashboard(browser, twin.url, width=1400, height=900) as opened:
        yield opened


def test_signals_show_their_phase_and_a_click_tells_the_controller(page: Page) -> None:
    shown = wait_until(page, f"() => {{ const s = ({READ_SIGNALS_JS})(); return s.length >= 40 && s; }}", timeout_s=15)
    assert {s["controller"] for s in shown} == {"max-pressure"}
    assert {s["stage"] for s in shown} <= {"green", "yellow", "all-red"} and "green" in {s["stage"] for s in shown}
    # the circle's fill is the stage's colour
    colour = page.evaluate("() => tamna.map.getPaintProperty('signals-live', 'circle-color')")
    assert "#22c55e" in str(colour) and "#f59e0b" in str(colour) and "#ef4444" in str(colour)

    target = shown[len(shown) // 2]
    point = page.evaluate("([lon, lat]) => tamna.map.project([lon, lat])", [target["lon"], target["lat"]])
    box = page.locator("#map canvas").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector("#signal-card [data-field='controller']", timeout=5_000)
    assert page.locator("#signal-card [data-field='controller']").inner_text() == "max-pressure"
    assert "green phase" in page.locator("#signal-card [data-field='phase']").inner_text()
    assert page.locator("#signal-card b").inner_text().startswith("Signal ")

    # the side panel's switch hides the layer
    page.locator("input[data-layer='signals']").uncheck()
    assert page.evaluate("() => tamna.map.getLayoutProperty('signals-live', 'visibility')") == "none"
