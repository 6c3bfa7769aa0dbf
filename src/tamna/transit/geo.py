"""Linear referencing on polylines: a local metric plane for a feed, distances along shapes and the projection
of a point onto a shape (with every plausible match, because loop routes pass the same place twice)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class Plane:
    """An equirectangular plane around ``origin`` (lon, lat): metres east and north. Good to a few metres per
    kilometre over a city or a commuter line, and far cheaper than a real projection in the matching loop."""

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        """Metres per degree of longitude at the origin."""
        return math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    @property
    def ky(self) -> float:
        """Metres per degree of latitude."""
        return math.radians(1) * EARTH_RADIUS_M

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """One point in metres."""
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def many(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Many points in metres."""
        return (np.asarray(lons, float) - self.lon0) * self.kx, (np.asarray(lats, float) - self.lat0) * self.ky


def haversine_many(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Great-circle lengths in metres of the consecutive legs of a (lon, lat) polyline (one fewer than points)."""
    lon, lat = np.radians(np.asarray(lons, float)), np.radians(np.asarray(lats, float))
    h = np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    result: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return result


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres.

    >>> round(haversine_m(126.53, 33.50, 126.54, 33.50))
    927
    """
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


class Polyline:
    """A shape in a :class:`Plane` with the great-circle distance travelled at each vertex (``cum_m``).

    A point's position along the line is the planar projection onto its nearest segment, expressed in the
    segment's great-circle length, so distances agree with ``shape_dist_traveled`` computed from the same points.
    """

    __slots__ = ("cum_m", "dx", "dy", "len2", "length_m", "seg_m", "x", "y")

    def __init__(self, x: np.ndarray, y: np.ndarray, cum_m: np.ndarray) -> None:
        if len(x) < 2:
            raise ValueError("a polyline needs two points")
        self.x, self.y, self.cum_m = np.asarray(x, float), np.asarray(y, float), np.asarray(cum_m, float)
        self.dx, self.dy = np.diff(self.x), np.diff(self.y)
        self.len2 = np.maximum(self.dx * self.dx + self.dy * self.dy, 1e-9)
        self.seg_m = np.diff(self.cum_m)
        self.length_m = float(self.cum_m[-1])

    def _project(self, px: float, py: float, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Distance along and squared offset for the segments ``lo:hi``."""
        dx, dy = self.dx[lo:hi], self.dy[lo:hi]
        t = ((px - self.x[lo:hi]) * dx + (py - self.y[lo:hi]) * dy) / self.len2[lo:hi]
        np.minimum(np.maximum(t, 0.0, out=t), 1.0, out=t)
        ox = self.x[lo:hi] + t * dx - px
        oy = self.y[lo:hi] + t * dy - py
        return self.cum_m[lo:hi] + t * self.seg_m[lo:hi], ox * ox + oy * oy

    def nearest(self, px: float, py: float) -> tuple[float, float]:
        """(distance along, offset) of the closest point of the whole line."""
        along, off2 = self._project(px, py, 0, len(self.dx))
        best = int(np.argmin(off2))
        return float(along[best]), math.sqrt(float(off2[best]))

    def candidates(
        self, px: float, py: float, radius_m: float, *, lo_m: float = -math.inf, hi_m: float = math.inf
    ) -> list[tuple[float, float]]:
        """(distance along, offset) of every separate pass of the line within ``radius_m`` of the point, limited
        to the stretch [lo_m, hi_m] of the line. A loop that passes a place twice gives two candidates."""
        lo = 0 if lo_m == -math.inf else max(0, int(self.cum_m.searchsorted(lo_m, side="right")) - 1)
        hi = len(self.dx) if hi_m == math.inf else min(len(self.dx), int(self.cum_m.searchsorted(hi_m)) + 1)
        if hi <= lo:
            return []
        along, off2 = self._project(px, py, lo, hi)
        index = (off2 <= radius_m * radius_m).nonzero()[0]
        if not len(index):
            return []
        if index[-1] - index[0] == len(index) - 1:  # one pass (the usual case): skip the splitting
            best = index[off2[index].argmin()]
            return [(float(along[best]), math.sqrt(float(off2[best])))]
        # runs of consecutive near segments are one pass of the line; the best point of each run is a candidate
        breaks = (np.diff(index) > 1).nonzero()[0] + 1
        found = []
        for run in np.split(index, breaks):
            best = run[off2[run].argmin()]
            found.append((float(along[best]), math.sqrt(float(off2[best]))))
        return found

    def point_at(self, dist_m: float) -> tuple[float, float]:
        """The planar point at ``dist_m`` along the line (clamped to its ends)."""
        d = min(max(dist_m, 0.0), self.length_m)
        i = min(int(np.searchsorted(self.cum_m, d, side="right")) - 1, len(self.dx) - 1)
        i = max(i, 0)
        t = (d - self.cum_m[i]) / self.seg_m[i] if self.seg_m[i] > 0 else 0.0
        return float(self.x[i] + t * self.dx[i]), float(self.y[i] + t * self.dy[i])
