"""The city's live picture, kept current from the event bus: what changed on which links, and the KPIs.

Bus handlers here only record facts (a tick's vehicle count, a stale cache); the store is read when someone asks,
so a publisher on the ingest path never waits for a query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from tamna.core.events import Event, EventBus
from tamna.domain.observations import LinkState
from tamna.store.base import Store
from tamna.traffic.kpis import LIVE_WINDOW_S, CityKpis, LinkSize, city_kpis, link_sizes


class LiveCity:
    """Live link states and KPIs over a store. Thread-safe; one per running API."""

    def __init__(self, store: Store, clock: Callable[[], datetime], *, window_s: int = LIVE_WINDOW_S) -> None:
        self.store = store
        self.clock = clock
        self.window_s = window_s
        self._lock = threading.Lock()
        self._sizes: dict[str, LinkSize] | None = None
        self._sensor_links: dict[str, str | None] | None = None
        self._vehicles: int | None = None

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Listen to the bus; returns a function that stops listening."""
        stops = [
            bus.subscribe("network.changed", self._forget_network),
            bus.subscribe("sensors.changed", self._forget_sensors),
            bus.subscribe("twin.tick", self._on_tick),
        ]

        def detach() -> None:
            for stop in stops:
                stop()

        return detach

    # ---- bus handlers (any thread) ---------------------------------------------------------------------
    def _forget_network(self, _event: Event) -> None:
        with self._lock:
            self._sizes = None

    def _forget_sensors(self, _event: Event) -> None:
        with self._lock:
            self._sensor_links = None

    def _on_tick(self, event: Event) -> None:
        running = event.payload.get("vehicles_running")
        with self._lock:
            self._vehicles = int(running) if isinstance(running, int | float) else None

    # ---- reads -------------------------------------------------------------------------------------------
    @property
    def vehicles_in_network(self) -> int | None:
        """Vehicles in the digital twin at its last tick; None when no twin has ticked."""
        with self._lock:
            return self._vehicles

    def _link_sizes(self) -> dict[str, LinkSize]:
        with self._lock:
            sizes = self._sizes
        if sizes is None:
            sizes = link_sizes(self.store.network())
            with self._lock:
                self._sizes = sizes
        return sizes

    def links_of(self, sensor_ids: Iterable[str]) -> set[str]:
        """The links that the given sensors measure (sensors on no link are left out)."""
        wanted = set(sensor_ids)
        with self._lock:
            mapping = self._sensor_links
        if mapping is None or not wanted <= mapping.keys():  # registered since we last looked
            mapping = {sensor.id: sensor.link_id for sensor in self.store.sensors()}
            with self._lock:
                self._sensor_links = mapping
        return {link for sensor in wanted if (link := mapping.get(sensor)) is not None}

    def live_states(self) -> list[LinkState]:
        """States of links with a reading inside the live window."""
        return self.store.latest_link_states(since=self.clock() - timedelta(seconds=self.window_s))

    def kpis(self, states: list[LinkState] | None = None) -> CityKpis:
        """The city's KPIs now (from ``states`` when the caller has just read them)."""
        now = self.clock()
        if states is None:
            states = self.store.latest_link_states(since=now - timedelta(seconds=self.window_s))
        return city_kpis(
            states,
            self._link_sizes(),
            time=now,
            window_s=self.window_s,
            alerts_open=self.store.count_open_alerts(),
            vehicles_in_network=self.vehicles_in_network,
        )

    def refresh(self, sensor_ids: Iterable[str]) -> tuple[list[LinkState], CityKpis]:
        """After readings from ``sensor_ids`` were stored: the live states of their links, and the new KPIs.

        One query serves both: the KPIs need every live link anyway, and the changed links are a filter of it.
        """
        changed = self.links_of(sensor_ids)
        states = self.live_states()
        return [state for state in states if state.link_id in changed], self.kpis(states)
