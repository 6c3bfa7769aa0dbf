"""Signal-control fixtures: RESCO scenarios from the shared data (read-only), a small network without traffic
lights made with netgenerate, hand-built intersections of 2 to 8 phases, and a check after every test that no
SUMO simulation is left loaded."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tamna.signals.model import Intersection
from tamna.signals.program import ProgramPhase, build_intersection
from tamna.twin import sumo
from tests.sumo_fixtures import no_simulation_left, resco  # noqa: F401 (fixtures for this folder)


@pytest.fixture(scope="session")
def no_signals_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3×3 grid of priority junctions (no traffic light) with a few vehicles; returns its .sumocfg."""
    folder = tmp_path_factory.mktemp("plain-grid")
    net = folder / "plain.net.xml"
    subprocess.run(
        [str(sumo.binary("netgenerate")), "--grid", "--grid.number", "3", "--grid.length", "100", "-o", str(net)],
        check=True,
        capture_output=True,
        env=sumo.tool_environment(),
    )
    routes = folder / "plain.rou.xml"
    routes.write_text(
        '<routes>\n  <flow id="f" begin="0" end="100" number="5" from="A0B0" to="B0C0"/>\n</routes>\n',
        encoding="utf-8",
    )
    config = folder / "plain.sumocfg"
    config.write_text(
        "<configuration><input>"
        '<net-file value="plain.net.xml"/><route-files value="plain.rou.xml"/>'
        '</input><time><begin value="0"/><end value="200"/></time></configuration>\n',
        encoding="utf-8",
    )
    return config


def synthetic_intersection(phases: int, *, lanes_per_phase: int = 2) -> Intersection:
    """An intersection of ``phases`` green phases, each serving its own ``lanes_per_phase`` lanes, with a 3 s
    yellow and a 1 s all-red between them (read from the program like any network's)."""
    links = [[(f"in{p}_{k}", f"out{p}_{k}")] for p in range(phases) for k in range(lanes_per_phase)]
    width = len(links)
    program = []
    for p in range(phases):
        green = "".join("G" if i // lanes_per_phase == p else "r" for i in range(width))
        program.append(ProgramPhase(green, 20.0 + p, 5.0, 45.0))
        program.append(ProgramPhase(green.replace("G", "y"), 3.0, 3.0, 3.0))
        program.append(ProgramPhase("r" * width, 1.0, 1.0, 1.0))
    built = build_intersection(f"tls{phases}", program, links)
    assert built is not None
    return built


@pytest.fixture(params=range(2, 9), ids=lambda n: f"{n}-phases")
def intersection(request: pytest.FixtureRequest) -> Intersection:
    """Intersections with 2 to 8 green phases."""
    return synthetic_intersection(request.param)


def shared_lane_intersection() -> Intersection:
    """Two approaches, north and south, each with a through lane (through and right turn) and a left lane,
    under four phases that share lanes as grid4x4's do: both throughs, both lefts, all of the north, all of the
    south. A phase's lanes are then also another's, as on most real junctions."""
    links = [
        [("N_t", "S_out")],
        [("N_t", "W_out")],
        [("N_l", "E_out")],
        [("S_t", "N_out")],
        [("S_t", "E_out")],
        [("S_l", "W_out")],
    ]
    greens = ["GGrGGr", "rrGrrG", "GGGrrr", "rrrGGG"]
    program = []
    for green in greens:
        program.append(ProgramPhase(green, 20.0, 5.0, 45.0))
        program.append(ProgramPhase(green.replace("G", "y"), 3.0, 3.0, 3.0))
    built = build_intersection("shared", program, links)
    assert built is not None
    return built
