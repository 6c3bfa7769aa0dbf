"""Signal operations as the platform records them: who changed which signal's control, when, and to what."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class SignalAction(StrEnum):
    """What an operator did to a signal."""

    CONTROLLER = "controller"
    HOLD = "hold"
    RELEASE = "release"


class SignalChange(BaseModel):
    """One logged change of a signal's control (the audit trail of ``PUT /api/v1/signals/{id}/controller``)."""

    id: str
    #: when the operator made it (wall clock, UTC)
    at: datetime
    #: the simulated time it took effect at, when the signal is in the digital twin
    sim_time: datetime | None = None
    scenario: str | None = None
    signal_id: str
    action: SignalAction
    #: the controller in charge before and after
    previous: str
    controller: str
    #: the phase held (``hold``), or released (``release``)
    phase: int | None = None
    #: who: the API key's public id, name and role
    key_id: str
    key_name: str
    role: str
