"""Operators' signal commands on the running twin, and their audit trail: what the signal API calls.

A command runs on the simulation thread (through :meth:`TwinRuntime.call`), then is stored as a
:class:`~tamna.domain.signals.SignalChange` with who made it and when, and announced as ``signals.changed``.
"""

from __future__ import annotations

import uuid
from types import ModuleType

from tamna.core.timeutil import utcnow
from tamna.domain.access import ApiKeyRecord
from tamna.domain.signals import SignalAction, SignalChange
from tamna.signals.errors import UnknownControllerError
from tamna.signals.evaluation import NETWORK_PROGRAM
from tamna.signals.registry import resolve
from tamna.store.base import Store
from tamna.twin.errors import TwinConflictError, TwinInputError
from tamna.twin.runtime import TwinRuntime
from tamna.twin.signal_driver import SignalDriver, SignalView


def signal_views(runtime: TwinRuntime) -> list[SignalView]:
    """Every signal of the twin now."""
    return runtime.call(lambda _sumo: _driver(runtime).views(runtime.clock.seconds))


def switch_controller(
    runtime: TwinRuntime, signal_id: str, controller: str, *, key: ApiKeyRecord, store: Store | None = None
) -> tuple[SignalChange, SignalView]:
    """Put ``signal_id`` under ``controller`` (a registered name, ``best``, or ``network-program``)."""
    if controller != NETWORK_PROGRAM:
        try:
            resolve(controller)
        except UnknownControllerError as err:
            raise TwinInputError(f"{err}, {NETWORK_PROGRAM}", field="controller", value=controller) from None

    def act(_sumo: ModuleType) -> tuple[str, str, SignalView]:
        driver, now = _driver(runtime), runtime.clock.seconds
        previous = driver.controller_of(signal_id)
        name = driver.assign(signal_id, controller, now)
        return previous, name, _view(driver, signal_id, now)

    previous, name, view = runtime.call(act)
    change = _log(runtime, store, key, signal_id, SignalAction.CONTROLLER, previous, name, None)
    return change, view


def hold_phase(
    runtime: TwinRuntime, signal_id: str, phase: int | None, *, key: ApiKeyRecord, store: Store | None = None
) -> tuple[SignalChange, SignalView]:
    """Hold ``signal_id`` in green phase ``phase``, or release its hold (None)."""

    def act(_sumo: ModuleType) -> tuple[str, int | None, SignalView]:
        driver, now = _driver(runtime), runtime.clock.seconds
        previous = driver.controller_of(signal_id)
        released = driver.control.holds.get(signal_id)
        driver.hold(signal_id, phase, now)
        return previous, released, _view(driver, signal_id, now)

    previous, released, view = runtime.call(act)
    action = SignalAction.HOLD if phase is not None else SignalAction.RELEASE
    shown = phase if phase is not None else released
    change = _log(runtime, store, key, signal_id, action, previous, view.controller, shown)
    return change, view


def _driver(runtime: TwinRuntime) -> SignalDriver:
    driver = runtime.signals
    if driver is None:
        raise TwinConflictError("the twin's simulation is not loaded")
    return driver


def _view(driver: SignalDriver, signal_id: str, now_s: float) -> SignalView:
    return next(v for v in driver.views(now_s) if v.signal_id == signal_id)


def _log(
    runtime: TwinRuntime,
    store: Store | None,
    key: ApiKeyRecord,
    signal_id: str,
    action: SignalAction,
    previous: str,
    controller: str,
    phase: int | None,
) -> SignalChange:
    change = SignalChange(
        id=uuid.uuid4().hex,
        at=utcnow(),
        sim_time=runtime.clock.now(),
        scenario=runtime.setup.scenario.name,
        signal_id=signal_id,
        action=action,
        previous=previous,
        controller=controller,
        phase=phase,
        key_id=key.id,
        key_name=key.name,
        role=key.role.value,
    )
    target = store or runtime.store
    if target is not None:
        target.add_signal_change(change)
    runtime.bus.publish("signals.changed", change.model_dump(mode="json"))
    return change
