"""The event bus delivers to every listener, and a failing listener costs the publisher nothing."""

from __future__ import annotations

import logging

import pytest

from tamna.core.events import Event, EventBus


def test_a_failing_handler_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe("observations.stored", broken)
    bus.subscribe("observations.stored", lambda e: seen.append(f"topic:{e.payload['count']}"))
    bus.subscribe("*", lambda e: seen.append(f"all:{e.topic}"))
    with caplog.at_level(logging.ERROR, logger="tamna.core.events"):
        event = bus.publish("observations.stored", {"count": 3})
    assert seen == ["topic:3", "all:observations.stored"]
    assert event.topic == "observations.stored"
    assert event.at.tzinfo is not None
    assert "observations.stored" in caplog.text
    assert "listener bug" in caplog.text


def test_only_the_topic_and_star_listeners_hear_an_event() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe("alerts.raised", lambda e: seen.append("alerts"))
    bus.subscribe("observations.stored", lambda e: seen.append("observations"))
    bus.publish("observations.stored", {})
    assert seen == ["observations"]


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[object] = []
    unsubscribe = bus.subscribe("x", lambda e: seen.append(e.payload["n"]))
    bus.publish("x", {"n": 1})
    unsubscribe()
    unsubscribe()  # twice is harmless
    bus.publish("x", {"n": 2})
    assert seen == [1]
