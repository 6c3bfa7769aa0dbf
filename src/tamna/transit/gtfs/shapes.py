"""Shapes: distances along them (``shape_dist_traveled`` in metres when the feed has none) and where each stop of
a trip lies along its shape, found as the best sequence of matches that never goes backwards."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tamna.transit.geo import Plane, Polyline, haversine_many
from tamna.transit.gtfs.report import ValidationReport
from tamna.transit.gtfs.typed import Typed

#: A stop farther than this from its trip's shape is reported (the reference validator's threshold).
STOP_TOO_FAR_M = 100.0
#: Matches of a stop considered per pass of the shape, and the radius in which passes are looked for.
SEARCH_RADIUS_M = 150.0
#: Consecutive points farther apart than this with an equal distance are an error (reference validator v5).
EQUAL_DISTANCE_TOLERANCE_M = 1.11


@dataclass
class ShapeGeometry:
    """One shape: its points in order, its line in the feed's plane, and both distance scales."""

    shape_id: str
    sequence: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    dist_m: np.ndarray  # great-circle metres from the first point
    feed_dist: np.ndarray | None  # the feed's shape_dist_traveled (its own unit), when complete and increasing
    line: Polyline | None  # None for a shape of one point

    def to_metres(self, feed_dist: float) -> float:
        """A distance in the feed's unit, mapped to metres along the shape."""
        if self.feed_dist is None:
            raise ValueError("the shape has no shape_dist_traveled")
        return float(np.interp(feed_dist, self.feed_dist, self.dist_m))


def build_shapes(shapes: Typed, plane: Plane, report: ValidationReport) -> dict[str, ShapeGeometry]:
    """Group, order and measure every shape, reporting the reference validator's shape notices."""
    ids, seqs = shapes.col("shape_id"), shapes.col("shape_pt_sequence")
    lats, lons, dists = shapes.col("shape_pt_lat"), shapes.col("shape_pt_lon"), shapes.col("shape_dist_traveled")
    rows: dict[str, list[int]] = defaultdict(list)
    for index, (shape_id, seq, lat, lon) in enumerate(zip(ids, seqs, lats, lons, strict=True)):
        if shape_id is not None and seq is not None and lat is not None and lon is not None:
            rows[shape_id].append(index)
    out = {}
    for shape_id, members in rows.items():
        members.sort(key=lambda i: seqs[i])
        sequence = np.array([seqs[i] for i in members], dtype=np.int64)
        for k in np.flatnonzero(np.diff(sequence) == 0):
            report.error(
                "duplicate_key",
                f"shape {shape_id!r} has two points with shape_pt_sequence {sequence[k]}",
                file="shapes.txt",
                line=shapes.lines[members[k + 1]],
                field="shape_pt_sequence",
                value=int(sequence[k]),
            )
        lat = np.array([lats[i] for i in members], dtype=float)
        lon = np.array([lons[i] for i in members], dtype=float)
        legs = haversine_many(lon, lat) if len(members) > 1 else np.zeros(0)
        dist_m = np.concatenate([[0.0], np.cumsum(legs)])
        feed = [dists[i] for i in members]
        feed_dist = _check_feed_distances(shape_id, feed, legs, [shapes.lines[i] for i in members], report)
        if len(members) < 2 or dist_m[-1] <= 0:
            report.warning(
                "single_shape_point",
                f"shape {shape_id!r} has fewer than two distinct points",
                file="shapes.txt",
                line=shapes.lines[members[0]],
                value=shape_id,
            )
            line = None
        else:
            x, y = plane.many(lon, lat)
            line = Polyline(x, y, dist_m)
        out[shape_id] = ShapeGeometry(shape_id, sequence, lat, lon, dist_m, feed_dist, line)
    return out


def _check_feed_distances(
    shape_id: str, feed: list[float | None], legs: np.ndarray, lines: list[int], report: ValidationReport
) -> np.ndarray | None:
    if all(d is None for d in feed):
        return None
    if any(d is None for d in feed):
        return None  # partial distances are allowed by the reference but cannot serve as a scale
    values = np.array(feed, dtype=float)
    step = np.diff(values)
    usable = True
    for k in np.flatnonzero(step < 0):
        usable = False
        report.error(
            "decreasing_shape_distance",
            f"shape {shape_id!r}: shape_dist_traveled goes back",
            file="shapes.txt",
            line=lines[k + 1],
            field="shape_dist_traveled",
            value=float(values[k + 1]),
        )
    for k in np.flatnonzero(step == 0):
        if legs[k] >= EQUAL_DISTANCE_TOLERANCE_M:
            usable = False
            report.error(
                "equal_shape_distance_diff_coordinates",
                f"shape {shape_id!r}: two points {legs[k]:.1f} m apart have the same shape_dist_traveled",
                file="shapes.txt",
                line=lines[k + 1],
                field="shape_dist_traveled",
                value=float(values[k]),
            )
        elif legs[k] > 0:
            report.warning(
                "equal_shape_distance_diff_coordinates_distance_below_threshold",
                f"shape {shape_id!r}: two points under {EQUAL_DISTANCE_TOLERANCE_M} m apart have the "
                "same shape_dist_traveled",
                file="shapes.txt",
                line=lines[k + 1],
            )
        else:
            report.warning(
                "equal_shape_distance_same_coordinates",
                f"shape {shape_id!r}: a point is repeated",
                file="shapes.txt",
                line=lines[k + 1],
            )
    return values if usable and len(values) > 1 and values[-1] > values[0] else None


@dataclass(frozen=True, slots=True)
class StopMatch:
    """Where a stop lies along a shape, and how far from it."""

    dist_m: float
    offset_m: float


def locate_stops(line: Polyline, points: Sequence[tuple[float, float]]) -> tuple[list[StopMatch], bool]:
    """Place each stop of a trip (in stop order) along ``line`` so that distances never decrease and the sum of
    offsets is smallest. A stop that fits nowhere in that order (say a first stop before the shape begins) is
    left out of the order and placed between its neighbours; the flag says whether every stop fitted."""
    options: list[list[tuple[float, float]]] = []
    for x, y in points:
        found = line.candidates(x, y, SEARCH_RADIUS_M)
        nearest = line.nearest(x, y)
        if not found or nearest[1] < min(off for _, off in found) - 1e-6:
            found.append(nearest)
        found.sort(key=lambda c: c[1])
        options.append(found[:6])
    chosen = _monotone_path(options)
    placed = {i: options[i][k] for i, k in chosen.items()}
    matches = []
    for i in range(len(options)):
        if i in placed:
            matches.append(StopMatch(*placed[i]))
            continue
        before = max((j for j in placed if j < i), default=None)
        after = min((j for j in placed if j > i), default=None)
        if before is not None and after is not None:
            share = (i - before) / (after - before)
            dist = placed[before][0] + share * (placed[after][0] - placed[before][0])
        elif before is not None:
            dist = placed[before][0]
        elif after is not None:
            dist = placed[after][0]
        else:
            dist = 0.0
        x, y = line.point_at(dist)
        matches.append(StopMatch(dist, math.hypot(x - points[i][0], y - points[i][1])))
    return matches, len(chosen) == len(options)


#: What leaving a stop out of the order costs, in metres of offset: more than any plausible placement.
SKIP_COST_M = 300.0
#: How many stops in a row may be left out.
MAX_SKIP = 3


def _monotone_path(options: list[list[tuple[float, float]]]) -> dict[int, int]:
    """Dynamic programme over the candidates: non-decreasing distance, least total offset, where a stop may be
    left out at :data:`SKIP_COST_M`. Returns the chosen candidate of each placed stop."""
    tolerance = 1.0
    n = len(options)
    cost: list[list[float]] = []
    back: list[list[tuple[int, int] | None]] = []
    for i, row in enumerate(options):
        costs, links = [], []
        for dist, off in row:
            best, link = (SKIP_COST_M * i if i <= MAX_SKIP else math.inf), None
            for j in range(max(0, i - MAX_SKIP - 1), i):
                for m, (prev_dist, _) in enumerate(options[j]):
                    total = cost[j][m] + SKIP_COST_M * (i - j - 1)
                    if prev_dist <= dist + tolerance and total < best:
                        best, link = total, (j, m)
            costs.append(best + off)
            links.append(link)
        cost.append(costs)
        back.append(links)
    best_end, end = math.inf, None
    for i in range(max(0, n - MAX_SKIP - 1), n):
        for k, value in enumerate(cost[i]):
            total = value + SKIP_COST_M * (n - 1 - i)
            if total < best_end:
                best_end, end = total, (i, k)
    chosen: dict[int, int] = {}
    while end is not None:
        chosen[end[0]] = end[1]
        end = back[end[0]][end[1]]
    return chosen
