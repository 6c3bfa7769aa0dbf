"""An episode with only some traffic lights under a controller (a corridor against the rest of a city): the
others keep the network's program, and an id the network lacks is refused before the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tamna.signals.errors import SignalsError
from tamna.signals.evaluation import EpisodeSettings
from tamna.twin.scenario import Scenario
from tamna.twin.signal_episode import run_episode

pytestmark = pytest.mark.data
Resco = Callable[[str], Scenario]


def test_only_the_named_signals_go_under_the_controller(resco: Resco, tmp_path: Path) -> None:
    scenario = resco("cologne8")  # eight signals; two of them under max-pressure for five minutes
    settings = EpisodeSettings(until_s=scenario.begin_s + 300, check_safety=True, signal_ids=_two_signals(scenario))
    result = run_episode(scenario, "max-pressure", tmp_path, settings)
    assert result.controlled == 2 and result.signals == 8
    assert result.safety_violations == ()
    assert result.decisions > 2 and result.trips.arrived > 0


def test_an_unknown_signal_id_is_refused(resco: Resco, tmp_path: Path) -> None:
    scenario = resco("cologne8")
    settings = EpisodeSettings(until_s=scenario.begin_s + 60, signal_ids=("no-such-light",))
    with pytest.raises(SignalsError, match="no-such-light"):
        run_episode(scenario, "max-pressure", tmp_path, settings)


def _two_signals(scenario: Scenario) -> tuple[str, ...]:
    import sumolib

    net = sumolib.net.readNet(str(scenario.net_file))
    return tuple(sorted(tls.getID() for tls in net.getTrafficLights())[:2])
