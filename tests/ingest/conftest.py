"""An ingest pipeline over the small city's store, with a clock fixed at Monday 2026-03-02 12:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tamna.core.events import EventBus
from tamna.ingest.pipeline import IngestPipeline
from tamna.store import Store


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def pipeline(city_store: Store, now: datetime) -> IngestPipeline:
    return IngestPipeline(city_store, EventBus(), future_tolerance_s=300, clock=lambda: now)
