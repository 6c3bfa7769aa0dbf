"""Reading a built ``.net.xml`` with sumolib: junction legs and the lon/lat ↔ metre conversion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tamna.twin.build._tools import TwinBuildError


def read_net(path: Path) -> Any:
    """The network as a ``sumolib.net.Net`` (with connections and signal programs)."""
    import sumolib

    try:
        return sumolib.net.readNet(str(path), withPrograms=True)
    except Exception as err:
        raise TwinBuildError(f"cannot read the SUMO network {path}: {err}") from err


def neighbours(net: Any) -> dict[str, set[str]]:
    """Each junction's adjacent junctions (in either direction): its legs, when counted."""
    out: dict[str, set[str]] = {}
    for node in net.getNodes():
        own = node.getID()
        near = {e.getFromNode().getID() for e in node.getIncoming()} | {
            e.getToNode().getID() for e in node.getOutgoing()
        }
        near.discard(own)
        out[own] = near
    return out


def geo_converters(net: Any) -> tuple[Callable[[float, float], tuple[float, float]], Callable[[float, float], bool]]:
    """``to_xy(lon, lat)`` into the network's metres, and ``inside(lon, lat)`` for the network's bounding box."""
    if not net.hasGeoProj():
        raise TwinBuildError("the network carries no geo projection; lon/lat cannot be placed on it")

    def to_xy(lon: float, lat: float) -> tuple[float, float]:
        x, y = net.convertLonLat2XY(lon, lat)
        return float(x), float(y)

    x_min, y_min, x_max, y_max = (float(v) for v in net.getBoundary())

    def inside(lon: float, lat: float) -> bool:
        x, y = to_xy(lon, lat)
        return x_min <= x <= x_max and y_min <= y <= y_max

    return to_xy, inside


class LaneIndex:
    """Lanes by grid cell, for nearest-lane queries (sumolib's own index needs the optional ``rtree`` package,
    and its brute-force fallback is quadratic on the whole island)."""

    def __init__(self, net: Any, cell_m: float = 100.0) -> None:
        self.cell = cell_m
        self.cells: dict[tuple[int, int], list[Any]] = {}
        for edge in net.getEdges():
            for lane in edge.getLanes():
                xs = [p[0] for p in lane.getShape()]
                ys = [p[1] for p in lane.getShape()]
                for cx in range(int(min(xs) // cell_m), int(max(xs) // cell_m) + 1):
                    for cy in range(int(min(ys) // cell_m), int(max(ys) // cell_m) + 1):
                        self.cells.setdefault((cx, cy), []).append(lane)

    def near(self, x: float, y: float, radius_m: float) -> list[tuple[Any, float]]:
        """(lane, distance) of every lane within ``radius_m`` of the point."""
        from sumolib.geomhelper import distancePointToPolygon

        seen: dict[str, tuple[Any, float]] = {}
        reach = int(radius_m // self.cell) + 1
        cx, cy = int(x // self.cell), int(y // self.cell)
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                for lane in self.cells.get((cx + dx, cy + dy), ()):
                    if lane.getID() in seen:
                        continue
                    distance = float(distancePointToPolygon((x, y), lane.getShape()))
                    if distance <= radius_m:
                        seen[lane.getID()] = (lane, distance)
        return list(seen.values())
