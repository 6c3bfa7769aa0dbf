"""Running the API under uvicorn so that it stops at once even while dashboards hold event streams open.

uvicorn lets open requests finish before it stops, and an event stream never finishes by itself. So when a stop is
asked for (Ctrl+C, SIGTERM) the streams are ended first, and browsers reconnect to whichever server answers next;
anything still open after ``SHUTDOWN_GRACE_S`` is cut.
"""

from __future__ import annotations

from types import FrameType

from fastapi import FastAPI

from tamna.api.live import end_streams

SHUTDOWN_GRACE_S = 5


def run(app: FastAPI, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve ``app`` until a stop signal."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            end_streams(app)
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    Server(config).run()
