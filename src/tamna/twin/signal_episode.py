"""One evaluation episode: a scenario in SUMO (libsumo, in this process) under a controller, with the benchmark's
settings, from the scenario's begin to its end; the figures come from SUMO's trip information.

Everything that can be checked is checked before libsumo sees a file (a broken configuration or network can
crash it rather than raise); SUMO is closed and the process-wide reservation released whatever happens.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

from tamna.signals.controller import ControllerKind, ControlSettings
from tamna.signals.errors import NoSignalsError, SignalsError, SimulationFailed
from tamna.signals.evaluation import NETWORK_PROGRAM, EpisodeSettings, RunResult
from tamna.signals.metrics import never_inserted, read_tripinfo, read_vehicle_trips
from tamna.signals.model import Intersection
from tamna.signals.preemption import PreemptionRules
from tamna.signals.registry import controller_kind, resolve
from tamna.signals.safety import ClearanceMonitor
from tamna.twin import sumo as sumo_access
from tamna.twin.detectors import stopline_loops, write_loops
from tamna.twin.emergency import EMERGENCY_PREFIX, insert_emergency_vehicles
from tamna.twin.errors import TwinError
from tamna.twin.netfile import read_net
from tamna.twin.scenario import Scenario
from tamna.twin.signal_driver import SignalDriver
from tamna.twin.sumo_traci import TraciSumo

log = logging.getLogger(__name__)

TRIPINFO = "tripinfo.xml"
LOOPS = "signal-loops.add.xml"


def run_episode(
    scenario: Scenario, controller: str | None, work_dir: Path, settings: EpisodeSettings | None = None
) -> RunResult:
    """Run ``scenario`` under ``controller`` (a registered name or ``best``; None: the network's own programs,
    untouched) and return its figures. SUMO's outputs go to ``work_dir``."""
    settings = settings or EpisodeSettings()
    name = resolve(controller) if controller is not None else NETWORK_PROGRAM
    kind = controller_kind(name) if controller is not None else None
    end_s = settings.until_s if settings.until_s is not None else scenario.end_s
    if end_s is None:
        raise SignalsError(f"scenario {scenario.config}: it has no end time; give one (--until)")
    if end_s <= scenario.begin_s:
        raise SignalsError(f"the episode's end {end_s:g} s is not after the scenario's begin {scenario.begin_s:g} s")
    try:
        net = read_net(scenario.net_file)
    except TwinError as err:
        raise SignalsError(str(err)) from err
    if net.signals == 0:
        raise NoSignalsError(f"{scenario.net_file}: the network has no traffic lights to control")
    work_dir.mkdir(parents=True, exist_ok=True)
    sumo = _simulator(settings)
    # loops count arrivals over the whole episode (one interval), so any two observations can be differenced
    loops = stopline_loops(net, scenario.name, period_s=end_s - scenario.begin_s + 1.0)
    write_loops(
        work_dir / LOOPS,
        loops,
        note="stop-line loops for signal control, written by Tamna",
        period_attribute=getattr(sumo, "loop_period_attribute", "period"),
    )
    error_log = work_dir / sumo_access.ERROR_LOG
    error_log.write_text("", encoding="utf-8")
    args = sumo_access.command_line(scenario.config, [*scenario.additional_files, work_dir / LOOPS], error_log)
    args += _episode_options(settings, work_dir / TRIPINFO, end_s)
    owner = f"signal evaluation of {scenario.name}"
    with sumo_access.started(sumo, args, error_log, owner, refused=load_refused(scenario)):
        try:
            result = _loop(sumo, scenario, name, kind, settings, end_s, {loop.lane: loop.sumo_id for loop in loops})
        except SignalsError:
            raise
        except Exception as err:  # SUMO's own failures while running
            gone = sumo.failure(err) if isinstance(sumo, TraciSumo) else None  # the program itself went away
            message = sumo_access.error_message(error_log, TwinError(gone) if gone else err)
            raise SimulationFailed(f"SUMO failed running {scenario.config}: {message}") from err
    pending: list[float] = []
    if not getattr(sumo, "writes_undeparted", True):  # an older SUMO: the vehicles it never inserted, counted
        pending = never_inserted(work_dir / TRIPINFO, scenario.route_files, begin_s=scenario.begin_s, end_s=end_s)
    exclude = EMERGENCY_PREFIX if settings.emergency else None
    trips = read_tripinfo(work_dir / TRIPINFO, end_s=end_s, pending_departs_s=pending, exclude_prefix=exclude)
    if settings.emergency:
        emergency = read_vehicle_trips(work_dir / TRIPINFO, EMERGENCY_PREFIX)
        return RunResult(trips=trips, emergency=tuple(emergency), **result)
    return RunResult(trips=trips, **result)


def load_refused(scenario: Scenario) -> Callable[[str], SignalsError]:
    """The error for SUMO refusing to load ``scenario``, given SUMO's reason."""

    def refused(reason: str) -> SignalsError:
        return SignalsError(f"SUMO could not load {scenario.config}: {reason}")

    return refused


def _simulator(settings: EpisodeSettings) -> ModuleType:
    """The installed SUMO through libsumo, or the program ``settings.sumo_binary`` names through TraCI."""
    if settings.sumo_binary is None:
        return sumo_access.libsumo()
    try:
        return TraciSumo(settings.sumo_binary)
    except TwinError as err:
        raise SignalsError(str(err)) from err


def run_episode_isolated(
    scenario: Scenario,
    controller: str | None,
    work_dir: Path,
    settings: EpisodeSettings | None = None,
    *,
    timeout_s: float | None = None,
) -> RunResult:
    """:func:`run_episode` in a fresh process, which is ended afterwards whatever happens (a timeout included).

    libsumo keeps some state from one simulation to the next inside a process (seen on cologne1: the same
    seed and plan gave 513 or 507 arrivals on a second load, never on the first; the trips there are routed
    by SUMO's routing device at insertion), so figures that must be reproducible each get their own process.
    """
    context = multiprocessing.get_context("spawn")  # a fork would inherit this process's libsumo state
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_episode_in_child, args=(sender, scenario, controller, work_dir, settings), daemon=True
    )
    process.start()
    sender.close()  # the child holds the only sending end now: its exit closes the pipe
    try:
        # an answer, or the process's end without one (a crash inside SUMO), or the time limit
        multiprocessing.connection.wait([receiver, process.sentinel], timeout_s)
        if receiver.poll():
            try:
                outcome, payload = receiver.recv()
            except EOFError:  # the pipe closed without an answer: the child ended before sending one
                process.join(timeout=5)
                raise SimulationFailed(
                    f"the episode on {scenario.config} ended without a result "
                    f"(its process exited with {process.exitcode} before running it)"
                ) from None
            except Exception as err:  # what the child sent cannot be rebuilt here
                raise SignalsError(
                    f"the episode on {scenario.config} ended, but its result could not be read: {err}"
                ) from err
            if outcome == "error":
                raise payload
            assert isinstance(payload, RunResult)
            return payload
        if process.is_alive():
            # past the time limit; without one, only a child that could not start its work gets here (a script
            # that spawns episodes without an ``if __name__ == "__main__"`` guard)
            limit = f"within {timeout_s:g} s" if timeout_s is not None else "(its process did not start the episode)"
            raise SimulationFailed(f"the episode on {scenario.config} did not end {limit}")
        raise SimulationFailed(
            f"the episode on {scenario.config} ended without a result (its process exited with {process.exitcode})"
        )
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        receiver.close()


def _episode_in_child(
    sender: Connection, scenario: Scenario, controller: str | None, work_dir: Path, settings: EpisodeSettings | None
) -> None:
    """:func:`run_episode_isolated`'s child: sends back ``("result", RunResult)`` or ``("error", exception)``."""
    try:
        sender.send(("result", run_episode(scenario, controller, work_dir, settings)))
    except BaseException as err:  # noqa: BLE001 - whatever it is, the parent must hear of it rather than wait
        try:
            sender.send(("error", err))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its message then
            sender.send(("error", SignalsError(f"{type(err).__name__}: {err}")))
    finally:
        sender.close()


def _episode_options(settings: EpisodeSettings, tripinfo: Path, end_s: float) -> list[str]:
    args = ["--seed", str(settings.seed), "--end", f"{end_s:g}"]
    args += ["--time-to-teleport", f"{settings.time_to_teleport_s:g}"]
    args += ["--tripinfo-output", str(tripinfo)]
    args += ["--tripinfo-output.write-unfinished", "true", "--tripinfo-output.write-undeparted", "true"]
    if settings.emissions:
        args += ["--device.emissions.probability", "1"]
    return args


def _loop(
    sumo: ModuleType,
    scenario: Scenario,
    name: str,
    kind: ControllerKind | None,
    settings: EpisodeSettings,
    end_s: float,
    loops: dict[str, str],
) -> dict[str, Any]:
    simulation: Any = sumo.simulation
    begin = float(simulation.getTime())
    control_settings = ControlSettings(
        settings.decision_step_s,
        dict(settings.params),
        artifact=settings.artifact,
        # another SUMO than the installed one: the parameters learned in that release
        sumo_version=".".join(map(str, sumo.version)) if isinstance(sumo, TraciSumo) else None,
    )
    preemption = PreemptionRules() if settings.preemption else None
    driver = SignalDriver(
        sumo,
        loops,
        rules=settings.rules,
        settings=control_settings,
        now_s=begin,
        controller=kind.name if kind is not None and settings.signal_ids is None else None,
        preemption=preemption,
    )
    intersections = list(driver.intersections.values())
    if kind is not None and not intersections:
        raise NoSignalsError(
            f"{scenario.net_file}: none of its {driver.signals} traffic lights has two green phases to choose between"
        )
    if kind is not None and settings.signal_ids is not None:
        _take_subset(sumo, driver, kind.name, settings.signal_ids, begin)
    if settings.preemption and kind is None:
        raise SignalsError("preemption needs a Tamna controller (fixed-time runs the network's own plan)")
    insert_emergency_vehicles(
        sumo,
        intersections,
        settings.emergency,
        seed=settings.seed,
        first_s=begin + settings.emergency_first_s,
        every_s=settings.emergency_every_s,
    )
    adapter, control = driver.adapter, driver.control
    # the network's own program is SUMO's business; the monitors check what Tamna's controllers show
    checked = [i for i in intersections if settings.signal_ids is None or i.id in settings.signal_ids]
    monitors = _monitors(checked) if settings.check_safety else {}
    teleports, queue_total, queue_samples = 0, 0, 0
    next_sample = begin
    control_wall = step_wall = 0.0
    clock = time.perf_counter
    started = clock()
    now = begin
    while now < end_s - 1e-9:
        before = clock()
        driver.step(now)
        control_wall += clock() - before
        for signal_id, monitor in monitors.items():
            monitor.observe(now, adapter.state(signal_id))
        if now >= next_sample - 1e-9:
            queue_total += adapter.queue()
            queue_samples += 1
            next_sample += settings.queue_sample_s
        before = clock()
        simulation.step()
        step_wall += clock() - before
        teleports += int(simulation.getStartingTeleportNumber())
        now = float(simulation.getTime())
    wall = time.perf_counter() - started
    violations = [v for m in monitors.values() for v in m.finish(now)]
    # a trained controller says where its parameters came from (TunedPressure.source)
    sources = {str(getattr(c, "source", "")) for c in control.controllers.values()} - {""}
    return {
        "scenario": scenario.name,
        "controller": name,
        "seed": settings.seed,
        "begin_s": begin,
        "end_s": now,
        "signals": driver.signals,
        "controlled": driver.controlled,
        "mean_queue_veh": queue_total / queue_samples if queue_samples else 0.0,
        "teleports": teleports,
        "decisions": control.decisions,
        "overrides": dict(control.overrides()),
        "wall_s": wall,
        "control_wall_s": control_wall,
        "step_wall_s": step_wall,
        "safety_violations": tuple(violations),
        "preemption": settings.preemption,
        "parameters": tuple(sorted(sources)),
    }


def _take_subset(sumo: ModuleType, driver: SignalDriver, name: str, signal_ids: Sequence[str], now_s: float) -> None:
    """Put only ``signal_ids`` under ``name``; the others keep the network's program. An id the network lacks is
    refused; a signal with fewer than two green phases keeps its own program."""
    known = set(sumo.trafficlight.getIDList())
    unknown = sorted(set(signal_ids) - known)
    if unknown:
        raise SignalsError(f"no traffic light {', '.join(unknown)} in the network (it has {len(known)})")
    for signal_id in dict.fromkeys(signal_ids):
        if signal_id in driver.intersections:
            driver.assign(signal_id, name, now_s)
        else:
            log.info("signal %s has fewer than two green phases: it keeps its own program", signal_id)


def _monitors(intersections: list[Intersection]) -> dict[str, ClearanceMonitor]:
    return {i.id: ClearanceMonitor(i) for i in intersections}
