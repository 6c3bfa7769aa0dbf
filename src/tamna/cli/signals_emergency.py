"""``tamna signals evaluate --emergency N``: each seed run twice, without and with emergency preemption, and the
emergency vehicles' travel times beside the delay of everyone else."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from tamna.signals.evaluation import EpisodeSettings, RunResult
from tamna.twin.scenario import Scenario


def evaluate_emergency(
    scenario: Scenario, controller: str, settings: Sequence[EpisodeSettings], work: Path, *, as_json: bool
) -> list[RunResult]:
    """Run every seed's settings without and with preemption and report both; returns every run."""
    from tamna.twin.signal_episode import run_episode_isolated

    runs: dict[bool, list[RunResult]] = {False: [], True: []}
    for base in settings:
        for preemption in (False, True):
            chosen = dataclasses.replace(base, preemption=preemption)
            folder = work / f"seed-{base.seed}-{'preempt' if preemption else 'plain'}"
            runs[preemption].append(run_episode_isolated(scenario, controller, folder, chosen))
    summary = {("with" if p else "without"): _summary(r) for p, r in runs.items()}
    if as_json:
        document = {
            "scenario": str(scenario.config),
            "controller": runs[False][0].controller,
            "emergency": settings[0].emergency,
            "summary": summary,
            "runs": [run.to_dict() for group in runs.values() for run in group],
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        first = runs[False][0]
        typer.echo(
            f"{first.scenario}: {first.controller}, {settings[0].emergency} emergency vehicle(s) per run, "
            f"{len(settings)} seed(s), {first.begin_s:g}–{first.end_s:g} s"
        )
        for label, figures in summary.items():
            typer.echo(
                f"  {label} preemption: emergency travel {figures['emergency_travel_s']:.1f} s "
                f"(time loss {figures['emergency_time_loss_s']:.1f} s, {figures['emergency_arrived']} arrived); "
                f"others' average delay {figures['others_delay_s']:.2f} s"
            )
    return [run for group in runs.values() for run in group]


def _summary(runs: Sequence[RunResult]) -> dict[str, Any]:
    trips = [trip for run in runs for trip in run.emergency]
    travel = [t.travel_s for t in trips if t.travel_s is not None]
    return {
        "emergency_travel_s": statistics.fmean(travel) if travel else float("nan"),
        "emergency_time_loss_s": statistics.fmean(t.time_loss_s for t in trips) if trips else float("nan"),
        "emergency_arrived": len(travel),
        "emergency_vehicles": len(trips),
        "others_delay_s": statistics.fmean(run.trips.delay_s for run in runs),
        "safety_violations": sum(len(run.safety_violations) for run in runs),
    }
