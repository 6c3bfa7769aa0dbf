"""Placing SUMO coordinates on the globe, the same way the store's SUMO network adapter does, so that a detector,
a bus and the link they are on line up on the map.

A network with a projection (``<location projParameter=…>``) is converted with it; an unprojected one (netgenerate
grids, RESCO's synthetic grids) is placed with its original (0, 0) at :data:`DEFAULT_ORIGIN`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tamna.ingest.geo import local_to_lonlat
from tamna.twin.errors import TwinError

#: Where unprojected networks are placed: Jeju City Hall (lon, lat). One constant for every twin, so that the
#: store, the sensors and the vehicles agree.
DEFAULT_ORIGIN: tuple[float, float] = (126.5312, 33.4996)

Point = tuple[float, float]


@dataclass(frozen=True)
class Projection:
    """Net coordinates (metres, after SUMO's ``netOffset``) to (lon, lat)."""

    offset: Point = (0.0, 0.0)
    proj: str = "!"
    origin: Point = DEFAULT_ORIGIN
    _transformer: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, offset: Point, proj: str, origin: Point = DEFAULT_ORIGIN) -> Projection:
        """Build the projection of a ``<location>`` element (``proj`` ``"!"`` means none)."""
        transformer = None
        if proj.strip() not in ("", "!"):
            from pyproj import CRS, Transformer

            try:
                transformer = Transformer.from_crs(CRS.from_proj4(proj), CRS.from_epsg(4326), always_xy=True)
            except Exception as err:  # pyproj raises its own CRSError subclasses
                raise TwinError(f"unusable projection {proj!r} in the network: {err}") from err
        return cls(offset, proj, origin, transformer)

    @property
    def geographic(self) -> bool:
        """Whether the network carries a real projection (rather than being placed at an origin)."""
        return self._transformer is not None

    def lonlat(self, x: float, y: float) -> Point:
        """One point."""
        lons, lats = self.many([x], [y])
        return lons[0], lats[0]

    def many(self, xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
        """Many points at once (one pyproj call, which is what keeps a tick of thousands of vehicles cheap)."""
        ox, oy = self.offset
        if self._transformer is None:
            points = [local_to_lonlat(x - ox, y - oy, self.origin) for x, y in zip(xs, ys, strict=True)]
            return [p[0] for p in points], [p[1] for p in points]
        import numpy as np

        lon, lat = self._transformer.transform(np.asarray(xs, float) - ox, np.asarray(ys, float) - oy)
        return [float(v) for v in np.atleast_1d(lon)], [float(v) for v in np.atleast_1d(lat)]


def point_along(shape: Sequence[Point], distance: float) -> Point:
    """The point ``distance`` metres along a polyline (clamped to its ends).

    >>> point_along([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)], 15.0)
    (10.0, 5.0)
    """
    if len(shape) == 1 or distance <= 0:
        return shape[0]
    travelled = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(shape):
        step = math.hypot(x2 - x1, y2 - y1)
        if step > 0 and travelled + step >= distance:
            share = (distance - travelled) / step
            return (x1 + share * (x2 - x1), y1 + share * (y2 - y1))
        travelled += step
    return shape[-1]


def shape_length(shape: Sequence[Point]) -> float:
    """Geometric length of a polyline in metres."""
    return sum(math.hypot(x2 - x1, y2 - y1) for (x1, y1), (x2, y2) in itertools.pairwise(shape))


def parse_shape(text: str) -> list[Point]:
    """SUMO's ``"x,y x,y …"`` (a third coordinate, when present, is dropped)."""
    points = []
    for pair in text.split():
        x, y = pair.split(",")[:2]
        points.append((float(x), float(y)))
    return points
