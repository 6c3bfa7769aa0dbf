"""Evaluating controllers: the benchmark's episode settings, one run's result, and their summary over seeds.

The episode itself runs in the SUMO twin (:func:`tamna.twin.signal_episode.run_episode`): the twin may use this
room, never the other way round, so what is here holds no simulator.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tamna.signals.metrics import TripStats, VehicleTrip
from tamna.signals.program import TimingRules

#: the name a run without any Tamna controller reports: SUMO runs the network's programs by itself
NETWORK_PROGRAM = "network-program"


@dataclass(frozen=True)
class EpisodeSettings:
    """How an episode runs. The defaults are RESCO's: teleporting off, a decision every 10 s, the whole window
    of the scenario; the yellow is the program's own unless set (RESCO uses 3 s; 2 s on arterial4x4)."""

    seed: int = 1
    decision_step_s: float = 10.0
    rules: TimingRules = field(default_factory=TimingRules)
    #: stop here (scenario seconds) instead of at the scenario's end
    until_s: float | None = None
    #: SUMO's ``--time-to-teleport``; negative: never teleport a stuck vehicle (RESCO)
    time_to_teleport_s: float = -1.0
    #: CO2 through SUMO's emission device (costs some speed)
    emissions: bool = True
    #: check every step's signal states against the safety rules (tests; costs some speed)
    check_safety: bool = False
    params: Mapping[str, float] = field(default_factory=dict)
    #: a trained controller's artifact folder (``tamna signals train``)
    artifact: Path | None = None
    #: how often the queue on the controlled approaches is sampled, seconds
    queue_sample_s: float = 10.0
    #: emergency vehicles to send through the signals (``tamna.twin.emergency``); 0: none
    emergency: int = 0
    #: the first leaves this many seconds after the begin, the next ones ``emergency_every_s`` apart
    emergency_first_s: float = 120.0
    emergency_every_s: float = 180.0
    #: give emergency vehicles green ahead of them (``tamna.signals.preemption``)
    preemption: bool = False
    #: put only these traffic lights (SUMO ids) under the controller; every other signal keeps the network's
    #: program (a corridor against the rest of a city). None: every controllable signal
    signal_ids: Sequence[str] | None = None
    #: run this SUMO program through TraCI instead of the installed SUMO through libsumo (another version, to
    #: compare with figures published on it; see ``tamna.twin.sumo_traci``)
    sumo_binary: Path | None = None


@dataclass(frozen=True)
class RunResult:
    """One episode's figures."""

    scenario: str
    controller: str
    seed: int
    begin_s: float
    end_s: float
    signals: int
    controlled: int
    trips: TripStats
    #: mean number of standing vehicles on the controlled approach lanes, over the sampled instants
    mean_queue_veh: float
    teleports: int
    decisions: int
    overrides: Mapping[str, int]
    wall_s: float
    safety_violations: Sequence[str] = ()
    #: wall seconds spent on signal control within ``wall_s``: the controllers, their safety timers, the
    #: detector readings they ask of SUMO and the states shown
    control_wall_s: float = 0.0
    #: wall seconds inside SUMO's own simulation steps within ``wall_s`` (the rest of ``wall_s`` is the
    #: harness's own sampling: queues, teleports, the safety monitor)
    step_wall_s: float = 0.0
    #: whether the signals preempted for emergency vehicles
    preemption: bool = False
    #: the inserted emergency vehicles' trips (``trips`` then covers the other vehicles only)
    emergency: Sequence[VehicleTrip] = ()
    #: where a trained controller took its parameters: artifact folder names, or "starting point"
    parameters: Sequence[str] = ()

    @property
    def sim_per_wall_s(self) -> float:
        """Simulated seconds per wall second of the simulation loop (controller included)."""
        return (self.end_s - self.begin_s) / self.wall_s if self.wall_s > 0 else math.inf

    @property
    def control_cost_pct(self) -> float:
        """What signal control added to the simulation's own time, percent: the controllers' cost to the
        simulation speed, measured within one run (two runs under different controllers move different traffic,
        and SUMO's step costs more with more vehicles in the network). Against the time inside SUMO's steps alone:
        counting the harness's own sampling as SUMO's time would make the cost look smaller than it is."""
        simulation = self.step_wall_s if self.step_wall_s > 0 else self.wall_s - self.control_wall_s
        return self.control_wall_s / simulation * 100.0 if simulation > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["sim_per_wall_s"] = round(self.sim_per_wall_s, 1)
        data["control_cost_pct"] = round(self.control_cost_pct, 1)
        data["safety_violations"] = list(self.safety_violations)
        data["emergency"] = [asdict(trip) for trip in self.emergency]
        data["parameters"] = list(self.parameters)
        return data


#: the figures summarised over seeds: name → how to read it from a run
FIGURES: dict[str, str] = {
    "delay_s": "average delay per vehicle (RESCO), s",
    "trip_time_s": "average trip time (arrived), s",
    "waiting_s": "average waiting time, s",
    "mean_queue_veh": "mean queue on controlled approaches, vehicles",
    "arrived": "throughput: trips completed",
    "teleports": "teleports",
    "co2_kg": "CO2, kg",
    "sim_per_wall_s": "simulation speed, simulated s per wall s",
    "control_cost_pct": "time signal control adds to the simulation's, %",
}


def figure(run: RunResult, name: str) -> float:
    """One figure of a run by its :data:`FIGURES` name."""
    if name == "mean_queue_veh":
        return run.mean_queue_veh
    if name == "teleports":
        return float(run.teleports)
    if name == "sim_per_wall_s":
        return run.sim_per_wall_s
    if name == "control_cost_pct":
        return run.control_cost_pct
    return float(getattr(run.trips, name))


@dataclass(frozen=True)
class Spread:
    """Mean and sample standard deviation over seeds (0 for one seed)."""

    mean: float
    sd: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.2f} ± {self.sd:.2f}" if self.n > 1 else f"{self.mean:.2f}"


def summarise(runs: Sequence[RunResult]) -> dict[str, Spread]:
    """Every figure of :data:`FIGURES` over ``runs``."""
    summary = {}
    for name in FIGURES:
        values = [figure(run, name) for run in runs]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        summary[name] = Spread(statistics.fmean(values), sd, len(values))
    return summary
