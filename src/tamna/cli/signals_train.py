"""``tamna signals train``: learn a controller's parameters on a scenario and write a versioned artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tamna.cli.common import fail
from tamna.core.errors import TamnaError


def train(
    scenario: Annotated[Path, typer.Option("--scenario", help="the scenario's .sumocfg")],
    controller: Annotated[str, typer.Option("--controller", help="the controller to train")] = "tuned-pressure",
    out: Annotated[Path, typer.Option(help="folder to write the artifact folder into")] = Path("artifacts/signals"),
    minutes: Annotated[float, typer.Option(help="wall-clock training budget, minutes")] = 10.0,
    seeds: Annotated[str, typer.Option(help="training seeds, comma-separated (keep evaluation seeds apart)")] = "1",
    decision_step: Annotated[float, typer.Option(help="seconds between adaptive decisions (RESCO: 10)")] = 10.0,
    yellow: Annotated[float | None, typer.Option(help="yellow, s (default: the program's own; RESCO: 3)")] = None,
    all_red: Annotated[float | None, typer.Option(help="all-red, s (default: the program's own)")] = None,
    workers: Annotated[int, typer.Option(help="episodes run side by side (one per core at most)")] = 1,
    sumo: Annotated[
        Path | None, typer.Option("--sumo", help="train against this SUMO program through TraCI (another version)")
    ] = None,
    start_from: Annotated[
        Path | None, typer.Option("--from", help="start the search from this artifact's parameters (same network)")
    ] = None,
) -> None:
    """Search the controller's parameters in SUMO episodes (RESCO's delay) within the budget; write the artifact."""
    from tamna.signals.evaluation import EpisodeSettings
    from tamna.signals.learning import Trial
    from tamna.signals.program import TimingRules
    from tamna.twin.scenario import load_scenario
    from tamna.twin.signal_training import train_controller

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        fail(f"--seeds {seeds!r}: write numbers separated by commas")
        return
    settings = EpisodeSettings(
        decision_step_s=decision_step, rules=TimingRules(yellow_s=yellow, all_red_s=all_red), sumo_binary=sumo
    )

    def report(trial: Trial) -> None:
        shown = ", ".join(f"{k}={v:g}" for k, v in trial.params.items())
        typer.echo(f"generation {trial.generation}: delay {trial.cost:.2f} s ({shown}) in {trial.seconds:.0f} s")

    try:
        folder = train_controller(
            load_scenario(scenario),
            controller,
            out,
            minutes=minutes,
            seeds=seed_list,
            settings=settings,
            report=report,
            workers=workers,
            start_from=start_from,
        )
    except TamnaError as err:
        fail(str(err))
        return
    typer.echo(f"artifact: {folder}")
