"""Fixtures for every test folder that runs SUMO (imported by their conftest.py files): RESCO scenarios by name
from the shared data, and a check after every test that no simulation is left loaded."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tamna.twin import sumo
from tamna.twin.scenario import Scenario, load_scenario
from tamna.twin.signal_episode import load_refused


@pytest.fixture(autouse=True)
def no_simulation_left() -> Iterator[None]:
    """Every test leaves libsumo unloaded and its reservation free, whatever failed on the way."""
    yield
    assert sumo.current_owner() is None, f"still holds SUMO: {sumo.current_owner()}"
    assert not sumo.libsumo().simulation.isLoaded(), "a SUMO simulation is still loaded"


@pytest.fixture
def resco(shared_data: Path) -> Callable[[str], Scenario]:
    """A RESCO scenario by name, loaded from the shared data."""

    def load(name: str) -> Scenario:
        return load_scenario(shared_data / "sumo" / name / f"{name}.sumocfg")

    return load


@contextlib.contextmanager
def loaded(scenario: Scenario, work: Path, owner: str) -> Iterator[ModuleType]:
    """``scenario`` loaded in libsumo as the twin loads it (its error log in ``work``), closed afterwards."""
    error_log = work / sumo.ERROR_LOG
    error_log.write_text("", encoding="utf-8")
    args = sumo.command_line(scenario.config, list(scenario.additional_files), error_log)
    simulator = sumo.libsumo()
    with sumo.started(simulator, args, error_log, owner, refused=load_refused(scenario)):
        yield simulator
