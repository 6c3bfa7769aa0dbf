"""The twin's runtime: SUMO through libsumo on a background thread, paced to a chosen speed, feeding the platform.

Every aggregation interval it reads the detectors into observation records (handed to the ingest road through the
outbox), fixes the buses' positions (``vehicles.positions`` on the bus, and the vehicle board), and announces a
``twin.tick``. Operators pause, resume, step, change the speed and inject incidents; those commands are queued and
run on the simulation thread, the only thread that touches libsumo. A failure of SUMO or of the scenario is
logged and kept as the twin's status; it never takes the API down with it.

libsumo holds one simulation per process: a second runtime is refused until the first has stopped.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from types import ModuleType
from typing import Any, TypeVar

from tamna.core.events import EventBus
from tamna.domain.safety import Incident
from tamna.signals.preemption import PreemptionRules
from tamna.store.base import Store
from tamna.twin import sumo as sumo_access
from tamna.twin.clock import SimClock
from tamna.twin.errors import TwinConflictError, TwinError, TwinInputError
from tamna.twin.incidents import ActiveIncident, IncidentRequest, apply_incident, clear_incident
from tamna.twin.outbox import Outbox, Sink
from tamna.twin.readings import DetectorReader
from tamna.twin.setup import TwinSetup
from tamna.twin.signal_driver import SignalDriver, write_control_loops
from tamna.twin.status import Control, RunCounters, RunSummary, TwinOptions, TwinSnapshot, TwinStatus
from tamna.twin.vehicles import VehicleBoard, VehicleTracker

log = logging.getLogger(__name__)

T = TypeVar("T")
#: How long an operator's command waits for the simulation thread before giving up.
COMMAND_TIMEOUT_S = 30.0
#: Falling further behind the requested speed than this re-bases the pacing instead of racing to catch up.
MAX_LAG_S = 1.0


class TwinRuntime:
    """Runs one scenario. Build it with a prepared setup and the clock the platform uses as "now"."""

    def __init__(
        self,
        setup: TwinSetup,
        clock: SimClock,
        *,
        bus: EventBus | None = None,
        sink: Sink | None = None,
        store: Store | None = None,
        options: TwinOptions | None = None,
    ) -> None:
        self.setup = setup
        self.clock = clock
        self.bus = bus or EventBus()
        self.store = store
        self.options = options or TwinOptions()
        _check_speed(self.options.speed)
        self.vehicles = VehicleBoard()
        self.owner = f"scenario {setup.scenario.name}"
        self._sink = sink
        self._outbox: Outbox | None = None
        self._lock = threading.Lock()
        self._stepped = threading.Condition(self._lock)
        self._control = Control(speed=self.options.speed, paused=self.options.start_paused)
        self._counters = RunCounters()
        self._commands: queue.Queue[Callable[[ModuleType], None] | None] = queue.Queue()
        self._incidents: list[ActiveIncident] = []
        self._loaded = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        if self.options.controller is not None:
            from tamna.signals.registry import resolve

            resolve(self.options.controller)  # an unknown name is refused before SUMO starts
        self._signals: SignalDriver | None = None
        self._reader = DetectorReader(setup.detectors, setup.scenario.begin_s, setup.scenario.step_length_s)
        self._tracker = VehicleTracker(setup.net.projection, all_vehicles=self.options.all_vehicles)
        self._error_log = setup.cache_dir / sumo_access.ERROR_LOG
        clock.advance(setup.scenario.begin_s)

    # ---- life cycle ----------------------------------------------------------------------------------
    def start(self, *, timeout_s: float = 600.0) -> None:
        """Load the scenario in SUMO and start running; raises :class:`TwinError` when it cannot be loaded."""
        if self._thread is not None:
            raise TwinConflictError(f"the twin of {self.setup.scenario.name} has already been started")
        sumo_access.claim(self.owner)
        self._set_status(TwinStatus.STARTING)
        self._outbox = Outbox(self._sink) if self._sink is not None else None
        self._thread = threading.Thread(target=self._main, name=f"twin-{self.setup.scenario.name}", daemon=True)
        self._thread.start()
        if not self._loaded.wait(timeout_s):
            self.stop()
            raise TwinError(f"SUMO did not load {self.setup.scenario.config} within {timeout_s:g} s")
        snapshot = self.snapshot()
        if snapshot.status is TwinStatus.ERROR:
            self._thread.join(timeout=30)
            raise TwinError(snapshot.error or "SUMO could not load the scenario")

    def stop(self, *, timeout_s: float = 60.0) -> RunSummary:
        """Stop the simulation (readings already taken are still delivered) and return the summary."""
        with self._lock:
            self._control.stopping = True
        self._commands.put(None)
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        return self.summary()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the run to end by itself (end of scenario, ``until_s``, or an error)."""
        return self._finished.wait(timeout_s) if self._thread is not None else True

    def run(self) -> RunSummary:
        """Start, run to the end (or ``until_s``) and return the summary: the headless use."""
        self.start()
        self.wait()
        return self.stop()

    # ---- operator commands (any thread) --------------------------------------------------------------
    def pause(self) -> None:
        """Hold the simulation (commands such as incidents still apply while paused). Safe from a bus handler."""
        self._change(paused=True)

    def resume(self) -> None:
        """Run again at the current speed."""
        self._change(paused=False)

    def set_speed(self, speed: float) -> None:
        """Simulated seconds per wall second; 0 runs as fast as possible."""
        _check_speed(speed)
        self._change(speed=speed)

    def step(self, *, timeout_s: float = COMMAND_TIMEOUT_S) -> None:
        """Pause (if running) and advance exactly one simulation step; returns once it is done."""
        self._require_active()
        with self._lock:
            target = self._counters.steps + 1
            self._control.paused = True
            self._control.pending_steps += 1
            self._set_status_locked(TwinStatus.PAUSED)
        self._commands.put(None)
        with self._stepped:
            if not self._stepped.wait_for(lambda: self._counters.steps >= target or self._finished.is_set(), timeout_s):
                raise TwinError("the simulation did not complete the step in time")

    def control(self, action: str | None, speed: float | None = None) -> TwinSnapshot:
        """An operator's command: ``pause``, ``resume`` or ``step``, and/or a new speed."""
        if action is None and speed is None:
            raise TwinInputError("give an action (pause, resume or step), a speed, or both", field="action")
        if speed is not None:
            self.set_speed(speed)
        if action == "pause":
            self.pause()
        elif action == "resume":
            self.resume()
        elif action == "step":
            self.step()
        elif action is not None:
            raise TwinInputError(f"unknown action {action!r}: use pause, resume or step", field="action", value=action)
        return self.snapshot()

    def add_incident(self, request: IncidentRequest) -> Incident:
        """Apply an incident now; it is stored (when the twin has a store) and announced as
        ``incidents.created``."""
        if request.duration_s <= 0 or not math.isfinite(request.duration_s):
            raise TwinInputError("duration_s must be a positive number of seconds", field="duration_s")
        active = self._call(
            lambda sumo: apply_incident(
                sumo, request, net=self.setup.net, now_s=self.clock.seconds, when=self.clock.now()
            )
        )
        with self._lock:
            self._incidents.append(active)
        if self.store is not None:
            self.store.upsert_incident(active.incident)
        self.bus.publish(
            "incidents.created",
            {
                **active.incident.model_dump(mode="json"),
                "source": "twin",
                "ends": self.clock.at(active.ends_s).isoformat(),
            },
        )
        return active.incident

    @property
    def signals(self) -> SignalDriver | None:
        """The signal control of the loaded simulation (None before it loads). Touch it only through
        :meth:`call`: it lives on the simulation thread."""
        return self._signals

    def call(self, action: Callable[[ModuleType], T]) -> T:
        """Run ``action`` on the simulation thread (paused or running) and return its result or raise its error."""
        return self._call(action)

    # ---- reading the state (any thread) --------------------------------------------------------------
    def snapshot(self) -> TwinSnapshot:
        """The twin's state now."""
        scenario = self.setup.scenario
        with self._lock:
            control, running = self._control, self._counters.running
            active = len(self._incidents)
            status, error, speed, paused = control.status, control.error, control.speed, control.paused
        seconds = self.clock.seconds
        return TwinSnapshot(
            scenario=scenario.name,
            status=status,
            error=error,
            sim_seconds=seconds,
            time=self.clock.at(seconds),
            speed=speed,
            paused=paused,
            vehicles_running=running,
            begin_s=scenario.begin_s,
            end_s=self.options.until_s if self.options.until_s is not None else scenario.end_s,
            detectors=len(self.setup.detectors),
            active_incidents=active,
        )

    def summary(self) -> RunSummary:
        """What the run has done so far."""
        stats = self._outbox.stats if self._outbox is not None else None
        with self._lock:
            c = self._counters
            status, error = self._control.status, self._control.error
            return RunSummary(
                scenario=self.setup.scenario.name,
                status=status,
                error=error,
                begin_s=self.setup.scenario.begin_s,
                reached_s=self.clock.seconds,
                wall_s=c.wall_s,
                steps=c.steps,
                departed=c.departed,
                arrived=c.arrived,
                teleports=c.teleports,
                detectors=len(self.setup.detectors),
                readings=c.readings,
                records_stored=stats.stored if stats else 0,
                records_rejected=stats.rejected if stats else 0,
                positions=c.positions,
                ticks=c.ticks,
            )

    def drain(self) -> None:
        """Wait until every reading taken so far has been handed to the sink."""
        if self._outbox is not None:
            self._outbox.drain()

    # ---- the simulation thread -----------------------------------------------------------------------
    def _main(self) -> None:
        sumo = sumo_access.libsumo()
        try:
            try:
                self._load(sumo)
            except Exception as err:  # noqa: BLE001 - any load failure becomes the twin's error status
                self._fail(err)
                return
            finally:  # after the failure is recorded, so that start() sees it
                self._loaded.set()
            self._loop(sumo)
        except Exception as err:  # noqa: BLE001 - SUMO's errors and ours end the run, never the process
            self._fail(err)
        finally:
            self._close(sumo)

    def _fail(self, err: Exception) -> None:
        message = str(err) if isinstance(err, TwinError) else self._sumo_message(err)
        log.error("twin %s failed: %s", self.setup.scenario.name, message, exc_info=not isinstance(err, TwinError))
        with self._lock:
            self._control.error = message
            self._set_status_locked(TwinStatus.ERROR)

    def _load(self, sumo: ModuleType) -> None:
        setup = self.setup
        setup.cache_dir.mkdir(parents=True, exist_ok=True)
        self._error_log.write_text("", encoding="utf-8")
        loop_files, loops = write_control_loops(setup.net, setup.scenario.name, setup.cache_dir)
        files = (*setup.additional_files, *loop_files)
        try:
            sumo.start(sumo_access.command_line(setup.scenario.config, files, self._error_log))
        except Exception as err:  # libsumo says only "Process Error"; SUMO's reason is in the error log
            raise TwinError(f"SUMO could not load {setup.scenario.config}: {self._sumo_message(err)}") from err
        self.clock.advance(float(sumo.simulation.getTime()))
        self._signals = SignalDriver(
            sumo,
            loops,
            now_s=self.clock.seconds,
            controller=self.options.controller,
            preemption=PreemptionRules() if self.options.preemption else None,
            projection=setup.net.projection,
        )
        with self._lock:
            self._set_status_locked(TwinStatus.PAUSED if self._control.paused else TwinStatus.RUNNING)
        log.info("twin %s loaded (%d detectors)", setup.scenario.name, len(setup.detectors))

    def _loop(self, sumo: ModuleType) -> None:
        simulation: Any = sumo.simulation
        step_s = float(simulation.getDeltaT())
        interval = self.options.interval_s
        begin = self.setup.scenario.begin_s
        wall_anchor, sim_anchor, ran_since = time.monotonic(), self.clock.seconds, time.monotonic()
        while True:
            self._run_commands(sumo, until=None)
            with self._lock:
                control = self._control
                if control.stopping:
                    self._set_status_locked(TwinStatus.STOPPED)
                    break
                stepping = not control.paused or control.pending_steps > 0
                if control.paused and control.pending_steps > 0:
                    control.pending_steps -= 1
                rebase, control.rebase = control.rebase, False
                speed = control.speed
            if self._ended(simulation):
                with self._lock:
                    self._set_status_locked(TwinStatus.FINISHED)
                break
            if not stepping:
                self._count_wall(ran_since)
                self._run_commands(sumo, until=time.monotonic() + 0.2)
                ran_since = time.monotonic()
                continue
            if rebase:
                wall_anchor, sim_anchor = time.monotonic(), self.clock.seconds
            if self._signals is not None:
                self._signals.step(self.clock.seconds)
            simulation.step()
            now = float(simulation.getTime())
            self.clock.advance(now)
            self._after_step(sumo, now)
            elapsed = now - begin
            if elapsed > 0 and math.isclose(
                elapsed / interval, round(elapsed / interval), abs_tol=step_s / interval / 2
            ):
                self._tick(sumo, now)
            self._end_incidents(sumo, now)
            if speed > 0 and stepping:
                target = wall_anchor + (now - sim_anchor) / speed
                lag = time.monotonic() - target
                if lag > MAX_LAG_S:  # SUMO cannot keep this pace: run flat out from here, do not burst later
                    wall_anchor, sim_anchor = time.monotonic(), now
                elif lag < 0:
                    self._run_commands(sumo, until=target)
        self._count_wall(ran_since)

    def _after_step(self, sumo: ModuleType, now: float) -> None:
        simulation: Any = sumo.simulation
        departed = int(simulation.getDepartedNumber())
        arrived = int(simulation.getArrivedNumber())
        teleports = int(simulation.getStartingTeleportNumber())
        running = int(sumo.vehicle.getIDCount())
        readings = self._reader.read(sumo, now) if self._reader.due(now) else []
        with self._stepped:
            c = self._counters
            c.steps += 1
            c.departed += departed
            c.arrived += arrived
            c.teleports += teleports
            c.running = running
            c.readings += len(readings)
            self._stepped.notify_all()
        if readings and self._outbox is not None:
            self._outbox.put([reading.record(self.clock) for reading in readings])

    def _tick(self, sumo: ModuleType, now: float) -> None:
        when = self.clock.at(now)
        positions = self._tracker.read(sumo, when)
        self.vehicles.replace(positions)
        snapshot = self.snapshot()
        with self._lock:
            self._counters.positions += len(positions)
            self._counters.ticks += 1
        self.bus.publish(
            "vehicles.positions",
            {"time": when.isoformat(), "positions": [p.model_dump(mode="json") for p in positions]},
        )
        self.bus.publish(
            "twin.tick",
            {
                "scenario": snapshot.scenario,
                "sim_time": when.isoformat(),
                "sim_seconds": now,
                "vehicles_running": snapshot.vehicles_running,
                "speed": snapshot.speed,
                "paused": snapshot.paused,
            },
        )

    def _end_incidents(self, sumo: ModuleType, now: float) -> None:
        with self._lock:
            ended = [a for a in self._incidents if now >= a.ends_s]
            if not ended:
                return
            self._incidents = [a for a in self._incidents if now < a.ends_s]
        for active in ended:
            clear_incident(sumo, active, store=self.store, bus=self.bus)

    def _ended(self, simulation: Any) -> bool:
        now = self.clock.seconds
        until = self.options.until_s
        end = self.setup.scenario.end_s
        if until is not None and now >= until - 1e-9:
            return True
        if end is not None:
            return now >= end - 1e-9
        return int(simulation.getMinExpectedNumber()) == 0

    def _run_commands(self, sumo: ModuleType, *, until: float | None) -> None:
        """Run queued commands; with ``until``, wait for more until that moment or until the control changes."""
        while True:
            if until is None:
                try:
                    command = self._commands.get_nowait()
                except queue.Empty:
                    return
            else:
                remaining = until - time.monotonic()
                if remaining <= 0:
                    return
                try:
                    command = self._commands.get(timeout=remaining)
                except queue.Empty:
                    return
            if command is None:  # a control change: let the loop look at it now
                return
            command(sumo)

    def _close(self, sumo: ModuleType) -> None:
        try:
            if sumo.simulation.isLoaded():
                sumo.close()
        except Exception:  # closing after a crash may itself fail; the reservation must still be released
            log.warning("closing SUMO failed", exc_info=True)
        finally:
            self.vehicles.replace([])
            if self._outbox is not None:
                self._outbox.close()
            # commands still queued would wait forever: answer them
            while True:
                try:
                    command = self._commands.get_nowait()
                except queue.Empty:
                    break
                if command is not None:
                    command(sumo)
            sumo_access.release(self.owner)
            self._finished.set()
            with self._stepped:
                self._stepped.notify_all()

    # ---- helpers -------------------------------------------------------------------------------------
    def _call(self, action: Callable[[ModuleType], T]) -> T:
        """Run ``action`` on the simulation thread and return its result (or raise its error)."""
        self._require_active()
        future: Future[T] = Future()

        def command(sumo: ModuleType) -> None:
            if self._finished.is_set() or not sumo.simulation.isLoaded():
                future.set_exception(TwinConflictError("the simulation has ended"))
                return
            try:
                future.set_result(action(sumo))
            except Exception as err:  # noqa: BLE001 - handed to the caller's thread, which raises it
                future.set_exception(err if isinstance(err, TwinError) else TwinError(self._sumo_message(err)))

        self._commands.put(command)
        try:
            return future.result(timeout=COMMAND_TIMEOUT_S)
        except TimeoutError:
            raise TwinConflictError("the simulation did not take the command in time; is it still running?") from None

    def _require_active(self) -> None:
        if threading.current_thread() is self._thread:
            # a bus handler runs on the simulation thread; waiting there for the simulation would wait forever
            raise TwinConflictError("commands that wait for the simulation cannot be given from its own thread")
        status = self.snapshot().status
        if status not in (TwinStatus.RUNNING, TwinStatus.PAUSED):
            raise TwinConflictError(f"the twin is {status.value}, not running")

    def _change(self, *, paused: bool | None = None, speed: float | None = None) -> None:
        # only flags change here, so a bus handler on the simulation thread may pause or re-pace it
        status = self.snapshot().status
        if status not in (TwinStatus.RUNNING, TwinStatus.PAUSED):
            raise TwinConflictError(f"the twin is {status.value}, not running")
        with self._lock:
            if paused is not None:
                self._control.paused = paused
                self._set_status_locked(TwinStatus.PAUSED if paused else TwinStatus.RUNNING)
            if speed is not None:
                self._control.speed = speed
            self._control.rebase = True
        self._commands.put(None)

    def _set_status(self, status: TwinStatus) -> None:
        with self._lock:
            self._set_status_locked(status)

    def _set_status_locked(self, status: TwinStatus) -> None:
        if self._control.status in (TwinStatus.ERROR, TwinStatus.FINISHED, TwinStatus.STOPPED):
            return  # an ended run stays ended
        self._control.status = status

    def _count_wall(self, since: float) -> None:
        with self._lock:
            self._counters.wall_s += time.monotonic() - since

    def _sumo_message(self, err: BaseException) -> str:
        return sumo_access.error_message(self._error_log, err)


def _check_speed(speed: float) -> None:
    if not math.isfinite(speed) or speed < 0:
        raise TwinInputError(f"speed {speed!r} must be 0 (as fast as possible) or a positive number", field="speed")
