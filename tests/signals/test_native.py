"""The compiled hot path (tamna.native): used only while it matches its sources, the same decisions as the
pure-Python modules, its records fit to cross processes; and an episode's child process never left hanging."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tamna.signals.control
import tamna.twin.signal_control
from tamna import native
from tamna.signals.control import StateChange
from tamna.signals.controller import ControlSettings
from tamna.signals.errors import SignalsError
from tamna.signals.evaluation import EpisodeSettings
from tamna.signals.model import Decision, Intersection, LaneReading, Movement, Phase
from tamna.signals.program import TimingRules
from tamna.twin.scenario import Scenario
from tamna.twin.signal_episode import run_episode_isolated

MODULES = ("tamna.first", "tamna.sub.second")


def _sources(root: Path) -> None:
    for module in MODULES:
        path = native.source_of(module, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"NAME = {module!r}\n", encoding="utf-8")


def _write_manifest(root: Path, **changes: object) -> None:
    built = {**native.fingerprint(root, MODULES), **changes}
    native.manifest_of(root).write_text(json.dumps(built), encoding="utf-8")


def test_a_build_is_used_only_while_it_matches_every_source_and_this_interpreter(tmp_path: Path) -> None:
    _sources(tmp_path)
    assert native.stale_reason(tmp_path, MODULES) == "not built"
    _write_manifest(tmp_path)
    assert native.stale_reason(tmp_path, MODULES) is None
    # one byte changed in one source: the whole build is set aside, naming the module
    second = native.source_of("tamna.sub.second", tmp_path)
    second.write_text(second.read_text(encoding="utf-8") + "#\n", encoding="utf-8")
    assert native.stale_reason(tmp_path, MODULES) == "edited since the build: tamna.sub.second"
    _write_manifest(tmp_path, cache_tag="cpython-399")
    assert (
        native.stale_reason(tmp_path, MODULES)
        == f"built for cpython-399, this interpreter is {sys.implementation.cache_tag}"
    )
    native.manifest_of(tmp_path).write_text("{not json", encoding="utf-8")
    assert (native.stale_reason(tmp_path, MODULES) or "").startswith("_native.json unreadable")


def test_this_run_uses_the_compiled_hot_path_unless_turned_off() -> None:
    # `make setup` builds it; a test run without it would measure and check other code than the benchmarks ran
    loaded = [tamna.signals.control.__file__, tamna.twin.signal_control.__file__]
    if os.environ.get(native.SWITCH) == "0":
        assert not native.active() and all(str(f).endswith(".py") for f in loaded)
        return
    assert native.active(), f"the compiled hot path is not in use: {native.status()}; `make setup` builds it"
    assert all(str(f).endswith(".so") for f in loaded), loaded


def test_a_stale_build_is_passed_over_for_the_sources(tmp_path: Path) -> None:
    # a fresh interpreter told the build is stale loads every hot-path module from its .py file
    probe = (
        "import sys, tamna.native as n\n"
        "n.stale_reason = lambda *a: 'edited since the build: tamna.signals.model'\n"
        "n._state.clear(); n.install()\n"
        "import importlib\n"
        "files = [importlib.import_module(m).__file__ for m in n.HOT_PATH]\n"
        "print(n.status()); print(all(f.endswith('.py') for f in files))\n"
    )
    # (importing tamna decided once already, on the real build; the probe makes the decision again, told the build
    # is stale, before any hot-path module is loaded)
    env = {**os.environ, native.SWITCH: "1"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    status, pure = done.stdout.strip().splitlines()
    assert status == "interpreted (edited since the build: tamna.signals.model)"
    assert pure == "True", done.stdout
    assert "running the pure-Python ones" in done.stderr


def test_records_survive_a_trip_between_processes() -> None:
    movement = Movement(0, "in_0", "out_0")
    phase = Phase(0, "G", ("in_0",), 5.0, 50.0, 30.0)
    records = [
        movement,
        phase,
        Intersection("j", (movement,), (phase,), 3.0, 1.0),
        LaneReading(3, 2, 12.5, 4.0, 1, 2.5),
        Decision(1, 4.0),
        ControlSettings(5.0, {"gap_s": 2.0}, Path("artifact")),
        StateChange("j", "Gr"),
    ]
    for record in records:
        back = pickle.loads(pickle.dumps(record))
        assert back == record and type(back) is type(record)


_EPISODE = """
import dataclasses, json, sys
from pathlib import Path
from tamna import native
from tamna.signals.evaluation import EpisodeSettings
from tamna.signals.program import TimingRules
from tamna.twin.scenario import load_scenario
from tamna.twin.signal_episode import run_episode
scenario = load_scenario(Path(sys.argv[1]))
settings = EpisodeSettings(until_s=900, check_safety=True, rules=TimingRules(yellow_s=3.0))
result = run_episode(scenario, "best", Path(sys.argv[2]), settings)
print(json.dumps({"status": native.status(), "decisions": result.decisions, "overrides": dict(result.overrides),
                  "trips": dataclasses.asdict(result.trips), "violations": list(result.safety_violations)}))
"""


@pytest.mark.data
def test_compiled_and_interpreted_make_the_same_decisions_on_grid4x4(shared_data: Path, tmp_path: Path) -> None:
    # 15 minutes of grid4x4 under `best`, each way in its own process, the safety monitor on every step
    config = shared_data / "sumo" / "grid4x4" / "grid4x4.sumocfg"
    found = {}
    for switch in ("1", "0"):
        env = {**os.environ, native.SWITCH: switch}
        args = [sys.executable, "-c", _EPISODE, str(config), str(tmp_path / switch)]
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        found[switch] = json.loads(done.stdout.strip().splitlines()[-1])
    compiled, interpreted = found["1"], found["0"]
    assert compiled.pop("status") == "compiled (mypyc)", "the compiled hot path is not built (`make setup`)"
    assert interpreted.pop("status").startswith("interpreted")
    assert compiled["decisions"] > 1000 and compiled["violations"] == []
    assert compiled == interpreted


@pytest.mark.data
def test_an_episode_past_its_time_limit_ends_its_process(resco: Callable[[str], Scenario], tmp_path: Path) -> None:
    # the whole of grid4x4 (some 2 s on its own) given half a second, its child process still starting
    scenario = resco("grid4x4")
    settings = EpisodeSettings(rules=TimingRules(yellow_s=3.0))
    started = time.monotonic()
    with pytest.raises(SignalsError, match=r"did not end within 0\.5 s"):
        run_episode_isolated(scenario, "best", tmp_path, settings, timeout_s=0.5)
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == []


class _ExitsWhenUnpickled:
    """Stands in for a scenario; rebuilding it in the episode's child process ends that process with status 3."""

    def __reduce__(self) -> tuple[Callable[[int], object], tuple[int]]:
        return os._exit, (3,)


def test_an_episode_whose_process_ends_before_answering_is_an_error(tmp_path: Path) -> None:
    # the child exits while unpacking its arguments, before any episode: the parent must say so, not hang
    # or fail on an empty read
    scenario: Any = _ExitsWhenUnpickled()
    scenario.config = tmp_path / "x.sumocfg"
    with pytest.raises(SignalsError, match=r"exited with 3 before running it"):
        run_episode_isolated(scenario, "best", tmp_path, EpisodeSettings(), timeout_s=60)
    assert multiprocessing.active_children() == []


def test_the_hot_path_holds_no_doctest() -> None:
    # compiled, these modules are left out of doctest collection (src/conftest.py): a doctest there would not run
    with_doctests = [m for m in native.HOT_PATH if ">>>" in native.source_of(m).read_text(encoding="utf-8")]
    assert with_doctests == []
