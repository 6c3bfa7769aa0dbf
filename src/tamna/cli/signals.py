"""``tamna signals``: evaluate signal controllers on a SUMO scenario, and list them."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tamna.cli.common import fail
from tamna.cli.signals_train import train
from tamna.core.errors import TamnaError

if TYPE_CHECKING:
    from tamna.signals.evaluation import EpisodeSettings, RunResult
    from tamna.twin.scenario import Scenario

app = typer.Typer(help="Signal control: controllers and their evaluation in SUMO.", no_args_is_help=True)


@app.command("controllers")
def list_controllers() -> None:
    """The registered controllers, and what ``best`` stands for."""
    from tamna.signals.registry import BEST, RECOMMENDED, controllers

    for name, kind in controllers():
        typer.echo(f"{name:14} {kind.summary}")
    typer.echo(f"{BEST:14} Tamna's recommendation: {RECOMMENDED}")


app.command("train")(train)


@app.command()
def evaluate(
    scenario: Annotated[Path, typer.Option("--scenario", help="the scenario's .sumocfg")],
    controller: Annotated[
        str, typer.Option("--controller", help="a controller name, 'best', or 'network-program' (SUMO alone)")
    ] = "best",
    seeds: Annotated[int, typer.Option(help="runs with N SUMO seeds, from --first-seed; figures are mean ± sd")] = 1,
    first_seed: Annotated[
        int, typer.Option(help="the first SUMO seed (RESCO draws a random seed per episode: run many to compare)")
    ] = 1,
    decision_step: Annotated[float, typer.Option(help="seconds between adaptive decisions (RESCO: 10)")] = 10.0,
    yellow: Annotated[float | None, typer.Option(help="yellow, s (default: the program's own; RESCO: 3)")] = None,
    all_red: Annotated[float | None, typer.Option(help="all-red, s (default: the program's own)")] = None,
    box_wait: Annotated[
        float,
        typer.Option(
            help="the longest a new green waits, in all-red, for vehicles still crossing its junction box, s "
            "(ADR 9); 0: never waits"
        ),
    ] = 10.0,
    until: Annotated[float | None, typer.Option(help="end the episode at this scenario time, s")] = None,
    param: Annotated[list[str] | None, typer.Option(help="a controller parameter NAME=VALUE (repeatable)")] = None,
    check_safety: Annotated[bool, typer.Option(help="check every step's signal states against the rules")] = False,
    artifact: Annotated[
        Path | None, typer.Option(help="a trained controller's artifact folder (tamna signals train)")
    ] = None,
    emergency: Annotated[
        int,
        typer.Option(
            help="send N emergency vehicles through the signals; each seed then runs without and with preemption"
        ),
    ] = 0,
    signals: Annotated[
        str | None,
        typer.Option(
            help="only these traffic lights (SUMO ids, comma-separated) under the controller; the rest keep the "
            "network's program (a corridor against the rest of the city)"
        ),
    ] = None,
    sumo: Annotated[
        Path | None,
        typer.Option(
            "--sumo",
            help="run this SUMO program through TraCI instead of the installed SUMO (e.g. 1.9.2, the version "
            "RESCO published with)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
) -> None:
    """Run SUMO (libsumo) on the scenario under a controller and report RESCO's average delay and the rest.

    An episode in which SUMO itself fails (crashes, as SUMO 1.9.2 does on some seeds) is reported with its seed
    and left out of the figures; the other seeds run on, and the command then exits with code 1."""
    from tamna.signals.evaluation import NETWORK_PROGRAM, EpisodeSettings
    from tamna.signals.program import TimingRules
    from tamna.twin.scenario import load_scenario

    if seeds < 1:
        fail("--seeds must be at least 1")
    if first_seed < 0:
        fail(f"--first-seed {first_seed}: SUMO's seeds are 0 or more")
    if emergency < 0 or (emergency and controller == NETWORK_PROGRAM):
        fail("--emergency needs N ≥ 0 and a Tamna controller (fixed-time runs the network's own plan)")
    params = _params(param or [])
    signal_ids = None if signals is None else [s.strip() for s in signals.split(",") if s.strip()]
    if signal_ids is not None and not signal_ids:
        fail(f"--signals {signals!r}: name at least one traffic light")
    if signal_ids is not None and controller == NETWORK_PROGRAM:
        fail("--signals puts a subset under a Tamna controller; network-program runs every signal on its own plan")
    if not 0 <= box_wait < float("inf"):
        fail(f"--box-wait {box_wait:g}: give seconds, 0 or more")
    rules = TimingRules(yellow_s=yellow, all_red_s=all_red, box_wait_max_s=box_wait)
    chosen = None if controller == NETWORK_PROGRAM else controller
    plans = [
        EpisodeSettings(
            seed=seed,
            decision_step_s=decision_step,
            rules=rules,
            until_s=until,
            params=params,
            check_safety=check_safety,
            emergency=emergency,
            artifact=artifact,
            signal_ids=signal_ids,
            sumo_binary=sumo,
        )
        for seed in range(first_seed, first_seed + seeds)
    ]
    try:
        if artifact is not None:  # checked here, before any episode starts
            from tamna.signals.artifacts import load_artifact
            from tamna.signals.registry import resolve

            load_artifact(artifact, controller=resolve(controller))
        loaded = load_scenario(scenario)
        with tempfile.TemporaryDirectory(prefix="tamna-signals-") as work:
            if emergency:
                from tamna.cli.signals_emergency import evaluate_emergency

                _exit_on_violations(evaluate_emergency(loaded, controller, plans, Path(work), as_json=as_json))
                return
            runs, failed = _episodes(loaded, chosen, plans, Path(work))
    except TamnaError as err:
        fail(str(err))
        return
    for seed, error in failed.items():
        typer.echo(f"seed {seed}: left out, {error}", err=True)
    _report(str(loaded.config), runs, failed, seeds=seeds, first_seed=first_seed, as_json=as_json)
    _exit_on_violations(runs)
    if failed:
        raise typer.Exit(1)


def _report(
    config: str, runs: list[RunResult], failed: dict[int, str], *, seeds: int, first_seed: int, as_json: bool
) -> None:
    """The figures of ``runs``, as JSON or as text."""
    from tamna import native
    from tamna.signals.evaluation import FIGURES, summarise

    summary = summarise(runs)
    if as_json:
        document = {
            "scenario": config,
            "controller": runs[0].controller,
            "seeds": seeds,
            "first_seed": first_seed,
            # seeds whose SUMO failed (left out of the summary), with the error
            "failed": {str(seed): error for seed, error in failed.items()},
            # whether the compiled hot path ran (tamna.native): the speed figures depend on it, nothing else does
            "signal_control": native.status(),
            "summary": {name: {"mean": s.mean, "sd": s.sd, "n": s.n} for name, s in summary.items()},
            "runs": [run.to_dict() for run in runs],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    first = runs[0]
    typer.echo(
        f"{first.scenario}: {first.controller} on {first.controlled} of {first.signals} signals, "
        f"{first.begin_s:g}–{first.end_s:g} s, {_seeds_text(first_seed, seeds, failed)}"
    )
    for name, label in FIGURES.items():
        typer.echo(f"  {label}: {summary[name]}")
    typer.echo(f"  signal control: {native.status()}")
    if first.parameters:
        typer.echo(f"  parameters from: {', '.join(first.parameters)}")


def _episodes(
    scenario: Scenario, controller: str | None, plans: list[EpisodeSettings], work: Path
) -> tuple[list[RunResult], dict[int, str]]:
    """Each plan's episode, and the seeds whose SUMO failed with the error (any other error ends them all: it
    would fail every seed alike). Every episode failing is an error of its own."""
    from tamna.signals.errors import SimulationFailed
    from tamna.twin.signal_episode import run_episode_isolated

    runs: list[RunResult] = []
    failed: dict[int, str] = {}
    for plan in plans:
        try:
            runs.append(run_episode_isolated(scenario, controller, work / f"seed-{plan.seed}", plan))
        except SimulationFailed as err:
            failed[plan.seed] = str(err)
    if not runs:
        first = next(iter(failed.items()))
        raise SimulationFailed(f"every episode failed; seed {first[0]}: {first[1]}")
    return runs, failed


def _seeds_text(first_seed: int, seeds: int, failed: dict[int, str]) -> str:
    """``3 seed(s) from 1`` and, where some failed, which."""
    text = f"{seeds} seed(s) from {first_seed}"
    if failed:
        text += f", {len(failed)} left out (SUMO failed: seed {', '.join(map(str, failed))})"
    return text


def _exit_on_violations(runs: list[RunResult]) -> None:
    violations = [v for run in runs for v in run.safety_violations]
    if violations:
        for violation in violations[:20]:
            typer.echo(f"safety violation: {violation}", err=True)
        raise typer.Exit(1)


def _params(items: list[str]) -> dict[str, float]:
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            if not sep or not key:
                raise ValueError(item)
            params[key.strip()] = float(value)
        except ValueError:
            fail(f"--param {item!r}: write NAME=NUMBER")
    return params
