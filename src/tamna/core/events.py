"""The in-process event bus: rooms announce what happened; others listen without importing each other."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tamna.core.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, under a dotted ``topic`` such as ``observations.stored``."""

    topic: str
    payload: dict[str, Any]
    at: Any = field(default_factory=utcnow)


Handler = Callable[[Event], None]


class EventBus:
    """Synchronous publish/subscribe. A failing handler is logged and never breaks the publisher."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for every event on ``topic`` (``*`` for all); returns an unsubscribe function."""
        with self._lock:
            self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[topic]:
                    self._handlers[topic].remove(handler)

        return unsubscribe

    def publish(self, topic: str, payload: dict[str, Any]) -> Event:
        """Deliver an event to the topic's handlers and to the ``*`` handlers."""
        event = Event(topic=topic, payload=payload)
        with self._lock:
            handlers = [*self._handlers.get(topic, ()), *self._handlers.get("*", ())]
        for handler in handlers:
            try:
                handler(event)
            except Exception:  # a listener's bug must not lose the publisher's data
                log.exception("event handler failed for %s", topic)
        return event
