"""Small geodesy helpers for ingest: great-circle lengths and a local plane for unprojected networks."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points.

    >>> round(haversine_m((126.53, 33.50), (126.54, 33.50)))
    927
    """
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def line_length_m(points: Sequence[tuple[float, float]]) -> float:
    """Length in metres of a (lon, lat) polyline."""
    return sum(haversine_m(p, q) for p, q in itertools.pairwise(points))


def local_to_lonlat(x_m: float, y_m: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Place a point given in metres east/north of ``origin`` (lon, lat) on the globe (equirectangular;
    accurate to centimetres over a city's few kilometres)."""
    lon0, lat0 = origin
    lat = lat0 + math.degrees(y_m / EARTH_RADIUS_M)
    lon = lon0 + math.degrees(x_m / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))
    return lon, lat
