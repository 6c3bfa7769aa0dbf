"""The learning controller: the parameter search, its versioned artifact (round trip, refusals), the spill-back
and starvation guard it relies on, and `tamna signals train` / `evaluate --artifact` on a real scenario."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamna.cli.main import app
from tamna.signals import artifacts
from tamna.signals.artifacts import bundled_artifacts, cached_artifact, load_artifact, write_artifact
from tamna.signals.controller import ControlSettings
from tamna.signals.controllers.gap_pressure import GapPressure
from tamna.signals.controllers.tuned_pressure import SEARCH_SPACE, STARTING_POINT, TunedPressure
from tamna.signals.errors import ArtifactError
from tamna.signals.learning import cross_entropy_search
from tamna.signals.model import LaneReading, Observation

from .conftest import synthetic_intersection
from .test_controller_contract import observation

PARAMS = {"gap_s": 3.1, "switch_margin": 1.5, "max_wait_s": 150.0, "spill_occupancy_pct": 70.0}


def test_the_search_improves_on_its_start_and_never_returns_worse() -> None:
    ticks = iter(range(10_000))
    space = {"x": (-5.0, 5.0), "y": (0.0, 10.0)}
    result = cross_entropy_search(
        lambda p: (p["x"] - 1.0) ** 2 + (p["y"] - 7.0) ** 2,
        space,
        {"x": -4.0, "y": 1.0},
        budget_s=200.0,
        clock=lambda: float(next(ticks)),
    )
    assert result.start_cost == 61.0
    assert result.best_cost < 10.0 < result.start_cost
    assert all(space["x"][0] <= t.params["x"] <= space["x"][1] for t in result.trials)
    start = {"x": 0.0, "y": 0.0}
    flat = cross_entropy_search(lambda p: 1.0, space, start, budget_s=50.0, clock=lambda: float(next(ticks)))
    assert flat.best == {"x": 0.0, "y": 0.0}  # nothing beat the start: the start is the answer


def test_workers_side_by_side_try_the_same_candidates_as_one() -> None:
    space = {"x": (-5.0, 5.0), "y": (0.0, 10.0)}
    lock = threading.Lock()

    def searched(workers: int) -> list[dict[str, float]]:
        spent = [0.0]

        def evaluate(p: dict[str, float]) -> float:
            with lock:
                spent[0] += 1.0  # each episode costs one tick of the search's clock
            time.sleep(0.001)
            return (p["x"] - 1.0) ** 2 + (p["y"] - 7.0) ** 2

        result = cross_entropy_search(
            evaluate, space, {"x": -4.0, "y": 1.0}, budget_s=40.0, clock=lambda: spent[0], workers=workers
        )
        return [t.params for t in result.trials]

    one, two = searched(1), searched(2)
    assert len(one) > 12 and len(two) > 12  # two or more generations
    shared = min(len(one), len(two))
    assert one[:shared] == two[:shared]  # the same draws, in the same order


def test_an_artifact_round_trip_gives_identical_decisions(tmp_path: Path) -> None:
    tls = synthetic_intersection(4)
    folder = write_artifact(
        tmp_path, controller="tuned-pressure", scenario="synthetic", fingerprint="f" * 64,
        intersections=[tls], params=PARAMS, training={"episodes": 0},
    )  # fmt: skip
    manifest = json.loads((folder / "artifact.json").read_text())
    assert manifest["params"] == PARAMS and manifest["fingerprint"] == "f" * 64
    assert set(manifest["files"]) == {"params.json"} and manifest["created"] and manifest["format"] == 1
    tuned = TunedPressure(tls, ControlSettings(artifact=folder))
    # the artifact's parameters over the starting point (what it did not tune stays there)
    assert tuned.params == {**STARTING_POINT, **PARAMS}
    direct = GapPressure(tls, ControlSettings(params={**STARTING_POINT, **PARAMS}))
    rng_a, rng_b = random.Random(5), random.Random(5)
    for step in range(300):
        a = tuned.decide(observation(tls, rng_a, float(step), step % 4, rng_a.uniform(0, 40)))
        b = direct.decide(observation(tls, rng_b, float(step), step % 4, rng_b.uniform(0, 40)))
        assert a == b


def test_missing_corrupt_or_foreign_artifacts_are_refused(tmp_path: Path) -> None:
    tls = synthetic_intersection(3)
    with pytest.raises(ArtifactError, match="no such artifact"):
        load_artifact(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match=r"no artifact\.json"):
        load_artifact(tmp_path / "empty")
    folder = write_artifact(
        tmp_path, controller="tuned-pressure", scenario="s", fingerprint="0", intersections=[tls], params=PARAMS,
        training={},
    )  # fmt: skip
    with pytest.raises(ArtifactError, match="not 'max-pressure'"):
        load_artifact(folder, controller="max-pressure")
    other = synthetic_intersection(4)  # another network: not in the artifact
    with pytest.raises(ArtifactError, match="no parameters for signal tls4"):
        TunedPressure(other, ControlSettings(artifact=folder))
    params = folder / "params.json"
    params.write_text(params.read_text().replace("3.1", "9.9"))
    cached_artifact.cache_clear()
    with pytest.raises(ArtifactError, match="changed since"):
        TunedPressure(tls, ControlSettings(artifact=folder))
    params.unlink()
    with pytest.raises(ArtifactError, match="missing"):
        load_artifact(folder)


def _reading(queue: int, occupancy: float = 0.0) -> LaneReading:
    return LaneReading(vehicles=queue, queue=queue, occupancy_pct=occupancy)


def test_no_green_into_a_full_lane_and_a_starving_phase_is_served() -> None:
    tls = synthetic_intersection(3)  # phase p serves in{p}_k → out{p}_k
    lanes = {f"in1_{k}": _reading(8) for k in range(2)}
    lanes |= {f"out1_{k}": _reading(0, occupancy=80.0) for k in range(2)}  # phase 1's exits are full
    lanes |= {f"in2_{k}": _reading(1) for k in range(2)}
    seen = Observation(100.0, 0, 30.0, lanes)
    guarded = GapPressure(tls, ControlSettings())
    unguarded = GapPressure(tls, ControlSettings(params={"spill_occupancy_pct": 0, "max_wait_s": 0}))
    assert unguarded.decide(seen).phase == 1  # plain pressure sends 16 vehicles into full lanes
    assert guarded.decide(seen).phase == 2  # the guard serves the phase that can move
    # starvation: phase 2 (queue 1) never wins on pressure against phase 1 (queue 8, free exits) ...
    free = {**lanes, **{f"out1_{k}": _reading(0) for k in range(2)}}
    controller = GapPressure(tls, ControlSettings(params={"max_wait_s": 120}))
    chosen = [controller.decide(Observation(t, 0 if t < 120 else 1, 30.0, free)).phase for t in (0.0, 60.0, 121.0)]
    assert chosen[:2] == [1, 1]
    # ... until it has waited 120 s: then it goes next, pressure or not
    assert chosen[2] == 2


@pytest.mark.data
def test_train_then_evaluate_with_the_artifact(shared_data: Path, tmp_path: Path) -> None:
    config = shared_data / "sumo" / "cologne1" / "cologne1.sumocfg"
    runner = CliRunner()
    # the budget covers the start's episode only; the artifact then holds the defaults, which is still an artifact
    done = runner.invoke(app, [
        "signals", "train", "--scenario", str(config), "--controller", "tuned-pressure", "--out", str(tmp_path),
        "--minutes", "0.01", "--seeds", "1", "--yellow", "3",
    ])  # fmt: skip
    assert done.exit_code == 0, done.stderr
    folder = Path(done.stdout.strip().splitlines()[-1].removeprefix("artifact: "))
    manifest = json.loads((folder / "artifact.json").read_text())
    assert manifest["controller"] == "tuned-pressure" and len(manifest["fingerprint"]) == 64
    assert manifest["training"]["episodes"] >= 1 and manifest["training"]["best_delay_s"] > 0
    ran = runner.invoke(app, [
        "signals", "evaluate", "--scenario", str(config), "--controller", "tuned-pressure", "--artifact", str(folder),
        "--until", "25500", "--yellow", "3", "--json",
    ])  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert json.loads(ran.stdout)["controller"] == "tuned-pressure"
    missing = runner.invoke(app, [
        "signals", "evaluate", "--scenario", str(config), "--controller", "tuned-pressure",
        "--artifact", str(tmp_path / "absent"),
    ])  # fmt: skip
    assert missing.exit_code != 0 and "no such artifact" in missing.stderr


@pytest.mark.data
def test_training_goes_on_from_an_artifact_of_the_same_network(shared_data: Path, tmp_path: Path) -> None:
    config = shared_data / "sumo" / "cologne1" / "cologne1.sumocfg"
    shipped = {a.manifest["scenario"]: a for a in bundled_artifacts(TunedPressure.name)}
    runner = CliRunner()
    # a budget for the start's episode only: the search returns where it started, the shipped parameters
    done = runner.invoke(app, [
        "signals", "train", "--scenario", str(config), "--out", str(tmp_path), "--minutes", "0.01", "--seeds", "1",
        "--yellow", "3", "--from", str(shipped["cologne1"].folder),
    ])  # fmt: skip
    assert done.exit_code == 0, done.stderr
    folder = Path(done.stdout.strip().splitlines()[-1].removeprefix("artifact: "))
    trained = load_artifact(folder)
    assert dict(trained.default) == dict(shipped["cologne1"].default) != {**STARTING_POINT}
    assert trained.manifest["training"]["started_from"] == shipped["cologne1"].folder.name
    # parameters learned on another network are refused before any episode runs
    foreign = runner.invoke(app, [
        "signals", "train", "--scenario", str(config), "--out", str(tmp_path), "--minutes", "0.01",
        "--from", str(shipped["cologne8"].folder),
    ])  # fmt: skip
    assert foreign.exit_code != 0 and "trained on 'cologne8'" in foreign.stderr


def test_a_run_takes_the_shipped_parameters_learned_in_its_own_sumo_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = synthetic_intersection(4)
    learned = {"1.28.0": {"gap_s": 1.1, "rest_s": 4.0}, "1.9.2": {"gap_s": 2.9, "rest_s": 5.5}}
    for version, params in learned.items():
        write_artifact(
            tmp_path, controller="tuned-pressure", scenario=f"in {version}", fingerprint="0", intersections=[tls],
            params=params, training={"sumo": version},
        )  # fmt: skip
    monkeypatch.setattr(artifacts, "BUNDLED", tmp_path)
    monkeypatch.setattr(artifacts, "installed_sumo_version", lambda: "1.28.0")
    bundled_artifacts.cache_clear()
    try:

        def order(version: str | None) -> list[str]:
            return [a.manifest["scenario"] for a in bundled_artifacts("tuned-pressure", version)]

        assert order(None) == order("1.28.1") == ["in 1.28.0", "in 1.9.2"]
        assert order("1.9.1") == ["in 1.9.2", "in 1.28.0"]  # the same release, whatever the patch level
        assert order("1.10.0") == ["in 1.28.0", "in 1.9.2"]  # none of its own: the installed release's first
        for version, params in learned.items():
            tuned = TunedPressure(tls, ControlSettings(sumo_version=None if version == "1.28.0" else version))
            assert {k: tuned.params[k] for k in params} == params, version
            assert tuned.source.startswith("tuned-pressure-in-"), tuned.source
        # a release nothing was learned in: the installed release's parameters
        other = TunedPressure(tls, ControlSettings(sumo_version="1.10.0"))
        assert {k: other.params[k] for k in learned["1.28.0"]} == learned["1.28.0"]
        # another controller's artifacts are never taken
        assert bundled_artifacts("max-pressure") == ()
        with pytest.raises(ArtifactError, match=r"'1\.x' is not a SUMO version"):
            bundled_artifacts("tuned-pressure", "1.x")
    finally:
        bundled_artifacts.cache_clear()


def test_the_shipped_artifacts_load_and_tune_what_the_search_tunes() -> None:
    shipped = bundled_artifacts(TunedPressure.name)  # each verified against its checksum on loading
    assert {a.manifest["scenario"] for a in shipped} == {"cologne1", "cologne3", "cologne8", "grid4x4", "arterial4x4"}
    # cologne3 has parameters learned in RESCO's SUMO too, where those of 1.28 lock it (docs/benchmarks.md)
    assert {(a.manifest["scenario"], a.trained_in) for a in shipped if not a.trained_in.startswith("1.28.")} == {
        ("cologne3", "1.9.2")
    }
    for artifact in shipped:
        assert set(artifact.manifest["params"]) == set(STARTING_POINT) >= set(SEARCH_SPACE), artifact.folder.name
        assert artifact.manifest["training"]["best_delay_s"] <= artifact.manifest["training"]["start_delay_s"]
