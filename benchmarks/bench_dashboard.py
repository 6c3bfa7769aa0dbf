"""The operations dashboard in headless Chromium (Debian's, through Playwright) against a real server process.

1. First render: a network of 5,040 directed links (a 36 × 36 street grid, both directions, 1–3 lanes), 1,008
   detectors with a live reading (so links are coloured), and 300 buses. Measured from navigation start to the
   page's ``tamna:links-drawn`` mark: the map idle with every source set and links on screen. Each run is a
   fresh browser context (empty HTTP cache); one unreported warm-up load first.
   Target (issue): <= 2 s.
2. End to end: a detector reading POSTed to ``/api/v1/observations`` (by the page itself, so that both ends
   are read on one clock) until the frame that draws the link in its new colour. Meanwhile the 300 buses move
   once a second, as the twin would send them. Target (issue): <= 1 s.

The server is this script in ``--serve`` mode: ``create_app`` on a DuckDB file, under uvicorn. Beside the first
render, the same load of a bare MapLibre page drawing only the links (``engine_floor_ms``) shows what the map
engine alone costs on the machine at that moment; Chromium renders WebGL in software here (SwiftShader), so other
work on the machine weighs on both.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness
from harness import Figure

GRID = 36  # nodes a side: 2 × 2 × 36 × 35 = 5,040 links
BUSES = 300
DETECTOR_EVERY = 5  # one link in five has a detector
SPACING_DEG = 0.0018  # ~170-200 m at Jeju's latitude
ORIGIN = (126.47, 33.47)
TARGET_RENDER_MS = 2000
TARGET_LATENCY_MS = 1000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# ---- the city ------------------------------------------------------------------------------------------
def grid_network() -> Any:
    from tamna.domain.network import Link, Node, RoadNetwork

    rng = random.Random(7)
    nodes = [
        Node(id=f"n{i}-{j}", lon=ORIGIN[0] + i * SPACING_DEG, lat=ORIGIN[1] + j * SPACING_DEG * 0.84)
        for i in range(GRID)
        for j in range(GRID)
    ]
    at = {node.id: node for node in nodes}
    links = []
    for i in range(GRID):
        for j in range(GRID):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= GRID or j + dj >= GRID:
                    continue
                a, b = at[f"n{i}-{j}"], at[f"n{i + di}-{j + dj}"]
                lanes = rng.choice((1, 1, 2, 2, 3))
                freeflow = float(rng.choice((30, 40, 50, 60)))
                for start, end in ((a, b), (b, a)):
                    links.append(
                        Link(
                            id=f"{start.id}_{end.id}",
                            from_node=start.id,
                            to_node=end.id,
                            geometry=[(start.lon, start.lat), (end.lon, end.lat)],
                            lanes=lanes,
                            length_m=180.0,
                            freeflow_speed_kmh=freeflow,
                            name=f"Street {i}-{j}",
                        )
                    )
    return RoadNetwork(nodes=nodes, links=links)


def build_city(db: Path) -> tuple[str, list[str]]:
    """Write the city into a DuckDB file; return an operator key and the measured link ids."""
    from tamna.api.keys import create_api_key
    from tamna.domain.access import Role
    from tamna.domain.sensors import Sensor, SensorKind
    from tamna.ingest.pipeline import IngestPipeline
    from tamna.store.base import open_store

    store = open_store(str(db))
    store.migrate()
    network = grid_network()
    store.upsert_network(network)
    measured = network.links[::DETECTOR_EVERY]
    store.upsert_sensors([Sensor(id=f"d-{link.id}", kind=SensorKind.RADAR, link_id=link.id) for link in measured])
    pipeline = IngestPipeline(store)
    now = datetime.now(UTC) - timedelta(minutes=2)
    rng = random.Random(11)
    pipeline.ingest_records(
        [
            {"sensor_id": f"d-{link.id}", "time": now.isoformat(), "speed_kmh": rng.uniform(8, 60), "flow_vph": 700}
            for link in measured
        ],
        source="bench",
    )
    key, _ = create_api_key(store, Role.OPERATOR, "bench dashboard")
    store.close()
    return key, [link.id for link in measured]


def buses(tick: int) -> list[dict[str, Any]]:
    """300 buses going round their own loops."""
    span = (GRID - 1) * SPACING_DEG
    out = []
    for n in range(BUSES):
        angle = 2 * math.pi * (n / BUSES) + tick * 0.01
        radius = 0.15 + 0.3 * ((n * 37) % 100) / 100
        out.append(
            {
                "vehicle_id": f"bus-{n}",
                "kind": "bus",
                "time": datetime.now(UTC).isoformat(),
                "lon": ORIGIN[0] + span * (0.5 + radius * math.cos(angle)),
                "lat": ORIGIN[1] + span * 0.84 * (0.5 + radius * math.sin(angle)),
                "speed_kmh": 25.0,
                "route_id": str(300 + n % 40),
            }
        )
    return out


# ---- the server process -------------------------------------------------------------------------------
def serve(db: Path, port: int) -> None:
    """``--serve``: the API on ``db`` with buses moving once a second on its bus (as the twin publishes them)."""
    import uvicorn

    from tamna.api.app import build_state, create_app
    from tamna.core.settings import Settings

    settings = Settings(db=str(db), data_dir=db.parent, env="test")
    state = build_state(settings)
    app = create_app(settings, app_state=state)
    stop = threading.Event()

    def drive() -> None:
        tick = 0
        while not stop.wait(1.0):
            tick += 1
            state.bus.publish("vehicles.positions", {"time": datetime.now(UTC).isoformat(), "positions": buses(tick)})

    threading.Thread(target=drive, daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    stop.set()


# ---- measuring -------------------------------------------------------------------------------------------
#: The engine's floor, for reading the figure on a busy machine: MapLibre alone drawing the same links on the
#: same canvas, no other layer, no live data, timed the same way.
FLOOR_HTML = """<!doctype html><html><head><link rel="stylesheet" href="/vendor/maplibre-gl/maplibre-gl.css">
<link rel="preload" href="/api/v1/network" as="fetch" crossorigin="anonymous">
<style>html,body{margin:0;height:100%}</style></head><body><div id="m" style="width:1500px;height:1030px"></div>
<script type="module">
import * as ml from '/vendor/maplibre-gl/maplibre-gl.mjs';
ml.prewarm();
const net = await (await fetch('/api/v1/network')).json();
const bounds = new ml.LngLatBounds();
for (const f of net.features) for (const p of f.geometry.coordinates) bounds.extend(p);
const map = new ml.Map({container: 'm', bounds, fitBoundsOptions: {padding: 24}, fadeDuration: 0,
  attributionControl: false, style: {version: 8, sources: {links: {type: 'geojson', data: net}},
  layers: [{id: 'links', type: 'line', source: 'links', paint: {'line-color': '#888', 'line-width': 2}}]}});
map.once('idle', () => { performance.mark('tamna:links-drawn'); document.documentElement.dataset.ready = '1'; });
</script></body></html>"""
PUSH_JS = """
async ({key, sensor, link, speed}) => {
  const sentAt = performance.timeOrigin + performance.now();
  const answer = await fetch('/api/v1/observations', {
    method: 'POST',
    headers: {'content-type': 'application/json', authorization: `Bearer ${key}`},
    body: JSON.stringify([{sensor_id: sensor, time: new Date().toISOString(), speed_kmh: speed}]),
  });
  if (!answer.ok) throw new Error(`push answered ${answer.status}`);
  return sentAt;
}
"""
DRAWN_JS = """
([link, after]) => tamna.linkDraws.find((d) => d.links.includes(link) && d.receivedAt >= after) || null
"""


def wait_for(page: Any, expression: str, arg: Any, timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(expression, arg)
        if value:
            return value
        time.sleep(0.01)
    raise TimeoutError(expression)


def first_render(browser: Any, url: str, bus_json: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    # the twin's vehicle list, served as GET /api/v1/vehicles would be with 300 buses running
    page.route("**/api/v1/vehicles", lambda route: route.fulfill(content_type="application/json", body=bus_json))
    page.goto(url + "/")
    page.wait_for_selector("html[data-ready='1']", state="attached", timeout=60_000)
    timing = page.evaluate(
        """() => ({
          drawn: performance.getEntriesByName('tamna:links-drawn')[0].startTime,
          dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
          network: performance.getEntriesByType('resource').find((r) => r.name.endsWith('/api/v1/network')).responseEnd,
          links: tamna.links.size, coloured: tamna.states.size, buses: tamna.buses,
        })"""
    )
    context.close()
    return timing


def floor_render(browser: Any, url: str) -> float:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.route(url + "/__floor", lambda route: route.fulfill(content_type="text/html", body=FLOOR_HTML))
    page.goto(url + "/__floor")
    page.wait_for_selector("html[data-ready='1']", state="attached", timeout=60_000)
    drawn: float = page.evaluate("performance.getEntriesByName('tamna:links-drawn')[0].startTime")
    context.close()
    return drawn


def latencies(browser: Any, url: str, key: str, links: list[str], pushes: int, bus_json: str) -> list[dict[str, float]]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.route("**/api/v1/vehicles", lambda route: route.fulfill(content_type="application/json", body=bus_json))
    page.goto(url + "/")
    page.wait_for_selector("html[data-ready='1']", state="attached", timeout=60_000)
    wait_for(page, "() => tamna.streamStatus === 'live'", None)
    rng = random.Random(3)
    out = []
    for _ in range(pushes):
        link = rng.choice(links)
        sent = page.evaluate(PUSH_JS, {"key": key, "sensor": f"d-{link}", "link": link, "speed": rng.uniform(5, 60)})
        drawn = wait_for(page, DRAWN_JS, [link, sent])
        out.append({"received_ms": drawn["receivedAt"] - sent, "drawn_ms": drawn["drawnAt"] - sent})
        time.sleep(0.7 + rng.random() * 0.6)  # readings arrive at random moments, not in step with the feed
    context.close()
    return out


def main() -> None:
    ap = harness.parser(__doc__ or "", runs=5)
    ap.add_argument("--pushes", type=int, default=10, help="detector readings per latency run")
    ap.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return
    from playwright.sync_api import sync_playwright

    load_at_start = os.getloadavg()[0]

    with harness.scratch("tamna-bench-dashboard-") as folder:
        db = folder / "city.duckdb"
        key, measured = build_city(db)
        port = harness.free_port()
        log = (folder / "serve.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(db), str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=folder
        )
        url = f"http://127.0.0.1:{port}"
        try:
            harness_wait(url, server, folder)
            bus_json = json.dumps(buses(0))
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                first_render(browser, url, bus_json)  # warm-up: server caches, Chromium's own start-up
                renders, floors = [], []
                for _ in range(args.runs):  # interleaved, so that both see the same moments of the machine's load
                    renders.append(first_render(browser, url, bus_json))
                    floors.append(round(floor_render(browser, url), 1))
                runs = [latencies(browser, url, key, measured, args.pushes, bus_json) for _ in range(args.runs)]
                version = browser.version
                browser.close()
        finally:
            server.send_signal(2)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()

    render_ms = [round(r["drawn"], 1) for r in renders]
    run_medians = [round(harness.median([p["drawn_ms"] for p in run]), 1) for run in runs]
    every = [p["drawn_ms"] for run in runs for p in run]
    figures = [
        Figure(
            "dashboard first render (5,040 links, 300 buses)",
            harness.median(render_ms),
            "ms",
            TARGET_RENDER_MS,
            "lower",
            render_ms,
        ),
        Figure(
            "reading pushed → drawn on the map",
            harness.median(run_medians),
            "ms",
            TARGET_LATENCY_MS,
            "lower",
            run_medians,
            note=f"median of each run's {args.pushes} pushes",
        ),
    ]
    document = {
        "benchmark": "dashboard",
        "command": harness.command_line(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**harness.machine(), "chromium": version},
        "runs": args.runs,
        # other work on the machine slows a software-rendered browser most: the load says whether there was any
        "load_average_1m": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)},
        "figures": [{**f.__dict__, "met": f.met} for f in figures],
        "details": {
            "links": renders[0]["links"],
            "links_coloured_at_start": renders[0]["coloured"],
            "buses": renders[0]["buses"],
            "first_render_runs": renders,
            "engine_floor_ms": {"median": harness.median(floors), "runs": floors},
            "dom_content_loaded_ms": harness.median([r["dom"] for r in renders]),
            "network_geojson_loaded_ms": harness.median([r["network"] for r in renders]),
            "latency_drawn": harness.percentiles([ms / 1000 for ms in every]),
            "latency_received": harness.percentiles([p["received_ms"] / 1000 for run in runs for p in run]),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "dashboard.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(json.dumps(document, indent=2, default=str))
    print(f"-> {path}", file=sys.stderr)


def harness_wait(url: str, server: subprocess.Popen[bytes], folder: Path, timeout_s: float = 60.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {(folder / 'serve.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


if __name__ == "__main__":
    main()
