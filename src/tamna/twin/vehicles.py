"""Vehicle positions from the simulation: buses (or every vehicle) as GPS-like fixes each interval, and the board
that keeps the latest fix of every vehicle still driving (``GET /api/v1/vehicles``).

A bus reports its ``line`` as the route and its SUMO id as the trip: the twin's GTFS
(:mod:`tamna.twin.build.gtfs`) names each trip after the SUMO vehicle that drives it. Against another feed the
id is unknown, and the matcher falls back to the route and the position."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from types import ModuleType

from pydantic import ValidationError as ModelError

from tamna.domain.vehicles import VehicleKind, VehiclePosition
from tamna.twin.geo import Projection

_KIND_BY_CLASS = {
    "bus": VehicleKind.BUS,
    "coach": VehicleKind.BUS,
    "emergency": VehicleKind.EMERGENCY,
    "authority": VehicleKind.EMERGENCY,
    "passenger": VehicleKind.CAR,
    "private": VehicleKind.CAR,
    "taxi": VehicleKind.CAR,
    "hov": VehicleKind.CAR,
    "evehicle": VehicleKind.CAR,
}
MAX_SPEED_KMH = 250.0


class VehicleBoard:
    """The latest position per vehicle. Thread-safe: the simulation writes, API requests read."""

    def __init__(self) -> None:
        self._latest: dict[str, VehiclePosition] = {}
        self._lock = threading.Lock()

    def replace(self, positions: Iterable[VehiclePosition]) -> None:
        """Make ``positions`` the board (vehicles that have left the network drop off)."""
        latest = {position.vehicle_id: position for position in positions}
        with self._lock:
            self._latest = latest

    def latest(self, kind: VehicleKind | None = None) -> list[VehiclePosition]:
        """Every vehicle's latest fix, ordered by id."""
        with self._lock:
            positions = list(self._latest.values())
        return sorted((p for p in positions if kind is None or p.kind is kind), key=lambda p: p.vehicle_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._latest)


class VehicleTracker:
    """Reads positions of buses (``all_vehicles``: of every vehicle) from libsumo."""

    def __init__(self, projection: Projection, *, all_vehicles: bool = False) -> None:
        self.projection = projection
        self.all_vehicles = all_vehicles
        self._kinds: dict[str, VehicleKind] = {}

    def read(self, sumo: ModuleType, when: datetime) -> list[VehiclePosition]:
        """One fix per tracked vehicle now in the network, stamped ``when``."""
        vehicle = sumo.vehicle
        running: tuple[str, ...] = vehicle.getIDList()
        kinds = {}
        for vid in running:
            kind = self._kinds.get(vid)
            if kind is None:
                kind = _KIND_BY_CLASS.get(vehicle.getVehicleClass(vid), VehicleKind.OTHER)
            kinds[vid] = kind
        self._kinds = kinds  # forget the vehicles that have arrived
        tracked = [vid for vid in running if self.all_vehicles or kinds[vid] is VehicleKind.BUS]
        if not tracked:
            return []
        xy = [vehicle.getPosition(vid) for vid in tracked]
        lons, lats = self.projection.many([p[0] for p in xy], [p[1] for p in xy])
        positions = []
        for vid, lon, lat in zip(tracked, lons, lats, strict=True):
            road: str = vehicle.getRoadID(vid)
            line: str = vehicle.getLine(vid) if kinds[vid] is VehicleKind.BUS else ""
            try:
                position = VehiclePosition(
                    vehicle_id=vid[:128],
                    kind=kinds[vid],
                    time=when,
                    lon=lon,
                    lat=lat,
                    speed_kmh=min(max(float(vehicle.getSpeed(vid)) * 3.6, 0.0), MAX_SPEED_KMH),
                    bearing_deg=float(vehicle.getAngle(vid)) % 360.0,
                    route_id=line or None,
                    trip_id=vid if kinds[vid] is VehicleKind.BUS else None,
                    # a vehicle crossing a junction is on an internal edge, which is no link of the network
                    link_id=None if road.startswith(":") or not road else road,
                )
            except ModelError:  # a vehicle between two places (teleporting) has no usable position this tick
                continue
            positions.append(position)
        return positions
