"""Fixtures for every test folder that runs SUMO (imported by their conftest.py files): RESCO scenarios by name
from the shared data, and a check after every test that no simulation is left loaded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tamna.twin import sumo
from tamna.twin.scenario import Scenario, load_scenario


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
