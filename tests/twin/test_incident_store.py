"""Incidents in the store, on both backends: inserted, then replaced by id when their status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tamna.domain.safety import Incident, IncidentStatus
from tamna.store import Store


def test_incidents_are_stored_and_updated_by_id(store: Store) -> None:
    first = Incident(
        id="twin-1",
        kind="lane_closure",
        reported_at=datetime(2026, 11, 24, 22, 5, tzinfo=UTC),
        lon=126.53,
        lat=33.5,
        link_id="A1B1",
        description="simulated: lane 0 of A1B1 closed for 600 s",
    )
    later = first.model_copy(
        update={"id": "twin-2", "kind": "stopped_vehicle", "reported_at": first.reported_at + timedelta(minutes=3)}
    )
    store.upsert_incident(first)
    store.upsert_incident(later)
    assert [i.id for i in store.incidents()] == ["twin-2", "twin-1"]  # newest first
    store.upsert_incident(first.model_copy(update={"status": IncidentStatus.CLEARED}))
    stored = {i.id: i for i in store.incidents()}
    assert stored["twin-1"] == first.model_copy(update={"status": IncidentStatus.CLEARED})
    assert stored["twin-2"] == later
    assert [i.id for i in store.incidents(limit=1)] == ["twin-2"]
