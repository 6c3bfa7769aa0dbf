"""Demand over a day: an hourly profile with morning and evening peaks, trips written as SUMO ``<trip>``s and
routed by duarouter, or drawn by SUMO's ``randomTrips.py`` for a city known only from OpenStreetMap.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tamna.twin.build._tools import TwinBuildError, run_tool, sumo_binary, sumo_tool, write_xml

#: Share of a weekday's vehicle trips starting in each hour 0–23 (sums to 1): the double-peaked shape of Korean
#: urban traffic counts (the K-factor, peak hour ÷ day, of Korean city roads is about 7–8 %).
HOURLY_SHARE = (
    0.012, 0.007, 0.005, 0.004, 0.005, 0.012, 0.028, 0.058, 0.075, 0.060, 0.052, 0.053,
    0.054, 0.055, 0.056, 0.058, 0.061, 0.068, 0.075, 0.056, 0.044, 0.036, 0.038, 0.028,
)  # fmt: skip
PEAK_SHARE = max(HOURLY_SHARE)
DAY_S = 24 * 3600


@dataclass(frozen=True)
class Trip:
    """One car trip between two edges."""

    id: str
    depart_s: float
    origin: str
    destination: str


def hourly_rate(peak_vph: float, hour: int) -> float:
    """Vehicles per hour starting in ``hour`` when the busiest hour starts ``peak_vph``."""
    return peak_vph * HOURLY_SHARE[hour % 24] / PEAK_SHARE


def hours(begin_s: int, end_s: int) -> list[tuple[int, float, float]]:
    """(hour of day, start, end) slices of the window, cut at full hours."""
    out = []
    start = float(begin_s)
    while start < end_s:
        hour = int(start // 3600)
        stop = min(float(end_s), (hour + 1) * 3600.0)
        out.append((hour, start, stop))
        start = stop
    return out


def write_trips(path: Path, trips: list[Trip]) -> None:
    """Trips in departure order (duarouter and SUMO need them sorted)."""
    root = ET.Element("routes")
    ET.SubElement(root, "vType", id="car", vClass="passenger")
    for trip in sorted(trips, key=lambda t: (t.depart_s, t.id)):
        ET.SubElement(
            root,
            "trip",
            {
                "id": trip.id,
                "type": "car",
                "depart": f"{trip.depart_s:.2f}",
                "from": trip.origin,
                "to": trip.destination,
                "departLane": "best",
                "departPos": "random",
                "departSpeed": "max",
            },
        )
    write_xml(path, root)


def route(net: Path, trips: Path, out: Path, *, cwd: Path, seed: int) -> Path:
    """Route trips on the empty network with duarouter; unroutable trips are dropped, not fatal."""
    run_tool(
        [
            sumo_binary("duarouter"),
            "--net-file",
            net,
            "--route-files",
            trips,
            "--output-file",
            out,
            "--ignore-errors",
            "--repair",
            "--no-warnings",
            "--no-step-log",
            "--seed",
            str(seed),
            # A* with the straight-line bound: the island's 100k long trips took over 15 minutes with Dijkstra.
            "--routing-algorithm",
            "astar",
            "--routing-threads",
            "2",
            # The alternatives file only matters for iterative assignment; the twin needs each vehicle's one route.
            "--alternatives-output",
            "NUL",
        ],
        what="duarouter (routing the demand)",
        cwd=cwd,
    )
    if not out.is_file():
        raise TwinBuildError(f"duarouter wrote no routes to {out}")
    return out


def random_trips(net: Path, out: Path, *, cwd: Path, begin_s: int, end_s: int, peak_vph: float, seed: int) -> Path:
    """Trips from ``randomTrips.py``: origins and destinations weighted by lanes and speed (a stand-in for road
    rank), more of them at the network's edge (through and commuter traffic), the rate following the profile."""
    slices = hours(begin_s, end_s)
    # randomTrips spreads a list of insertion rates over equal parts of [begin, end); whole hours keep them aligned.
    if any(stop - start != 3600.0 for _h, start, stop in slices):
        raise TwinBuildError("random_trips needs a window of whole hours")
    rates = [f"{max(hourly_rate(peak_vph, hour), 1.0):.1f}" for hour, _s, _e in slices]
    run_tool(
        [
            sumo_tool("randomTrips.py"),
            "--net-file",
            net,
            "--output-trip-file",
            out,
            "--begin",
            str(begin_s),
            "--end",
            str(end_s),
            "--insertion-rate",
            *rates,
            "--seed",
            str(seed),
            "--lanes",
            "--speed-exponent",
            "1",
            "--fringe-factor",
            "5",
            "--min-distance",
            "300",
            "--vclass",
            "passenger",
            "--vehicle-class",
            "passenger",
            # The duarouter call that follows drops the few unroutable trips; validating here would route twice.
            "--no-validate",
            "--prefix",
            "t",
            "--trip-attributes",
            'departLane="best" departPos="random" departSpeed="max"',
        ],
        what="randomTrips.py (demand)",
        cwd=cwd,
    )
    if not out.is_file():
        raise TwinBuildError(f"randomTrips.py wrote no trips to {out}")
    return out
