"""The twin's state, options and run summary: plain values the runtime, the API and the CLI share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TwinStatus(StrEnum):
    """Where the twin is in its life."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    ERROR = "error"


@dataclass(frozen=True)
class TwinOptions:
    """How to run. ``speed`` is simulated seconds per wall second; 0 runs as fast as possible."""

    speed: float = 10.0
    interval_s: float = 60.0
    all_vehicles: bool = False
    until_s: float | None = None
    start_paused: bool = False
    #: the signal controller every controllable signal starts under (a registered name or ``best``); None: the
    #: network's own programs, no Tamna control (an operator can still switch single signals)
    controller: str | None = None
    #: give emergency vehicles green ahead of them at the signals Tamna controls
    preemption: bool = True


@dataclass(frozen=True)
class TwinSnapshot:
    """The twin's state at one moment, for the API and the CLI."""

    scenario: str
    status: TwinStatus
    error: str | None
    sim_seconds: float
    time: datetime
    speed: float
    paused: bool
    vehicles_running: int
    begin_s: float
    end_s: float | None
    detectors: int
    active_incidents: int


@dataclass
class RunSummary:
    """What a run did and how fast it went."""

    scenario: str
    status: TwinStatus
    error: str | None
    begin_s: float
    reached_s: float
    wall_s: float
    steps: int
    departed: int
    arrived: int
    teleports: int
    detectors: int
    readings: int
    records_stored: int
    records_rejected: int
    positions: int
    ticks: int

    @property
    def simulated_s(self) -> float:
        """Simulated seconds covered."""
        return self.reached_s - self.begin_s

    @property
    def speed(self) -> float:
        """Simulated seconds per wall second while running (pauses excluded)."""
        return self.simulated_s / self.wall_s if self.wall_s > 0 else math.inf

    def lines(self) -> list[str]:
        """A short report for a person."""
        stored = f", {self.records_stored:,} stored, {self.records_rejected:,} refused" if self.readings else ""
        return [
            f"scenario {self.scenario}: {self.status.value}" + (f" ({self.error})" if self.error else ""),
            f"simulated {self.begin_s:g}–{self.reached_s:g} s ({self.simulated_s:,.0f} s, {self.steps:,} steps) "
            f"in {self.wall_s:.2f} s wall: {self.speed:,.0f}× real time",
            f"vehicles: {self.departed:,} departed, {self.arrived:,} arrived, {self.teleports:,} teleported",
            f"detectors: {self.detectors:,}; readings {self.readings:,}{stored}; bus fixes {self.positions:,}",
        ]


@dataclass
class RunCounters:
    """What a run has done so far (kept by the runtime under its lock)."""

    steps: int = 0
    departed: int = 0
    arrived: int = 0
    teleports: int = 0
    readings: int = 0
    positions: int = 0
    ticks: int = 0
    running: int = 0
    wall_s: float = 0.0


@dataclass
class Control:
    """What operators change from other threads (guarded by the runtime's lock)."""

    speed: float
    paused: bool
    pending_steps: int = 0
    stopping: bool = False
    rebase: bool = True
    status: TwinStatus = TwinStatus.IDLE
    error: str | None = None
