"""The operations dashboard in Chromium against a real server: the map, live colours, charts, KPIs, the stream,
the twin controls and buses, and that nothing is fetched from elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route

from tests.web.conftest import City
from tests.web.support import AMBER, GREEN, GREY, LINK_POINT_JS, PIXELS_JS, RED, has_colour, wait_until

pytestmark = pytest.mark.data

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "dashboard.png"
SCREENSHOT_LIMIT = 300 * 1024
OPTIONAL = {"/api/v1/twin", "/api/v1/vehicles", "/api/v1/incidents"}  # parts other issues deliver


def link_point(page: Any, city: City, link_id: str, fraction: float = 0.75) -> dict[str, float]:
    geometry = city.links[link_id].geometry
    point = page.evaluate(
        LINK_POINT_JS, {"id": link_id, "start": list(geometry[0]), "end": list(geometry[-1]), "fraction": fraction}
    )
    assert point, f"no point on screen picks link {link_id} alone"
    return dict(point)


def separate_links(city: City, count: int, skip: int = 0) -> list[str]:
    """``count`` measured links, no two of them the directions of one road."""
    chosen: list[str] = []
    for link in sorted(city.links)[skip:]:
        if city.reverse[link] not in chosen:
            chosen.append(link)
    return chosen[:count]


def ratio_of(page: Any, link_id: str) -> Any:
    return page.evaluate("(id) => tamna.map.getFeatureState({source: 'links', id}).ratio", link_id)


def test_map_draws_every_link_and_colours_them_by_live_speed(visit: Any, city: City) -> None:
    slow, jammed, idle = separate_links(city, 3)
    city.push({slow: 0.6 * city.freeflow(slow), jammed: 0.2 * city.freeflow(jammed), idle: city.freeflow(idle)})
    seen = visit()
    page = seen.page
    total = len(city.state.store.network().links)
    assert page.evaluate("tamna.links.size") == total
    assert page.evaluate("tamna.map.queryRenderedFeatures({layers: tamna.linkLayers}).length") > total // 2
    assert page.locator("#count-links").inner_text() == f"{total:,}"
    assert page.locator("#count-sensors").inner_text() == str(len(city.sensor_of))
    wait_until(page, "(id) => tamna.map.getFeatureState({source: 'links', id}).ratio < 0.5", arg=jammed)
    assert 0.5 <= ratio_of(page, slow) < 0.75
    assert ratio_of(page, idle) >= 0.75

    # what the canvas shows: red, amber and green where those links run, grey on a road without a detector
    for link, colour in ((jammed, RED), (slow, AMBER), (idle, GREEN)):
        point = link_point(page, city, link)
        pixels = page.evaluate(PIXELS_JS, {"x": point["cx"], "y": point["cy"], "r": 3})
        assert has_colour(pixels, colour), (link, colour, pixels[:12])
    measured = set(city.links)
    for unmeasured in [link for link in city.state.store.network().links if link.id not in measured][::50]:
        point = page.evaluate(
            LINK_POINT_JS,
            {"id": unmeasured.id, "start": unmeasured.geometry[0], "end": unmeasured.geometry[-1], "fraction": 0.5},
        )
        if point:  # roads crossing others may have no point that picks them alone; the next one will
            pixels = page.evaluate(PIXELS_JS, {"x": point["cx"], "y": point["cy"], "r": 1})
            assert has_colour(pixels, GREY), unmeasured.id
            assert not has_colour(pixels, RED) and not has_colour(pixels, GREEN), unmeasured.id
            break
    else:
        pytest.fail("no unmeasured road could be picked on screen")

    # the page is self-contained: nothing from another origin, only optional parts may be missing
    origins = {urlsplit(url).netloc for url in seen.requests if not url.startswith(("data:", "blob:"))}
    assert origins == {urlsplit(city.url).netloc}, origins
    assert {urlsplit(url).path for _, url in seen.failed} <= OPTIONAL, seen.failed


def test_clicking_a_link_opens_its_chart_which_follows_new_readings(visit: Any, city: City, tmp_path: Path) -> None:
    link = separate_links(city, 1, skip=6)[0]
    city.push({link: 0.8 * city.freeflow(link)})
    page = visit().page
    point = link_point(page, city, link)
    page.mouse.click(point["x"], point["y"])
    details = page.locator("#details")
    details.wait_for(state="visible")
    assert details.get_attribute("data-kind") == "link"
    assert details.get_attribute("data-id") == link
    assert page.locator("#details-title").inner_text() == city.links[link].name  # the Korean road name
    points = int(wait_until(page, "() => Number(document.getElementById('chart').dataset.points)"))
    assert points >= 30  # 3 h of 5-minute readings (1-minute buckets, one reading in five)
    assert "km/h" in page.locator("#details-facts").inner_text()

    before = float(page.evaluate("document.getElementById('chart').dataset.lastSpeed"))
    city.push({link: 12.5})
    wait_until(page, "() => document.getElementById('details-facts').innerText.includes('12.5 km/h')", timeout_s=2)
    # the chart reloads too: its last minute now averages in the slow reading
    wait_until(page, "(v) => Number(document.getElementById('chart').dataset.lastSpeed) < v", arg=before, timeout_s=3)

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    if os.environ.get("TAMNA_UPDATE_SCREENSHOT"):
        update_docs_screenshot(page, tmp_path)

    # a sensor opens its own history
    sensor = city.sensor_of[link]
    page.locator("#details-close").click()
    page.evaluate(
        """(id) => { const f = tamna.map.querySourceFeatures('sensors').find((s) => s.properties.id === id);
                     const p = tamna.map.project(f.geometry.coordinates);
                     const r = tamna.map.getCanvas().getBoundingClientRect();
                     window.__sensorAt = {x: p.x + r.left, y: p.y + r.top}; }""",
        sensor,
    )
    at = page.evaluate("window.__sensorAt")
    page.mouse.click(at["x"], at["y"])
    wait_until(page, "(id) => document.getElementById('details').dataset.id === id", arg=sensor)
    assert details.get_attribute("data-kind") == "sensor"
    assert int(wait_until(page, "() => Number(document.getElementById('chart').dataset.points)")) >= 30


def update_docs_screenshot(page: Any, folder: Path) -> None:
    """Copy a screenshot to docs/img (``TAMNA_UPDATE_SCREENSHOT=1``): the wall's size if it fits the size limit
    of the docs, else a laptop's."""
    for width, height in ((1920, 1080), (1600, 900), (1440, 810), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate(
            "() => new Promise((done) => { tamna.map.resize(); tamna.fitCity(); tamna.map.once('idle', done); })"
        )
        time.sleep(1.5)  # the chart redraws on resize
        shot = folder / f"dashboard-{width}.png"
        page.screenshot(path=str(shot))
        if shot.stat().st_size <= SCREENSHOT_LIMIT:
            DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, DOCS_SCREENSHOT)
            break
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.evaluate("() => new Promise((done) => { tamna.map.resize(); tamna.fitCity(); tamna.map.once('idle', done); })")


def test_kpis_follow_the_city_as_readings_arrive(visit: Any, city: City) -> None:
    city.push({link: 0.9 * city.freeflow(link) for link in city.links})
    page = visit().page
    speed, congested = page.locator("#kpi-speed .value"), page.locator("#kpi-congested .value")
    wait_until(page, "() => document.querySelector('#kpi-congested .value').textContent === '0.0'")
    calm_speed = float(speed.inner_text())

    city.push({link: 0.3 * city.freeflow(link) for link in city.links})  # rush hour everywhere measured
    wait_until(page, "() => document.querySelector('#kpi-congested .value').textContent !== '0.0'", timeout_s=2)
    served = city.state.store.count_observations() and _kpis(city)
    assert congested.inner_text() == f"{served['congested_lane_km']:,.1f}"
    assert float(speed.inner_text()) < calm_speed
    assert speed.inner_text() == f"{served['mean_speed_kmh']:.1f}"
    assert page.locator("#kpi-alerts .value").inner_text() == "0"
    foot = page.locator("#kpi-foot").inner_text()
    assert f"{served['links_reporting']} of {served['links_total']:,} links" in foot

    city.push({link: 0.9 * city.freeflow(link) for link in city.links})
    wait_until(page, "() => document.querySelector('#kpi-congested .value').textContent === '0.0'", timeout_s=2)


def _kpis(city: City) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(city.url + "/api/v1/kpis", timeout=5) as answer:
        kpis: dict[str, Any] = json.loads(answer.read())
        return kpis


def test_a_reading_reaches_the_map_within_two_seconds(visit: Any, city: City) -> None:
    page = visit().page
    link = separate_links(city, 1, skip=10)[0]
    for speed in (21.5, 33.5, 44.5):
        pushed_ms = time.time() * 1000
        city.push({link: speed})
        wait_until(page, "([id, v]) => tamna.states.get(id)?.speed_kmh === v", arg=[link, speed], timeout_s=2)
        drawn = wait_until(
            page,
            "([id, t]) => tamna.linkDraws.find((d) => d.links.includes(id) && d.receivedAt >= t)",
            arg=[link, pushed_ms],
        )
        assert drawn["drawnAt"] - pushed_ms < 2000, drawn
        assert abs(ratio_of(page, link) - speed / city.freeflow(link)) < 0.01


def test_twin_clock_and_controls_for_an_operator(visit: Any, city: City) -> None:
    controls: list[dict[str, Any]] = []
    status = {
        "scenario": "jeju-am-peak",
        "time": "2026-11-25T00:00:00Z",
        "speed": 1.0,
        "paused": False,
        "vehicles_running": 120,
        "status": "running",
        "error": None,
    }

    def twin_api(route: Route) -> None:
        request = route.request
        if request.method == "POST":
            controls.append({"auth": request.headers.get("authorization"), "body": request.post_data_json})
            body = request.post_data_json
            if body.get("action") in ("pause", "resume"):
                status.update(paused=body["action"] == "pause")
            if body.get("speed") is not None:
                status.update(speed=0.0 if body["speed"] == "max" else body["speed"])
        route.fulfill(status=200, content_type="application/json", body=json.dumps(status))

    page = visit(before=lambda p: p.route("**/api/v1/twin**", twin_api)).page
    twin = page.locator("#twin")
    twin.wait_for(state="visible")
    assert page.locator("#twin-clock").inner_text() == "25/11/2026, 09:00:00"  # shown in Asia/Seoul
    wait_until(page, "() => document.querySelector('#kpi-vehicles .value').textContent === '120'")
    assert page.locator("#twin-controls").is_hidden()  # a viewer sees the clock only

    page.locator("#operator-signin").click()
    page.locator("#operator-key").fill(city.operator_key)
    page.locator("#operator-form button[type=submit]").click()
    page.locator("#twin-controls").wait_for(state="visible")
    assert page.evaluate("sessionStorage.getItem('tamna.operatorKey')") == city.operator_key
    assert page.evaluate("localStorage.getItem('tamna.operatorKey')") is None
    page.locator("#twin-pause").click()
    wait_until(page, "() => document.getElementById('twin-pause').textContent === 'Resume'")
    assert controls == [{"auth": f"Bearer {city.operator_key}", "body": {"action": "pause"}}]
    page.locator("#twin-rate").select_option("10")
    wait_until(page, "() => document.getElementById('twin-rate-now').textContent === '×10'")
    assert controls[-1]["body"] == {"speed": 10}

    # a tick of the twin on the server's bus reaches the clock and the KPIs through the stream
    city.state.bus.publish(
        "twin.tick", {"sim_time": "2026-11-25T00:05:00Z", "vehicles_running": 150, "speed": 5.0, "paused": False}
    )
    wait_until(page, "() => document.getElementById('twin-clock').textContent.endsWith('09:05:00')", timeout_s=2)
    assert page.locator("#kpi-vehicles .value").inner_text() == "150"
    assert page.locator("#twin-rate-now").inner_text() == "×5"
    assert _kpis(city)["vehicles_in_network"] == 150


def test_without_a_twin_the_controls_stay_hidden_and_buses_arrive_by_the_stream(visit: Any, city: City) -> None:
    def missing(route: Route) -> None:
        route.fulfill(status=404, content_type="application/problem+json", body='{"status": 404}')

    page = visit(before=lambda p: p.route("**/api/v1/{twin,vehicles}", missing)).page
    assert page.locator("#twin").is_hidden()
    assert page.locator("#count-buses").inner_text() == "no feed"

    link = next(iter(city.links.values()))
    lon, lat = link.geometry[0]
    positions = [
        {"vehicle_id": f"bus-{n}", "kind": "bus", "time": "2026-11-25T00:00:00Z", "lon": lon + n * 1e-4, "lat": lat}
        for n in range(3)
    ]
    positions.append({"vehicle_id": "car-1", "kind": "car", "time": "2026-11-25T00:00:00Z", "lon": lon, "lat": lat})
    city.state.bus.publish("vehicles.positions", {"time": "2026-11-25T00:00:00Z", "positions": positions})
    wait_until(page, "() => tamna.buses === 3", timeout_s=2)
    assert page.locator("#count-buses").inner_text() == "3"  # cars are not buses
    wait_until(page, "() => tamna.map.querySourceFeatures('buses').length >= 3")

    page.locator("input[data-layer=buses]").uncheck()
    assert page.evaluate("tamna.map.getLayoutProperty('buses', 'visibility')") == "none"
    page.locator("input[data-layer=buses]").check()
    assert page.evaluate("tamna.map.getLayoutProperty('buses', 'visibility')") == "visible"
