"""Live forecasts on the dashboard, against a real server and store: the band after "now" on a road's chart, the
"Speed in 30 min" map layer, and the note that says when the baseline stands in for a model (none, or stale)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tamna.core.timeutil import floor_time, utcnow
from tamna.traffic.datasets.series import SensorSeries
from tamna.traffic.forecasting.artifacts import write_artifact
from tamna.traffic.forecasting.registry import create
from tests.web.conftest import City
from tests.web.support import AMBER, GREEN, LINK_POINT_JS, PIXELS_JS, has_colour, wait_until

pytestmark = pytest.mark.data

#: Band pixels of the chart (web/src/chart.js COLORS.band, drawn on a transparent canvas) in a column range.
BAND_PIXELS_JS = """
([from, to]) => {
  const canvas = document.getElementById('chart');
  const ratio = canvas.width / canvas.clientWidth;
  const x0 = Math.round(from * ratio), x1 = Math.round(to * ratio);
  const data = canvas.getContext('2d').getImageData(x0, 0, x1 - x0, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 55 && a < 100 && Math.abs(r - 244) < 12 && Math.abs(g - 114) < 12 && Math.abs(b - 182) < 12) count += 1;
  }
  return count;
}
"""


@pytest.fixture(scope="module")
def varied(city: City) -> City:
    """The last two hours made uneven (±10 % around the flowing speed), so that the baseline's own errors, and
    with them its band, are not zero."""
    now = utcnow()
    for step in range(24, 0, -1):
        at = now - step * timedelta(minutes=5) + timedelta(minutes=1)
        wave = {link: (0.8 + 0.1 * np.sin(step * 1.3 + n)) * city.freeflow(link) for n, link in enumerate(city.links)}
        city.push({link: round(float(speed), 1) for link, speed in wave.items()}, at=at)
    city.state.pipeline.flush_rollups()
    return city


@pytest.fixture
def forecasts(varied: City, tmp_path: Path) -> Iterator[Any]:
    """The server's live forecasts, starting each test without a model; ``use(path)`` switches the artifact."""
    live = varied.state.forecasts
    assert live is not None
    live.models_dir = tmp_path / "no-models"

    def use(artifact: Path | None) -> None:
        live.artifact_path = artifact
        varied.state.pipeline.flush_rollups()
        live.refresh()

    use(None)
    yield use
    use(None)


def train_artifact(city: City, folder: Path, *, age: timedelta = timedelta(0)) -> Path:
    """A ridge fitted on three synthetic days of the city's detectors (km/h, 5 min), written as
    ``tamna forecast train`` writes it, ``age`` ago."""
    sensor_ids = tuple(sorted(city.sensor_of.values()))
    link_of = {sensor: link for link, sensor in city.sensor_of.items()}
    steps = 3 * 288
    rng = np.random.default_rng(3)
    minutes = np.arange(steps)[:, None] * 5
    dip = 0.4 * np.exp(-((((minutes % 1440) - 480) / 60.0) ** 2))
    freeflow = np.array([city.freeflow(link_of[s]) for s in sensor_ids])[None, :]
    values = np.round(freeflow * (0.85 - dip + rng.normal(0, 0.03, (steps, len(sensor_ids)))), 2)
    series = SensorSeries(
        name="dashboard",
        sensor_ids=sensor_ids,
        start=floor_time(utcnow(), timedelta(days=1)) - timedelta(days=3),
        interval=timedelta(minutes=5),
        values=values,
        adjacency=np.eye(len(sensor_ids)),
        unit="km/h",
    )
    model = create("ridge")
    model.fit(series)
    return write_artifact(model, series, folder, trained_rows=steps, metrics={}, now=utcnow() - age)


def api(city: City, path: str) -> Any:
    with urllib.request.urlopen(city.url + path, timeout=10) as answer:
        return json.loads(answer.read())


def open_link(page: Any, city: City, link: str) -> None:
    geometry = city.links[link].geometry
    point = page.evaluate(
        LINK_POINT_JS, {"id": link, "start": list(geometry[0]), "end": list(geometry[-1]), "fraction": 0.75}
    )
    assert point, f"no point on screen picks link {link} alone"
    page.mouse.click(point["x"], point["y"])
    wait_until(page, "(id) => document.getElementById('details').dataset.id === id", arg=link)


def drawn_forecast(page: Any) -> list[dict[str, float]]:
    found = wait_until(page, "() => JSON.parse(document.getElementById('chart').dataset.forecast || '[]').length")
    assert found == 4
    forecast: list[dict[str, float]] = page.evaluate("JSON.parse(document.getElementById('chart').dataset.forecast)")
    return forecast


def forecast_visibility(page: Any) -> set[str]:
    """The visibility of the forecast's map layers (one per lane count)."""
    return set(page.evaluate("tamna.forecastLayers.map((id) => tamna.map.getLayoutProperty(id, 'visibility'))"))


def band_pixels(page: Any, drawn: list[dict[str, float]]) -> int:
    """Band pixels between the first and the last horizon drawn."""
    count: int = page.evaluate(BAND_PIXELS_JS, [drawn[0]["x"], drawn[-1]["x"]])
    return count


def test_a_roads_chart_draws_the_baseline_band_after_now_and_says_no_model(
    visit: Any, varied: City, forecasts: Any
) -> None:
    page = visit().page
    link = sorted(varied.links)[2]
    served = api(varied, f"/api/v1/forecasts?link_id={link}")
    assert [f["horizon_min"] for f in served] == [15, 30, 45, 60]
    assert all(f["fallback"] and f["model"] == "last-value" for f in served)
    open_link(page, varied, link)
    drawn = drawn_forecast(page)
    at = {f["horizon_min"]: f for f in drawn}
    served_at = {f["horizon_min"]: f for f in served}
    assert served_at[30]["upper_kmh"] > served_at[30]["lower_kmh"]  # the uneven hours give the baseline an error
    assert at[30]["yLower"] - at[30]["yUpper"] >= 2  # canvas y grows downwards
    assert at[15]["x"] < at[30]["x"] < at[60]["x"]
    assert band_pixels(page, drawn) > 30, "no band drawn after now"
    note = page.locator("#forecast-note")
    assert note.is_visible()
    assert note.get_attribute("data-state") == "baseline"
    text = note.inner_text()
    assert "baseline (no model)" in text and "no trained model" in text and "baseline's recent errors" in text


def test_a_trained_model_is_named_and_its_validation_band_drawn(
    visit: Any, varied: City, forecasts: Any, tmp_path: Path
) -> None:
    forecasts(train_artifact(varied, tmp_path / "models"))
    link = sorted(varied.links)[4]
    served = api(varied, f"/api/v1/forecasts?link_id={link}")
    assert all(not f["fallback"] and f["model"] == "ridge" for f in served), served
    page = visit().page
    open_link(page, varied, link)
    drawn = drawn_forecast(page)
    assert band_pixels(page, drawn) > 30
    note = page.locator("#forecast-note")
    assert note.get_attribute("data-state") == "model"
    assert "model ridge" in note.inner_text() and "validation errors" in note.inner_text()
    assert "baseline" not in note.inner_text()


def test_a_stale_model_falls_back_to_the_baseline_and_says_so(
    visit: Any, varied: City, forecasts: Any, tmp_path: Path
) -> None:
    forecasts(train_artifact(varied, tmp_path / "models", age=timedelta(days=60)))
    page = visit().page
    link = sorted(varied.links)[6]
    open_link(page, varied, link)
    drawn_forecast(page)
    note = page.locator("#forecast-note")
    assert note.get_attribute("data-state") == "stale"
    assert "stale model" in note.inner_text() and "trained 60 days ago" in note.inner_text()


def test_the_speed_in_30_min_layer_colours_links_by_their_forecast(visit: Any, varied: City, forecasts: Any) -> None:
    # one road jams and clears within the current 5-minute interval: now it flows (green), but the interval's
    # mean, which the baseline holds for the next 30 minutes, is slow (amber)
    link = sorted(varied.links)[8]
    start = floor_time(utcnow(), timedelta(minutes=5))
    while utcnow() < start + timedelta(seconds=2):
        time.sleep(0.2)
    varied.push({link: 0.2 * varied.freeflow(link)}, at=start)
    varied.push({link: 0.95 * varied.freeflow(link)}, at=start + timedelta(seconds=1))
    forecasts(None)
    ahead = {f["link_id"]: f for f in api(varied, "/api/v1/forecasts?horizon_min=30")}
    assert 0.5 <= ahead[link]["speed_kmh"] / varied.freeflow(link) < 0.75

    page = visit().page
    assert forecast_visibility(page) == {"none"}
    toggle = page.locator("input[data-layer=forecast]")
    toggle.check()
    assert forecast_visibility(page) == {"visible"}
    wait_until(page, "(n) => tamna.forecasts.shown.size === n", arg=len(ahead))
    for link_id, row in ahead.items():
        ratio = page.evaluate("(id) => tamna.map.getFeatureState({source: 'links', id}).forecast", link_id)
        assert ratio == pytest.approx(row["speed_kmh"] / varied.freeflow(link_id)), link_id
    assert page.locator("#legend-title").inner_text().lower() == "speed in 30 min against free flow"
    legend = page.locator("#legend-forecast")
    assert legend.is_visible() and legend.get_attribute("data-state") == "baseline"
    assert "baseline (no model)" in legend.inner_text()
    assert page.locator("#count-forecast").inner_text() == str(len(ahead))

    geometry = varied.links[link].geometry
    point = page.evaluate(
        LINK_POINT_JS, {"id": link, "start": list(geometry[0]), "end": list(geometry[-1]), "fraction": 0.75}
    )
    assert point
    wait_until(page, "() => tamna.map.queryRenderedFeatures({layers: tamna.forecastLayers}).length > 0")
    # a 3 x 3 square on this road alone (a wider one reaches the other direction's line)
    pixels = page.evaluate(PIXELS_JS, {"x": point["cx"], "y": point["cy"], "r": 1})
    assert has_colour(pixels, AMBER) and not has_colour(pixels, GREEN), "the forecast layer is not drawn"

    toggle.uncheck()
    assert forecast_visibility(page) == {"none"}
    assert legend.is_hidden()
    pixels = page.evaluate(PIXELS_JS, {"x": point["cx"], "y": point["cy"], "r": 1})
    assert has_colour(pixels, GREEN) and not has_colour(pixels, AMBER), "the live colour is not back"
