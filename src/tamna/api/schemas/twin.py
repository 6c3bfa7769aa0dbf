"""Request and response bodies of the digital twin's endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tamna.twin.status import TwinSnapshot


class TwinState(BaseModel):
    """The running twin: scenario, simulation clock, speed and health."""

    scenario: str
    status: str = Field(description="starting, running, paused, finished, stopped or error")
    error: str | None = Field(description="why the simulation stopped, when it failed")
    time: datetime = Field(description="the simulation clock (the platform's now while the twin runs), UTC")
    sim_seconds: float = Field(description="simulated seconds since local midnight of the simulated day")
    speed: float = Field(description="simulated seconds per wall second; 0 runs as fast as possible")
    paused: bool
    vehicles_running: int
    begin_s: float
    end_s: float | None
    detectors: int
    active_incidents: int

    @classmethod
    def of(cls, snapshot: TwinSnapshot) -> TwinState:
        """From the runtime's snapshot."""
        return cls(
            scenario=snapshot.scenario,
            status=snapshot.status.value,
            error=snapshot.error,
            time=snapshot.time,
            sim_seconds=snapshot.sim_seconds,
            speed=snapshot.speed,
            paused=snapshot.paused,
            vehicles_running=snapshot.vehicles_running,
            begin_s=snapshot.begin_s,
            end_s=snapshot.end_s,
            detectors=snapshot.detectors,
            active_incidents=snapshot.active_incidents,
        )


class TwinControl(BaseModel):
    """Pause, resume or single-step the simulation, and/or change its speed."""

    action: Literal["pause", "resume", "step"] | None = None
    speed: float | Literal["max"] | None = Field(
        default=None, description='simulated seconds per wall second (e.g. 10); 0 or "max": as fast as possible'
    )


class IncidentCreate(BaseModel):
    """An incident to put into the simulation."""

    kind: Literal["lane_closure", "stopped_vehicle"]
    link_id: str = Field(min_length=1, max_length=128, description="the SUMO edge (= link id)")
    lane_index: int | None = Field(default=None, ge=0, le=15, description="default: the rightmost lane (0)")
    duration_s: float = Field(gt=0, le=7 * 86400, description="simulated seconds until it clears")
