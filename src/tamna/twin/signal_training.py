"""Training a signal controller on a scenario in SUMO: the parameter search of :mod:`tamna.signals.learning`,
each candidate judged by RESCO's average delay over whole episodes (each in a fresh process, as the evaluation
runs them), and the result written as a versioned artifact (:mod:`tamna.signals.artifacts`).
"""

from __future__ import annotations

import logging
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tamna.signals.artifacts import load_artifact, scenario_fingerprint, write_artifact
from tamna.signals.controllers.tuned_pressure import SEARCH_SPACE, STARTING_POINT, TunedPressure
from tamna.signals.errors import ArtifactError, SignalsError
from tamna.signals.evaluation import EpisodeSettings
from tamna.signals.learning import Trial, cross_entropy_search
from tamna.signals.model import Intersection
from tamna.signals.program import TimingRules
from tamna.signals.registry import resolve
from tamna.twin import sumo as sumo_access
from tamna.twin.scenario import Scenario
from tamna.twin.signal_control import read_intersections
from tamna.twin.signal_episode import load_refused, run_episode_isolated
from tamna.twin.sumo_traci import version_of

log = logging.getLogger(__name__)

#: trainable controller → (the registered controller its candidates run as, the search space, the start: the
#: searched parameters start there and the others stay there)
TRAINABLE: dict[str, tuple[str, dict[str, tuple[float, float]], dict[str, float]]] = {
    TunedPressure.name: ("gap-pressure", SEARCH_SPACE, STARTING_POINT),
}


def train_controller(
    scenario: Scenario,
    controller: str,
    out: Path,
    *,
    minutes: float,
    seeds: Sequence[int] = (1,),
    settings: EpisodeSettings | None = None,
    report: Callable[[Trial], None] | None = None,
    workers: int = 1,
    start_from: Path | None = None,
) -> Path:
    """Search ``controller``'s parameters on ``scenario`` for ``minutes`` (wall clock) and write the artifact
    under ``out``; returns its folder. Each candidate's cost is its mean delay over ``seeds``; ``workers``
    episodes run side by side (one process each: at most one per core). The search starts from the controller's
    starting point, or from the parameters of the artifact ``start_from`` (one trained on this network: to go on
    from it when something it was trained under changed, such as what the detectors see)."""
    name = resolve(controller)
    if name not in TRAINABLE:
        raise SignalsError(f"controller {name!r} has nothing to train; trainable: {', '.join(TRAINABLE)}")
    if minutes <= 0:
        raise SignalsError("--minutes must be positive")
    if not seeds:
        raise SignalsError("give at least one training seed")
    if workers < 1:
        raise SignalsError(f"--workers must be at least 1, not {workers}")
    runs_as, space, start = TRAINABLE[name]
    base = settings or EpisodeSettings()
    intersections = scenario_intersections(scenario, base.rules)
    if start_from is not None:
        start = {**start, **_learned(start_from, name, intersections)}
    with tempfile.TemporaryDirectory(prefix="tamna-train-") as work:
        episodes = iter(range(1_000_000))  # next() on it is atomic: each worker gets its own folder

        def evaluate(params: dict[str, float]) -> float:
            delays = []
            for seed in seeds:
                folder = Path(work) / f"episode-{next(episodes)}"
                settings = replace(base, seed=seed, params={**start, **params})
                run = run_episode_isolated(scenario, runs_as, folder, settings)
                delays.append(run.trips.delay_s)
            return statistics.fmean(delays)

        result = cross_entropy_search(evaluate, space, start, budget_s=minutes * 60.0, report=report, workers=workers)
    training: dict[str, Any] = {
        "method": "cross-entropy search over whole SUMO episodes",
        "runs_as": runs_as,
        "seeds": list(seeds),
        "episodes": len(result.trials) * len(seeds),
        "minutes": round(result.seconds / 60.0, 2),
        "workers": workers,
        "start_delay_s": round(result.start_cost, 3),
        "best_delay_s": round(result.best_cost, 3),
        "decision_step_s": base.decision_step_s,
        "yellow_s": base.rules.yellow_s,
        "sumo": ".".join(map(str, version_of(base.sumo_binary or sumo_access.binary("sumo")))),
        "all_red_s": base.rules.all_red_s,
        "started_from": start_from.name if start_from is not None else "starting point",
        "trials": [{"params": t.params, "delay_s": round(t.cost, 3)} for t in result.trials],
    }
    files = [scenario.net_file, *scenario.route_files]
    return write_artifact(
        out,
        controller=name,
        scenario=scenario.name,
        fingerprint=scenario_fingerprint(files),
        intersections=intersections,
        params={**start, **result.best},
        training=training,
    )


def _learned(folder: Path, controller: str, intersections: Sequence[Intersection]) -> dict[str, float]:
    """The parameters the artifact in ``folder`` holds for these intersections (an error where it knows none
    of them: another network, or a changed program)."""
    artifact = load_artifact(folder, controller=controller)
    for intersection in intersections:
        found = artifact.params_for(intersection)
        if found is not None:
            return dict(found)
    raise ArtifactError(
        f"{folder}: trained on {artifact.manifest.get('scenario')!r}, it has no parameters for any signal of this "
        "network as it defines them"
    )


def scenario_intersections(scenario: Scenario, rules: TimingRules) -> list[Intersection]:
    """The controllable intersections of ``scenario`` as a controller sees them (read by SUMO in a fresh
    process, which is ended afterwards)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        found: list[Intersection] = pool.apply(_read, (scenario, rules))
    return found


def _read(scenario: Scenario, rules: TimingRules) -> list[Intersection]:
    with tempfile.TemporaryDirectory(prefix="tamna-read-") as work:
        error_log = Path(work) / sumo_access.ERROR_LOG
        error_log.write_text("", encoding="utf-8")
        args = sumo_access.command_line(scenario.config, list(scenario.additional_files), error_log)
        owner = f"reading the signals of {scenario.name}"
        with sumo_access.started(sumo_access.libsumo(), args, error_log, owner, refused=load_refused(scenario)) as sumo:
            return read_intersections(sumo, rules)[0]
