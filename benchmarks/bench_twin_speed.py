"""Digital twin speed: simulated seconds per wall second, flat out, with every detector reading going through
the ingest path into a DuckDB store (the embedded default), and without ingest for comparison.

Cities: the generated one (always) and Jeju-si centre (when ``--data`` holds ``jeju/``). Each is built once
(the build is not timed), then run over its whole demand window (Jeju: 06:00-10:00, morning peak included)
``--runs`` times. The target is >= 20x real time on 2 cores with the platform ingesting everything.

    python benchmarks/bench_twin_speed.py [--runs 3] [--cities generated,jeju] [--no-bare]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import harness
from tamna.twin.build.generated import build_generated_city
from tamna.twin.build.jeju import build_jeju
from tamna.twin.speed import SpeedReport, measure_speed

TARGET_X = 20.0


def scenario_of(city: str, args: argparse.Namespace, work: Path) -> Path:
    """Build (or reuse) the city's scenario and return its ``.sumocfg``."""
    if city == "generated":
        return build_generated_city(work / "generated")
    if city == "jeju":
        if not (args.data / "jeju").is_dir():
            raise SystemExit(f"no Jeju data under {args.data} (pass --data)")
        return build_jeju(args.data, work / "jeju")
    raise SystemExit(f"unknown city {city!r}: generated or jeju")


def figure(city: str, reports: list[SpeedReport], *, ingest: bool) -> harness.Figure:
    speeds = [round(r.sim_per_total_wall_s, 1) for r in reports]
    last = reports[-1].summary
    return harness.Figure(
        name=f"twin speed, {city}, {'ingesting every reading into DuckDB' if ingest else 'no ingest'} (x real time)",
        value=harness.median(speeds),
        unit="x",
        target=TARGET_X if ingest else None,
        runs=speeds,
        note=(
            f"{last.simulated_s:,.0f} simulated s, {last.departed:,} vehicles departed, {last.detectors:,} detectors, "
            f"{last.records_stored:,} readings stored, {last.teleports:,} teleports"
        ),
    )


def main() -> None:
    ap = harness.parser(__doc__.splitlines()[0], runs=3)
    ap.add_argument("--data", type=Path, default=harness.REPO.parent / "shared" / "data", help="shared data folder")
    ap.add_argument("--cities", default="generated,jeju", help="comma-separated: generated, jeju")
    ap.add_argument("--no-bare", action="store_true", help="skip the runs without ingest")
    args = ap.parse_args()
    figures: list[harness.Figure] = []
    details: dict[str, object] = {}
    with harness.data_folder(args) as work:
        for city in args.cities.split(","):
            config = scenario_of(city.strip(), args, work)
            modes = (True,) if args.no_bare else (True, False)
            for ingest in modes:
                reports = []
                for run in range(args.runs):
                    reports.append(measure_speed(config, work / f"run-{city}-{ingest}-{run}", ingest=ingest))
                    print(f"{city} ingest={ingest} run {run + 1}: {reports[-1].sim_per_total_wall_s:.1f}x")
                figures.append(figure(city, reports, ingest=ingest))
                details[f"{city}-{'ingest' if ingest else 'bare'}-load_s"] = [round(r.load_s, 2) for r in reports]
    harness.save("twin_speed@" + args.cities.replace(",", "+"), args, figures, **details)


if __name__ == "__main__":
    main()
