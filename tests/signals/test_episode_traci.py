"""An episode against a SUMO program through TraCI (``--sumo PATH``: another SUMO version, to compare with
figures published on it) runs the same controllers and metrics as the installed SUMO through libsumo."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tamna.signals.errors import SignalsError
from tamna.signals.evaluation import EpisodeSettings
from tamna.signals.program import TimingRules
from tamna.twin import sumo as sumo_access
from tamna.twin import sumo_traci
from tamna.twin.scenario import Scenario
from tamna.twin.signal_episode import run_episode, run_episode_isolated
from tamna.twin.sumo_traci import TraciSumo, version_of

pytestmark = pytest.mark.data
Resco = Callable[[str], Scenario]


def test_the_same_sumo_through_traci_gives_the_same_episode(resco: Resco, tmp_path: Path) -> None:
    scenario = resco("cologne1")
    binary = sumo_access.binary("sumo")
    settings = EpisodeSettings(until_s=scenario.begin_s + 900, rules=TimingRules(yellow_s=3), check_safety=True)
    # each in a fresh process: libsumo carries state from one simulation to the next within a process (cologne1
    # inserts a vehicle more or less on a second load), which would tell the two apart
    direct = run_episode_isolated(scenario, "best", tmp_path / "libsumo", settings)
    remote = run_episode_isolated(
        scenario, "best", tmp_path / "traci", EpisodeSettings(**{**settings.__dict__, "sumo_binary": binary})
    )
    assert remote.trips == direct.trips
    assert remote.decisions == direct.decisions > 0
    assert remote.safety_violations == ()
    # the loops were written with the attribute every version reads
    assert 'freq="' in (tmp_path / "traci" / "signal-loops.add.xml").read_text()


def test_a_version_is_read_and_older_ones_are_not_given_newer_options() -> None:
    binary = sumo_access.binary("sumo")
    assert version_of(binary)[:2] == (1, 28)
    sumo = TraciSumo(binary)
    args = ["--tripinfo-output.write-undeparted", "true", "--seed", "2"]
    assert sumo.supported(args) == args
    assert sumo.writes_undeparted
    sumo.version = (1, 9, 2)
    assert sumo.supported(args) == ["--seed", "2"]
    # so the episode counts the vehicles it never inserted from the route files (tests/signals/test_metrics.py)
    assert not sumo.writes_undeparted


def test_a_missing_or_foreign_program_is_a_clear_error(resco: Resco, tmp_path: Path) -> None:
    scenario = resco("cologne1")
    with pytest.raises(SignalsError, match="no SUMO program at"):
        run_episode(scenario, "best", tmp_path / "a", EpisodeSettings(sumo_binary=tmp_path / "sumo"))
    foreign = tmp_path / "not-sumo"
    foreign.write_text("#!/bin/sh\necho hello\n")
    foreign.chmod(0o755)
    with pytest.raises(SignalsError, match="not a SUMO program"):
        run_episode(scenario, "best", tmp_path / "b", EpisodeSettings(sumo_binary=foreign))


def test_a_program_that_dies_mid_run_is_a_clear_error(
    resco: Resco, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the installed SUMO, killed 300 simulated seconds in (as SUMO 1.9.2 crashes on cologne3 seed 15): an error
    # that says what happened and where, and no SUMO left behind
    scenario = resco("cologne1")
    run = tmp_path / "run"  # in SUMO's command line (its outputs go there): how its process is found

    def sumo_processes() -> list[int]:
        found = subprocess.run(["pgrep", "-f", str(run)], capture_output=True, text=True, check=False)
        return [int(pid) for pid in found.stdout.split()]

    stepped = sumo_traci._Simulation.step

    def step_then_kill(simulation: sumo_traci._Simulation) -> None:
        stepped(simulation)
        if simulation.reached_s == scenario.begin_s + 300:
            for pid in sumo_processes():
                os.kill(pid, signal.SIGKILL)

    monkeypatch.setattr(sumo_traci._Simulation, "step", step_then_kill)
    settings = EpisodeSettings(rules=TimingRules(yellow_s=3), sumo_binary=sumo_access.binary("sumo"))
    with pytest.raises(
        SignalsError, match=r"SUMO 1\.28\.\d+ \(.*\) stopped after 25500 s of the simulation without an error"
    ):
        run_episode(scenario, "best", run, settings)
    assert sumo_processes() == []


# cologne1's first 10 minutes have a vehicle change lanes off a loop (SUMO does not count it), grid4x4's one that
# drives off a loop exactly at a step's end (it does)
@pytest.mark.parametrize("name", ["cologne1", "grid4x4"])
def test_a_sumo_that_cannot_count_a_loops_interval_has_it_counted_the_same(
    name: str, resco: Resco, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SUMO 1.9.2 answers "unsupported variable" to a loop's count in the current interval, which `webster`
    # measures its flows with; the adapter then counts the vehicles each loop reports step by step. Here the
    # installed SUMO is made to count that way and asked, at every count, for its own answer too.
    scenario = resco(name)
    settings = EpisodeSettings(
        until_s=scenario.begin_s + 600,
        rules=TimingRules(yellow_s=3),
        sumo_binary=sumo_access.binary("sumo"),
        params={"window_s": 300.0},
    )
    native = run_episode(scenario, "webster", tmp_path / "native", settings)

    pairs: list[tuple[int, int]] = []
    counted_by_adapter = sumo_traci._InductionLoops.getIntervalVehicleNumber

    def compared(loops: sumo_traci._InductionLoops, loop_id: str) -> int:
        count = counted_by_adapter(loops, loop_id)
        pairs.append((count, int(loops._domain.getIntervalVehicleNumber(loop_id))))
        return count

    monkeypatch.setattr(sumo_traci._InductionLoops, "ask_program", False)
    monkeypatch.setattr(sumo_traci._InductionLoops, "getIntervalVehicleNumber", compared)
    counted = run_episode(scenario, "webster", tmp_path / "counted", settings)
    assert pairs and max(ours for ours, _ in pairs) > 10
    assert all(ours == sumo_s for ours, sumo_s in pairs)
    assert counted.trips == native.trips
    assert counted.decisions == native.decisions > 0
