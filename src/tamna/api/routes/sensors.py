"""Sensors: list (public) and registration (operator)."""

from __future__ import annotations

from fastapi import APIRouter

from tamna.api.deps import PUBLIC, Operator, State
from tamna.domain.sensors import Sensor

router = APIRouter(prefix="/api/v1", tags=["sensors"])


@router.get("/sensors", openapi_extra=PUBLIC)
def list_sensors(state: State) -> list[Sensor]:
    """Every registered sensor."""
    return state.store.sensors()


@router.get("/sensors/{sensor_id}", openapi_extra=PUBLIC)
def get_sensor(sensor_id: str, state: State) -> Sensor:
    """One sensor."""
    return state.store.sensor(sensor_id)


@router.post("/sensors")
def register_sensors(sensors: list[Sensor], state: State, key: Operator) -> dict[str, int]:
    """Register or update sensors (by id)."""
    written = state.store.upsert_sensors(sensors)
    state.pipeline.reload_sensors()
    state.bus.publish("sensors.changed", {"count": written, "by": key.id})
    return {"registered": written}
