"""Server-Sent Events: a hub that fans events out to clients through bounded queues, and the response that
streams one client's queue.

Everything here runs on the server's event loop; threads hand events in through ``loop.call_soon_threadsafe``
(see :mod:`tamna.api.live`). A client that falls ``queue_size`` events behind is dropped rather than buffered:
its browser reconnects by itself and reloads the current state, so memory stays bounded and nothing is shown
out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)

#: Tells the browser how long to wait before reconnecting (milliseconds).
RETRY_MS = 2000
_CLOSE = b""


def sse_frame(event: str, data: bytes) -> bytes:
    """One SSE message. ``data`` must be a single line (compact JSON is).

    >>> sse_frame("kpis", b'{"a":1}')
    b'event: kpis\\ndata: {"a":1}\\n\\n'
    """
    return b"event: " + event.encode("ascii") + b"\ndata: " + data + b"\n\n"


class SseClient:
    """One connected browser: its queue of frames waiting to be sent."""

    def __init__(self, queue_size: int) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_size)
        self.dropped = False


class SseHub:
    """The set of connected clients. Loop-thread only."""

    def __init__(self, *, max_clients: int = 256, queue_size: int = 64, heartbeat_s: float = 15.0) -> None:
        self.max_clients = max_clients
        self.queue_size = queue_size
        self.heartbeat_s = heartbeat_s
        self._clients: set[SseClient] = set()
        #: clients dropped for falling behind, since start
        self.dropped_total = 0

    @property
    def clients(self) -> int:
        """How many clients are connected."""
        return len(self._clients)

    @property
    def full(self) -> bool:
        """True when no more clients are admitted."""
        return len(self._clients) >= self.max_clients

    def connect(self) -> SseClient:
        """Register a new client."""
        client = SseClient(self.queue_size)
        self._clients.add(client)
        return client

    def disconnect(self, client: SseClient) -> None:
        """Forget a client (idempotent)."""
        self._clients.discard(client)

    def publish(self, event: str, data: bytes) -> None:
        """Queue one event for every client; clients whose queue is full are dropped."""
        frame = sse_frame(event, data)
        for client in list(self._clients):
            try:
                client.queue.put_nowait(frame)
            except asyncio.QueueFull:
                self._drop(client)

    def close(self) -> None:
        """End every stream (server shutdown)."""
        for client in list(self._clients):
            self._drop(client, overflow=False)

    def _drop(self, client: SseClient, *, overflow: bool = True) -> None:
        self._clients.discard(client)
        client.dropped = overflow
        self.dropped_total += overflow
        while not client.queue.empty():  # make room for the end marker; what was queued is no longer needed
            client.queue.get_nowait()
        client.queue.put_nowait(_CLOSE)


class EventStreamResponse(Response):
    """A response streaming one client's events until the browser leaves or the hub drops it.

    It watches for ``http.disconnect`` itself instead of waiting for a failed write, so a closed tab is forgotten
    at once rather than at the next heartbeat.
    """

    media_type = "text/event-stream"

    def __init__(self, hub: SseHub) -> None:
        # no body and so no content-length: the stream is open-ended
        self.hub = hub
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache, no-transform", "x-accel-buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = self.hub.connect()
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            opening = f"retry: {RETRY_MS}\n: connected\n\n".encode()
            await send({"type": "http.response.body", "body": opening, "more_body": True})
            stream = asyncio.ensure_future(self._pump(client, send))
            watch = asyncio.ensure_future(_wait_disconnect(receive))
            try:
                await asyncio.wait((stream, watch), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (stream, watch):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, OSError):
                        await task
        except OSError:
            pass  # the browser left before the first byte
        finally:
            self.hub.disconnect(client)

    async def _pump(self, client: SseClient, send: Send) -> None:
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that arrives with a
            # frame, and this pump would then outlive its stream
            frame = b": keep-alive\n\n"  # what goes out if nothing came: proxies close idle connections
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.hub.heartbeat_s):
                    frame = await client.queue.get()
            if frame == _CLOSE:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send({"type": "http.response.body", "body": frame, "more_body": True})


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
