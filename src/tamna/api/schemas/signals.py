"""Request and response bodies of the signal endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tamna.twin.signal_driver import SignalView


class SignalOut(BaseModel):
    """A signalised intersection of the twin and who controls it."""

    id: str
    lon: float | None
    lat: float | None
    controller: str = Field(description="the controller in charge, or network-program (the network's own plan)")
    controllable: bool = Field(description="whether a Tamna controller can take it (two or more green phases)")
    phase: int = Field(description="green phase index under a Tamna controller; program phase index otherwise")
    phase_name: str
    state: str = Field(description="the signal state now, one SUMO character per link (G/g green, y yellow, r red)")
    stage: str = Field(description="green, yellow or all-red")
    in_phase_s: float = Field(description="seconds in the current phase or clearance")
    held: int | None = Field(description="the phase an operator holds, if any")
    preempted: int | None = Field(description="the phase given to an emergency vehicle now, if any")
    phases: int = Field(description="green phases a controller chooses between (0: not controllable)")

    @classmethod
    def of(cls, view: SignalView) -> SignalOut:
        """From the twin's view of the signal."""
        return cls(
            id=view.signal_id,
            lon=view.lon,
            lat=view.lat,
            controller=view.controller,
            controllable=view.controllable,
            phase=view.phase,
            phase_name=view.phase_name,
            state=view.state,
            stage=view.stage,
            in_phase_s=round(view.in_phase_s, 1),
            held=view.held,
            preempted=view.preempted,
            phases=view.phases,
        )


class ControllerOut(BaseModel):
    """A registered signal controller."""

    name: str
    summary: str = Field(description="what it does, in one line")


class ControllersOut(BaseModel):
    """The controllers an operator may put a signal under, besides ``network_program``."""

    controllers: list[ControllerOut]
    best: str = Field(description="the controller that `best` stands for (Tamna's recommendation)")
    network_program: str = Field(description="the name that hands a signal back to the network's own plan")


class SignalCommand(BaseModel):
    """Exactly one of: ``controller`` (a registered name, ``best``, or ``network-program``), or ``hold`` (a green
    phase index to hold; ``null`` releases the hold)."""

    model_config = ConfigDict(extra="forbid")

    controller: str | None = Field(default=None, min_length=1, max_length=64)
    hold: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def one_command(self) -> SignalCommand:
        given = self.model_fields_set & {"controller", "hold"}
        if len(given) != 1 or ("controller" in given and self.controller is None):
            raise ValueError('give either "controller": NAME or "hold": PHASE (null releases the hold)')
        return self
