"""Helpers for the dashboard tests: a real uvicorn server in a thread, Debian's Chromium, and page probes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page

from tamna.api.live import end_streams

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: Colours the map draws (web/src/map.js), as RGB.
RED, AMBER, GREEN, GREY = (239, 68, 68), (245, 158, 11), (34, 197, 94), (70, 84, 108)
BACKGROUND = (11, 18, 32)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        end_streams(app)  # as `tamna serve` does on a stop signal
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def open_dashboard(browser: Browser, url: str, *, width: int = 1600, height: int = 900) -> Iterator[Page]:
    """The dashboard at ``url`` in a fresh browser context, once its map is ready; fails the test afterwards if the
    page raised any script error meanwhile."""
    context = browser.new_context(viewport={"width": width, "height": height})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(url + "/")
    opened.wait_for_selector("html[data-ready='1']", state="attached", timeout=20_000)
    try:
        yield opened
    finally:
        context.close()
    assert not errors, errors


def wait_until(page: Page, expression: str, *, timeout_s: float = 10.0, arg: Any = None) -> Any:
    """Evaluate ``expression`` (a JS function of ``arg``) until it returns something truthy; return that.

    The page's Content-Security-Policy forbids eval, which Playwright's ``wait_for_function`` needs, so this
    polls with ``evaluate`` instead.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {expression}")
        time.sleep(0.03)


#: A point just beside a link's line at ``fraction`` of its length, on the side where it is drawn (traffic keeps
#: right, so each direction is offset to its right), chosen so that only this link is under it.
LINK_POINT_JS = """
({id, start, end, fraction}) => {
  const map = tamna.map;
  const a = map.project(start), b = map.project(end);
  const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy);
  const nx = -dy / len, ny = dx / len;
  const rect = map.getCanvas().getBoundingClientRect();
  const layers = [...tamna.linkLayers, 'sensors', 'buses', 'incidents'];
  for (const along of [fraction, 0.75, 0.15, 0.85]) {
    for (const off of [2, 1.5, 2.5, 3, 1, 3.5, 4]) {
      const x = a.x + dx * along + nx * off, y = a.y + dy * along + ny * off;
      const hits = map.queryRenderedFeatures([x, y], {layers});
      if (hits.length && hits.every((h) => tamna.linkLayers.includes(h.layer.id) && h.properties.id === id)) {
        return {x: x + rect.left, y: y + rect.top, cx: x, cy: y};
      }
    }
  }
  return null;
}
"""

#: The RGBA pixels of a small square of the map canvas around a point, read right after a frame is drawn
#: (the drawing buffer is only valid then).
PIXELS_JS = """
({x, y, r}) => new Promise((resolve) => {
  const map = tamna.map;
  const canvas = map.getCanvas();
  const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
  map.once('render', () => {
    const ratio = canvas.width / canvas.clientWidth;
    const size = 2 * r + 1;
    const pixels = new Uint8Array(4 * size * size);
    gl.readPixels(Math.round(x * ratio) - r, Math.round(canvas.height - y * ratio) - r, size, size,
                  gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    resolve(Array.from(pixels));
  });
  map.triggerRepaint();
})
"""


def has_colour(pixels: list[int], colour: tuple[int, int, int], tolerance: float = 24.0) -> bool:
    """True when some pixel shows ``colour``: lines a pixel or two wide are anti-aliased, so a pixel is taken as
    the background blended with the colour at some coverage (at least 40 %), give or take ``tolerance``."""
    span = [c - b for c, b in zip(colour, BACKGROUND, strict=True)]
    norm = sum(d * d for d in span)
    for i in range(0, len(pixels), 4):
        seen = [pixels[i + k] - BACKGROUND[k] for k in range(3)]
        coverage = sum(s * d for s, d in zip(seen, span, strict=True)) / norm
        if coverage < 0.4:
            continue
        residual = sum((s - min(coverage, 1.0) * d) ** 2 for s, d in zip(seen, span, strict=True)) ** 0.5
        if residual <= tolerance:
            return True
    return False
