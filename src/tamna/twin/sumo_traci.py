"""A SUMO program of another version, driven through TraCI behind the interface Tamna uses of libsumo.

Tamna runs the SUMO it installs (1.28) in-process through libsumo. Published benchmark figures were measured on
the SUMO of their day (RESCO: 1.9), and the simulator's version alone moves them: cologne1 under its own signal
plan loses 43 s per vehicle in SUMO 1.28 and 56 s in SUMO 1.9.2 (docs/benchmarks.md). To compare like with
like, an evaluation can run against any ``sumo`` binary (``tamna signals evaluate --sumo PATH``): this module
starts it as a TraCI server and offers the domains (``lane``, ``trafficlight``, ``simulation`` …) under the
names libsumo gives them, so the episode, the controllers and the metrics run unchanged.

What differs between versions and is handled here: the binary's version (``sumo --version``); the tripinfo of
vehicles that never departed, asked only of SUMO 1.28 and newer (1.9.2 lists the option but answers "a value
for write-unfinished was already set"), so before 1.28 the episode counts them from the route files instead
(:attr:`TraciSumo.writes_undeparted`, :func:`tamna.signals.metrics.never_inserted`), as RESCO's own reading of
its runs does; the loops' period attribute; a loop's count in the current interval, which older versions cannot
give (:class:`_InductionLoops`); and XML validation (older versions fetch schemas from the web, which is not
reachable).
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from tamna.twin.errors import TwinError

#: a time this close to a step's end is the step's end itself (see :class:`_LoopCount`)
_SAME_INSTANT_S = 1e-6
#: SUMO options given only to versions from the one named (older: dropped, with their value)
_FROM_VERSION = {"--tripinfo-output.write-undeparted": (1, 28, 0)}


@functools.cache
def version_of(binary: Path) -> tuple[int, ...]:
    """The version of the SUMO program at ``binary`` (``(1, 9, 2)``)."""
    text = _run(binary, "--version")
    found = re.search(r"Eclipse SUMO sumo (?:Version )?(\d+)\.(\d+)\.(\d+)", text)
    if found is None:
        raise TwinError(f"{binary}: not a SUMO program (its --version does not say 'Eclipse SUMO sumo x.y.z')")
    return tuple(int(part) for part in found.groups())


def _run(binary: Path, flag: str) -> str:
    if not binary.is_file():
        raise TwinError(f"no SUMO program at {binary}")
    try:
        done = subprocess.run([str(binary), flag], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603 - the operator's own SUMO binary, no shell
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TwinError(f"{binary}: could not run it ({err})") from err
    return done.stdout + done.stderr


class _LoopCount:
    """The passages over one loop, from the vehicle data it reports each step: (vehicle, length, entry time,
    leave time or -1 while on it, type) for each passage that touched the step (one passage is reported by as
    many steps as it touches; a vehicle whose route crosses the loop twice, twice).

    SUMO counts every vehicle that comes onto a loop, driving or changing lanes, but one that leaves it other
    than by driving on (changing lanes, arriving), and gives such a one the end of the step as its leave time.
    A vehicle that drives off leaves at a time interpolated within the step, which only now and then falls on
    the step's end: so a passage whose leave time is a step's end is looked into once, by where its vehicle is
    now (another lane of the loop's road, or gone: it left otherwise, and is not counted)."""

    __slots__ = ("_left_otherwise", "_looked_into", "lane", "passages", "road")

    def __init__(self, lane: str) -> None:
        self.lane = lane
        self.road = _road_of(lane)
        #: (vehicle, entry time) of each passage counted
        self.passages: set[tuple[str, float]] = set()
        self._looked_into: set[tuple[str, float]] = set()
        self._left_otherwise: set[tuple[str, float]] = set()

    def see(
        self,
        data: list[tuple[str, float, float, float, str]],
        at_boundary: Callable[[float], bool],
        lane_of: Callable[[str], str],
    ) -> None:
        """Take a step's data; ``lane_of(vehicle)``: the lane it is on now ("" when it is in none)."""
        for vehicle, _length, entry, leave, _type in data:
            passage = (vehicle, entry)
            if leave >= 0 and at_boundary(leave):
                if passage not in self._looked_into:
                    self._looked_into.add(passage)
                    now_on = lane_of(vehicle)
                    if not now_on or (now_on != self.lane and _road_of(now_on) == self.road):
                        self._left_otherwise.add(passage)
                if passage in self._left_otherwise:
                    self.passages.discard(passage)
                    continue
            self.passages.add(passage)


def _road_of(lane: str) -> str:
    """The road (edge) of a lane: SUMO names a lane ``<edge>_<index>``."""
    return lane.rpartition("_")[0]


class _InductionLoops:
    """TraCI's induction-loop domain, with the vehicles a loop counted in the current interval
    (``getIntervalVehicleNumber``, what ``webster`` measures flows with) counted here where the program cannot
    answer it (SUMO 1.9.2 answers "unsupported variable"): asked once before the first step; where it cannot,
    every loop's vehicle data come with each step's answer from then on (a subscription: no round trip of its
    own) and are counted as SUMO counts (:class:`_LoopCount`)."""

    #: ask the program whether it counts intervals (tests set False to have the counting done here regardless)
    ask_program: ClassVar[bool] = True

    def __init__(self, traci: Any, at_boundary: Callable[[float], bool]) -> None:
        self._traci = traci
        self._domain = traci.inductionloop
        self._at_boundary = at_boundary
        #: per loop, where the counting is done here; None: the program counts
        self._counts: dict[str, _LoopCount] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._domain, name)

    def begin(self) -> None:
        """Before the first step: whether the program counts intervals, else start counting every loop here."""
        loops = list(self._domain.getIDList())
        if not loops:
            return
        if self.ask_program:
            try:
                self._domain.getIntervalVehicleNumber(loops[0])
            except self._traci.exceptions.TraCIException:
                pass
            else:
                return
        self._counts = {}
        data = self._traci.constants.LAST_STEP_VEHICLE_DATA
        for loop_id in loops:
            self._counts[loop_id] = _LoopCount(self._domain.getLaneID(loop_id))
            self._domain.subscribe(loop_id, [data])

    def getIntervalVehicleNumber(self, loop_id: str) -> int:  # noqa: N802 - libsumo's name
        if self._counts is None:
            return int(self._domain.getIntervalVehicleNumber(loop_id))
        counted = self._counts.get(loop_id)
        if counted is None:
            raise self._traci.exceptions.TraCIException(f"Induction loop '{loop_id}' is not known")
        return len(counted.passages)

    def stepped(self) -> None:
        """Take what the loops counted here saw in the step just done."""
        if not self._counts:
            return
        data = self._traci.constants.LAST_STEP_VEHICLE_DATA
        for loop_id, values in self._domain.getAllSubscriptionResults().items():
            counted = self._counts.get(loop_id)
            if counted is not None:
                counted.see(values[data], self._at_boundary, self._lane_of)

    def _lane_of(self, vehicle: str) -> str:
        try:
            return str(self._traci.vehicle.getLaneID(vehicle))
        except self._traci.exceptions.TraCIException:
            return ""  # arrived: gone from the network


class _Simulation:
    """TraCI's simulation domain with libsumo's ``step()`` and ``isLoaded()``."""

    def __init__(self, traci: Any) -> None:
        self._traci = traci
        self.loops = _InductionLoops(traci, self.at_boundary)
        # where the simulation stands, counted rather than asked (a question per step costs a round trip)
        self._begin_s = self._step_s = 0.0
        self._steps = -1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._traci.simulation, name)

    def step(self) -> None:
        if self._steps < 0:
            self._begin_s = float(self._traci.simulation.getTime())
            self._step_s = float(self._traci.simulation.getDeltaT())
            self._steps = 0
            self.loops.begin()
        self._traci.simulationStep()
        self._steps += 1
        self.loops.stepped()

    @property
    def reached_s(self) -> float | None:
        """The simulated time of the last step done (None: none yet)."""
        return self._begin_s + self._steps * self._step_s if self._steps >= 0 else None

    def at_boundary(self, time_s: float) -> bool:
        """Whether ``time_s`` is the end of a step (within a microsecond)."""
        if self._steps < 0:
            return False
        steps = (time_s - self._begin_s) / self._step_s
        return abs(steps - round(steps)) < _SAME_INSTANT_S

    def isLoaded(self) -> bool:  # noqa: N802 - libsumo's name
        return bool(self._traci.isLoaded())


class TraciSumo(ModuleType):
    """libsumo's interface over a TraCI connection to the SUMO program at ``binary``. One per episode."""

    def __init__(self, binary: Path) -> None:
        super().__init__("tamna_traci_sumo")
        import traci

        self.binary = binary
        self.version = version_of(binary)
        self._traci: Any = traci
        self.simulation = _Simulation(traci)
        self.inductionloop = self.simulation.loops

    def __getattr__(self, name: str) -> Any:
        return getattr(self._traci, name)

    def start(self, args: list[str]) -> None:
        """Start the program with libsumo's ``start`` arguments (the first, the program name, is replaced). Its
        console output and TraCI's connection retries are kept off standard output, which belongs to the
        command (``--json``); SUMO's errors go to the error log as with libsumo."""
        command = [str(self.binary), *self.supported(args[1:]), "--xml-validation", "never"]
        with contextlib.redirect_stdout(io.StringIO()):  # TraCI prints "Retrying in 1 seconds" while it connects
            self._traci.start(command, stdout=subprocess.DEVNULL)

    def close(self) -> None:
        self._traci.close()

    def failure(self, err: BaseException) -> str | None:
        """What ``err`` means when it is the program going away mid-run (SUMO 1.9.2 segfaults on some states
        of cologne3), with where it was; None for any other error. TraCI itself only says "Connection closed
        by SUMO." from whichever call came next."""
        if not isinstance(err, self._traci.exceptions.FatalTraCIError):
            return None
        reached = self.simulation.reached_s
        where = f"after {reached:g} s of the simulation" if reached is not None else "before its first step"
        program = f"SUMO {'.'.join(map(str, self.version))} ({self.binary})"
        return f"{program} stopped {where} without an error in its log: it crashed or was killed ({err})"

    def supported(self, args: list[str]) -> list[str]:
        """``args`` without the options this version is not given (see :data:`_FROM_VERSION`)."""
        kept: list[str] = []
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg in _FROM_VERSION and self.version < _FROM_VERSION[arg]:
                skip = True  # and its value
            else:
                kept.append(arg)
        return kept

    @property
    def writes_undeparted(self) -> bool:
        """Whether this version writes the vehicles that never departed into its tripinfo."""
        return self.version >= _FROM_VERSION["--tripinfo-output.write-undeparted"]

    @property
    def loop_period_attribute(self) -> str:
        """What an induction loop's aggregation period is called in the loops written for this program:
        ``freq``, which SUMO 1.9 requires and 1.28 still reads (1.28 writes ``period``)."""
        return "freq"
