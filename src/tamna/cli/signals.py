"""``tamna signals``: evaluate signal controllers on a SUMO scenario, and list them."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from tamna.cli.common import fail
from tamna.core.errors import TamnaError

app = typer.Typer(help="Signal control: controllers and their evaluation in SUMO.", no_args_is_help=True)


@app.command("controllers")
def list_controllers() -> None:
    """The registered controllers, and what ``best`` stands for."""
    from tamna.signals.registry import BEST, RECOMMENDED, controllers

    for name, kind in controllers():
        typer.echo(f"{name:14} {kind.summary}")
    typer.echo(f"{BEST:14} Tamna's recommendation: {RECOMMENDED}")


@app.command()
def evaluate(
    scenario: Annotated[Path, typer.Option("--scenario", help="the scenario's .sumocfg")],
    controller: Annotated[
        str, typer.Option("--controller", help="a controller name, 'best', or 'network-program' (SUMO alone)")
    ] = "best",
    seeds: Annotated[int, typer.Option(help="runs with SUMO seeds 1..N; figures are mean ± sd")] = 1,
    decision_step: Annotated[float, typer.Option(help="seconds between adaptive decisions (RESCO: 10)")] = 10.0,
    yellow: Annotated[float | None, typer.Option(help="yellow, s (default: the program's own; RESCO: 3)")] = None,
    all_red: Annotated[float | None, typer.Option(help="all-red, s (default: the program's own)")] = None,
    until: Annotated[float | None, typer.Option(help="end the episode at this scenario time, s")] = None,
    param: Annotated[list[str] | None, typer.Option(help="a controller parameter NAME=VALUE (repeatable)")] = None,
    check_safety: Annotated[bool, typer.Option(help="check every step's signal states against the rules")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
) -> None:
    """Run SUMO (libsumo) on the scenario under a controller and report RESCO's average delay and the rest."""
    from tamna.signals.evaluation import FIGURES, NETWORK_PROGRAM, EpisodeSettings, summarise
    from tamna.signals.program import TimingRules
    from tamna.twin.scenario import load_scenario
    from tamna.twin.signal_episode import run_episode_isolated

    if seeds < 1:
        fail("--seeds must be at least 1")
    params = _params(param or [])
    rules = TimingRules(yellow_s=yellow, all_red_s=all_red)
    chosen = None if controller == NETWORK_PROGRAM else controller
    runs = []
    try:
        loaded = load_scenario(scenario)
        with tempfile.TemporaryDirectory(prefix="tamna-signals-") as work:
            for seed in range(1, seeds + 1):
                settings = EpisodeSettings(
                    seed=seed,
                    decision_step_s=decision_step,
                    rules=rules,
                    until_s=until,
                    params=params,
                    check_safety=check_safety,
                )
                runs.append(run_episode_isolated(loaded, chosen, Path(work) / f"seed-{seed}", settings))
    except TamnaError as err:
        fail(str(err))
        return
    summary = summarise(runs)
    if as_json:
        document = {
            "scenario": str(loaded.config),
            "controller": runs[0].controller,
            "seeds": seeds,
            "summary": {name: {"mean": s.mean, "sd": s.sd, "n": s.n} for name, s in summary.items()},
            "runs": [run.to_dict() for run in runs],
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        first = runs[0]
        typer.echo(
            f"{first.scenario}: {first.controller} on {first.controlled} of {first.signals} signals, "
            f"{first.begin_s:g}–{first.end_s:g} s, {seeds} seed(s)"
        )
        for name, label in FIGURES.items():
            typer.echo(f"  {label}: {summary[name]}")
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
