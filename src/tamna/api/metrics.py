"""Prometheus metrics of the running API, rendered without a global registry (one per app)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tamna.api.state import AppState


class RequestCounter:
    """Requests by method, route template and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str, int]] = Counter()
        self.seconds: dict[tuple[str, str], float] = {}

    def add(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request."""
        with self._lock:
            self.counts[(method, route, status)] += 1
            self.seconds[(method, route)] = self.seconds.get((method, route), 0.0) + seconds

    def snapshot(self) -> tuple[dict[tuple[str, str, int], int], dict[tuple[str, str], float]]:
        """A consistent copy."""
        with self._lock:
            return dict(self.counts), dict(self.seconds)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render_metrics(state: AppState) -> str:
    """The text exposition format."""
    received, stored, rejected = state.pipeline.stats.snapshot()
    lines = [
        "# HELP tamna_ingest_received_total Records received, by ingest path.",
        "# TYPE tamna_ingest_received_total counter",
        *(f'tamna_ingest_received_total{{path="{_label(p)}"}} {n}' for p, n in sorted(received.items())),
        "# HELP tamna_ingest_stored_total Observations stored, by ingest path.",
        "# TYPE tamna_ingest_stored_total counter",
        *(f'tamna_ingest_stored_total{{path="{_label(p)}"}} {n}' for p, n in sorted(stored.items())),
        "# HELP tamna_ingest_rejected_total Records refused and dead-lettered, by path and field.",
        "# TYPE tamna_ingest_rejected_total counter",
        *(
            f'tamna_ingest_rejected_total{{path="{_label(p)}",field="{_label(f)}"}} {n}'
            for (p, f), n in sorted(rejected.items())
        ),
    ]
    counter: RequestCounter = state.requests
    counts, seconds = counter.snapshot()
    lines += [
        "# HELP tamna_http_requests_total HTTP requests, by method, route and status.",
        "# TYPE tamna_http_requests_total counter",
        *(
            f'tamna_http_requests_total{{method="{m}",route="{_label(r)}",status="{s}"}} {n}'
            for (m, r, s), n in sorted(counts.items())
        ),
        "# HELP tamna_http_request_seconds_total Time spent serving requests, by method and route.",
        "# TYPE tamna_http_request_seconds_total counter",
        *(
            f'tamna_http_request_seconds_total{{method="{m}",route="{_label(r)}"}} {v:.6f}'
            for (m, r), v in sorted(seconds.items())
        ),
        "# HELP tamna_mqtt_connected Whether the MQTT subscriber is connected (1) or not (0).",
        "# TYPE tamna_mqtt_connected gauge",
        f"tamna_mqtt_connected {int(state.mqtt is not None and state.mqtt.connected.is_set())}",
    ]
    return "\n".join(lines) + "\n"
