"""Emergency vehicles for an evaluation: N vehicles of SUMO's class ``emergency`` sent, at set times, along routes
through as many controlled signals as the network offers, chosen the same way with and without preemption.

Routes are found by SUMO's router at the episode's begin (an empty network: the choice depends only on the
network and the seed). The vehicles obey the signals (no blue-light device): what preemption gains is what
the signals give them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tamna.signals.model import Intersection
from tamna.signals.preemption import EMERGENCY_CLASS

#: ids of the inserted vehicles start with this (and tripinfo figures of "other vehicles" leave them out)
EMERGENCY_PREFIX = "tamna_emergency_"
VEHICLE_TYPE = "tamna_emergency"
#: how many origin–destination pairs are routed to find the routes crossing the most signals
CANDIDATES = 300


@dataclass(frozen=True)
class EmergencyPlan:
    """One inserted emergency vehicle."""

    vehicle_id: str
    depart_s: float
    edges: tuple[str, ...]
    #: controlled signals on its route
    signals: int


def insert_emergency_vehicles(
    sumo: ModuleType,
    intersections: Iterable[Intersection],
    count: int,
    *,
    seed: int,
    first_s: float,
    every_s: float,
) -> list[EmergencyPlan]:
    """Add ``count`` emergency vehicles departing at ``first_s``, ``first_s + every_s``, …"""
    if count <= 0:
        return []
    lane: Any = sumo.lane
    simulation: Any = sumo.simulation
    vehicletype: Any = sumo.vehicletype
    route: Any = sumo.route
    vehicle: Any = sumo.vehicle
    approach_edges: dict[str, str] = {}
    for intersection in intersections:
        for lane_id in intersection.incoming_lanes:
            approach_edges[str(lane.getEdgeID(lane_id))] = intersection.id
    if not approach_edges:
        return []
    vehicletype.copy("DEFAULT_VEHTYPE", VEHICLE_TYPE)
    vehicletype.setVehicleClass(VEHICLE_TYPE, EMERGENCY_CLASS)
    vehicletype.setSpeedFactor(VEHICLE_TYPE, 1.0)
    vehicletype.setColor(VEHICLE_TYPE, (255, 0, 0, 255))
    edges = sorted(approach_edges)
    rng = random.Random(seed)  # noqa: S311 - a reproducible choice of routes, not a secret
    found: dict[tuple[str, ...], int] = {}
    for _ in range(CANDIDATES):
        origin, destination = rng.sample(edges, 2)
        stage = simulation.findRoute(origin, destination, vType=VEHICLE_TYPE)
        path = tuple(str(e) for e in stage.edges)
        if len(path) < 2:
            continue
        # a signal is crossed when the route leaves one of its approach edges onwards (the last edge ends there)
        crossed = {approach_edges[e] for e in path[:-1] if e in approach_edges}
        found[path] = len(crossed)
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    plans = []
    for i in range(count):
        path, signals = ranked[i % len(ranked)]
        vehicle_id = f"{EMERGENCY_PREFIX}{i}"
        route_id = f"{vehicle_id}_route"
        route.add(route_id, list(path))
        depart = first_s + i * every_s
        vehicle.add(vehicle_id, route_id, typeID=VEHICLE_TYPE, depart=f"{depart:g}", departLane="best")
        plans.append(EmergencyPlan(vehicle_id, depart, path, signals))
    return plans
