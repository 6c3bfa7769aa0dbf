"""The dashboard's signal layer on the running twin (generated city, every signal under max-pressure): each
signalised intersection is a circle coloured by what it shows now, and a click on one tells the controller in
charge and the phase, as GET /api/v1/signals has them. An operator signed in with a key switches the signal's
controller, holds and releases a phase from that card, as the API and its log then report; a viewer's key is
refused there with the server's own words, and changes nothing."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tamna.api.app import build_state, create_app
from tamna.api.keys import create_api_key
from tamna.api.routes.twin import attach
from tamna.core.settings import Settings
from tamna.domain.access import Role
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


#: A placed, controllable signal (two or more green phases) whose circle is alone under its centre, with that
#: centre in page coordinates, so that a click there opens this signal's card and no other.
PICK_SIGNAL_JS = """
(ids) => {
  const map = tamna.map;
  const rect = map.getCanvas().getBoundingClientRect();
  for (const f of map.queryRenderedFeatures({layers: ['signals-live']})) {
    if (!ids.includes(f.properties.id)) continue;
    const p = map.project(f.geometry.coordinates);
    if (p.x < 40 || p.y < 40 || p.x > rect.width - 320 || p.y > rect.height - 200) continue;  // room for the card
    const hits = map.queryRenderedFeatures([p.x, p.y], {layers: ['signals-live']});
    if (hits.length === 1) return {id: f.properties.id, x: p.x + rect.left, y: p.y + rect.top};
  }
  return null;
}
"""


@dataclass
class Served:
    url: str
    runtime: TwinRuntime
    operator_key: str
    viewer_key: str

    def get(self, path: str, key: str | None = None) -> Any:
        """``path`` of the API, as a client with ``key`` (or none) reads it."""
        request = urllib.request.Request(self.url + path, headers={"X-API-Key": key} if key else {})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def signals(self) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.get("/api/v1/signals")}

    def log(self, signal_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get(f"/api/v1/signals/log?signal_id={signal_id}", self.viewer_key)
        return rows


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
    operator_key = create_api_key(state.store, Role.OPERATOR, "duty-operator")[0]
    viewer_key = create_api_key(state.store, Role.VIEWER, "auditor")[0]
    try:
        runtime.start()
        with serve(app) as url:
            yield Served(url, runtime, operator_key, viewer_key)
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


CARD_SHOWS_JS = "(name) => document.querySelector('#signal-card [data-field=controller]').textContent === name"


def sign_in(page: Page, key: str) -> None:
    page.locator("#operator-signin").click()
    page.locator("#operator-key").fill(key)
    page.locator("#operator-form button[type=submit]").click()


def card_field(page: Page, name: str) -> str:
    text: str = page.locator(f"#signal-card [data-field='{name}']").inner_text()
    return text


def test_an_operator_commands_a_signal_from_its_card(page: Page, twin: Served) -> None:
    sent: list[tuple[str, str, str | None]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.headers.get("authorization"))))
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    wait_until(page, f"() => ({READ_SIGNALS_JS})().length >= 40", timeout_s=15)
    controllable = [i for i, s in twin.signals().items() if s["controllable"] and s["phases"] >= 2]
    target = wait_until(page, PICK_SIGNAL_JS, arg=controllable)
    signal_id = target["id"]
    assert twin.signals()[signal_id]["controller"] == "max-pressure"

    # a viewer of the page gets the card without commands
    page.mouse.click(target["x"], target["y"])
    page.wait_for_selector("#signal-card [data-field='controller']", timeout=5_000)
    assert page.locator("#signal-card b").inner_text() == f"Signal {signal_id}"
    assert page.locator("#signal-controller").count() == 1 and page.locator("#signal-controller").is_hidden()

    # signing in (in the header) brings the commands into the open card, the key in this tab's session only
    page.locator("#twin").wait_for(state="visible")
    sign_in(page, twin.operator_key)
    page.locator("#signal-controller").wait_for(state="visible")
    assert page.evaluate("sessionStorage.getItem('tamna.operatorKey')") == twin.operator_key
    assert page.evaluate("localStorage.getItem('tamna.operatorKey')") is None
    offered = page.eval_on_selector_all("#signal-controller option", "(options) => options.map((o) => o.value)")
    assert {"max-pressure", "actuated", "fixed-time", "network-program"} <= set(offered)
    assert page.locator("#signal-controller").input_value() == "max-pressure"  # the one in charge

    page.select_option("#signal-controller", "actuated")
    page.locator("#signal-apply").click()
    wait_until(page, CARD_SHOWS_JS, arg="actuated")
    assert card_field(page, "command-message") == "Now under actuated."
    assert twin.signals()[signal_id]["controller"] == "actuated"

    page.locator("#signal-card [data-hold='1']").click()
    page.locator("#signal-card [data-hold='release']").wait_for(state="visible")
    assert card_field(page, "held") == "green phase 1"
    assert page.locator("#signal-card [data-hold='1']").get_attribute("aria-pressed") == "true"
    assert twin.signals()[signal_id]["held"] == 1

    page.locator("#signal-card [data-hold='release']").click()
    page.locator("#signal-card [data-hold='release']").wait_for(state="detached")
    assert page.locator("#signal-card [data-field='held']").count() == 0
    assert card_field(page, "command-message") == "Hold released."
    assert twin.signals()[signal_id]["held"] is None

    page.select_option("#signal-controller", "max-pressure")  # as the twin runs it (the other test expects so)
    page.locator("#signal-apply").click()
    wait_until(page, CARD_SHOWS_JS, arg="max-pressure")
    assert twin.signals()[signal_id]["controller"] == "max-pressure"

    log = twin.log(signal_id)
    assert [(e["action"], e["previous"], e["controller"], e["phase"]) for e in log] == [
        ("controller", "actuated", "max-pressure", None),
        ("release", "actuated", "actuated", 1),
        ("hold", "actuated", "actuated", 1),
        ("controller", "max-pressure", "actuated", None),
    ]
    assert {(e["key_name"], e["role"]) for e in log} == {("duty-operator", "operator")}
    commands = [(method, auth) for method, url, auth in sent if url.endswith(f"/signals/{signal_id}/controller")]
    assert commands == [("PUT", f"Bearer {twin.operator_key}")] * 4
    # the key went out in headers only: never in an address, never to the console
    assert not [url for _, url, _ in sent if twin.operator_key in url]
    assert not [text for text in logged if twin.operator_key in text]

    # a viewer's key is refused with the server's words; nothing changes, and the refused key is forgotten
    page.locator("#operator-signout").click()
    page.locator("#signal-controller").wait_for(state="hidden")
    sign_in(page, twin.viewer_key)
    page.locator("#signal-controller").wait_for(state="visible")
    page.select_option("#signal-controller", "network-program")
    page.locator("#signal-apply").click()
    message = page.locator("#signal-card [data-field='command-message']")
    wait_until(page, "() => document.querySelector('#signal-card [data-field=command-message]').dataset.state")
    assert message.inner_text() == (
        "role 'viewer' may not do this; it needs 'operator'. You are signed out; sign in with an operator key."
    )
    assert message.get_attribute("data-state") == "refused"
    assert page.locator("#signal-controller").is_hidden()
    assert page.evaluate("sessionStorage.getItem('tamna.operatorKey')") is None
    assert twin.signals()[signal_id]["controller"] == "max-pressure"
    assert len(twin.log(signal_id)) == 4
