"""How far back a signal's detectors see on each approach.

A controller reads each incoming lane's vehicles and queue over the whole lane, as RESCO and sumo-rl do. Networks
cut from OpenStreetMap often end an approach in a link a few metres long, where a junction cluster or a merge
splits the road just before the stop line: on cologne3 the cluster signal's approaches ``200818108#0`` (9.7 m) and
``319261593#16`` (12.6 m) hold one or two vehicles, while their queues stand on the 70 m road behind. Read over
the lane alone, such an approach never shows more than two vehicles, so a pressure controller starves it, and
its queue, unseen, grew into a fifth of the scenario's delay (docs/benchmarks.md). A field controller's approach
detection (a camera's or radar's zone, a lane-area detector) covers a stretch before the stop line whatever the
map's links are, so a lane shorter than :data:`APPROACH_REACH_M` is read together with the lanes behind it, back
through junctions without a signal, until the stretch is that long. A lane reached through a signal belongs to
that signal's approach, not to this one.

Pure logic over a lane graph (:func:`lanes_behind`), and its reading from the loaded simulation
(:func:`read_lanes_behind`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

#: the stretch before the stop line an approach is read over, at least (m): about seven queued cars, the zone of
#: a stop-bar camera or radar; 100 m was also tried and jammed more held-out seeds (docs/benchmarks.md)
APPROACH_REACH_M = 50.0


def lanes_behind(
    lanes: Iterable[str],
    length_m: Callable[[str], float],
    feeders: Mapping[str, Sequence[str]],
    reach_m: float = APPROACH_REACH_M,
) -> dict[str, tuple[str, ...]]:
    """For each of ``lanes`` shorter than ``reach_m``, the lanes behind it that make up the first ``reach_m``
    before its end: those that feed it (``feeders``: lane → the lanes with a link into it through no signal),
    then theirs, along every branch until it is that long. Lanes long enough are left out. A lane is counted
    once per approach, however many ways lead to it (a loop included)."""
    behind: dict[str, tuple[str, ...]] = {}
    for lane in lanes:
        found: list[str] = []
        seen = {lane}
        frontier = [(lane, length_m(lane))]
        while frontier:
            current, reached_m = frontier.pop()
            if reached_m >= reach_m:
                continue
            for feeder in feeders.get(current, ()):
                if feeder not in seen:
                    seen.add(feeder)
                    found.append(feeder)
                    frontier.append((feeder, reached_m + length_m(feeder)))
        if found:
            behind[lane] = tuple(found)
    return behind


def read_lanes_behind(
    sumo: ModuleType, lanes_of: Mapping[str, Sequence[str]], reach_m: float = APPROACH_REACH_M
) -> dict[str, dict[str, tuple[str, ...]]]:
    """:func:`lanes_behind` for each group of lanes in ``lanes_of`` (a signal's incoming lanes, by signal) in the
    simulation loaded in ``sumo`` (libsumo or TraCI): its lanes' links, less those a signal controls, read once
    for all the groups."""
    lane: Any = sumo.lane
    trafficlight: Any = sumo.trafficlight
    signalled = {
        (link[0], link[1])
        for signal_id in trafficlight.getIDList()
        for group in trafficlight.getControlledLinks(signal_id)
        for link in group
    }
    feeders: dict[str, list[str]] = {}
    for lane_id in lane.getIDList():
        if lane_id.startswith(":"):  # a lane inside a junction: its links lead on to the road it is part of
            continue
        for link in lane.getLinks(lane_id):
            to_lane = str(link[0])
            if (lane_id, to_lane) not in signalled:
                feeders.setdefault(to_lane, []).append(str(lane_id))
    lengths: dict[str, float] = {}

    def length_m(lane_id: str) -> float:
        if lane_id not in lengths:
            lengths[lane_id] = float(lane.getLength(lane_id))
        return lengths[lane_id]

    return {key: lanes_behind(lanes, length_m, feeders, reach_m) for key, lanes in lanes_of.items()}
