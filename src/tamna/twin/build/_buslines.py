"""The bus service a SUMO scenario defines: its ``busStop``s (additional files) and its scheduled buses (route
files: ``<flow>``s at a fixed period and ``<vehicle>``s at a fixed time, on routes that stop at bus stops).

Read by streaming, so a route file with a city's car demand beside the buses costs seconds, not memory. Buses
SUMO inserts at random (``probability``, ``vehsPerHour`` or Poisson periods) keep no timetable and are left out.
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from tamna.twin.errors import TwinError

#: Vehicle classes that run a bus service; a vehicle of another class counts when it names a ``line``.
BUS_CLASSES = frozenset({"bus", "coach", "tram", "trolleybus"})
#: SUMO's maximum speed of a vehicle type that does not give one (m/s).
DEFAULT_MAX_SPEED_MPS = 55.56
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True)
class BusStopDef:
    """A ``busStop``: where it lies (lane, from and to metres along it) and what it is called; ``params`` are
    its ``<param>`` children (a builder's GTFS id and surveyed position, see :mod:`tamna.twin.build.gtfs`)."""

    id: str
    lane: str
    start_m: float
    end_m: float
    name: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StopCall:
    """A stop a bus makes: at which ``busStop``, for how long (seconds)."""

    stop_id: str
    duration_s: float


@dataclass(frozen=True)
class Departure:
    """One scheduled bus: its SUMO vehicle id (the GTFS trip id), line, route, stops, type and departure."""

    vehicle_id: str
    line: str
    route_id: str
    edges: tuple[str, ...]
    calls: tuple[StopCall, ...]
    vtype: str
    depart_s: float


@dataclass
class BusService:
    """The scenario's stops and scheduled buses, and the maximum speed of each vehicle type (m/s)."""

    stops: dict[str, BusStopDef] = field(default_factory=dict)
    departures: list[Departure] = field(default_factory=list)
    max_speed_mps: dict[str, float] = field(default_factory=dict)
    #: buses left out, with why (random insertion, an unknown route)
    skipped: list[str] = field(default_factory=list)


def read_bus_service(route_files: Sequence[Path], additional_files: Sequence[Path]) -> BusService:
    """The bus stops of ``additional_files`` and the scheduled buses of ``route_files`` that call at them."""
    service = BusService()
    for path in additional_files:
        for element in _elements(path, {"busStop"}):
            stop = _bus_stop(path, element)
            service.stops[stop.id] = stop
    for path in route_files:
        _read_routes(path, service)
    service.departures.sort(key=lambda d: (d.depart_s, d.vehicle_id))
    return service


def _read_routes(path: Path, service: BusService) -> None:
    classes: dict[str, str] = {}
    routes: dict[str, tuple[tuple[str, ...], tuple[StopCall, ...]]] = {}
    for element in _elements(path, {"vType", "route", "flow", "vehicle"}):
        tag = element.tag
        if tag == "vType":
            vtype = element.get("id", "")
            classes[vtype] = element.get("vClass", "passenger")
            service.max_speed_mps[vtype] = float(element.get("maxSpeed", DEFAULT_MAX_SPEED_MPS))
        elif tag == "route" and element.get("id"):
            routes[element.get("id", "")] = (tuple(element.get("edges", "").split()), _calls(element, service))
        elif tag in ("flow", "vehicle"):
            vtype = element.get("type", "DEFAULT_VEHTYPE")
            if classes.get(vtype) not in BUS_CLASSES and not element.get("line"):
                continue
            route_id = element.get("route", "")
            if route_id not in routes:
                continue  # a car, or a bus whose route is written inline: no shared route to time
            edges, route_calls = routes[route_id]
            calls = _calls(element, service) or route_calls
            if len(calls) < 2:
                continue
            line = element.get("line") or route_id
            for vehicle_id, depart in _departures(element, service):
                service.departures.append(Departure(vehicle_id, line, route_id, edges, calls, vtype, depart))


def _departures(element: ET.Element, service: BusService) -> Iterator[tuple[str, float]]:
    """(vehicle id, departure) of a vehicle or of each vehicle of a flow (SUMO names them ``<flow>.<n>``)."""
    own = element.get("id", "")
    if element.tag == "vehicle":
        depart = element.get("depart", "")
        if _NUMBER.match(depart):
            yield own, float(depart)
        else:
            service.skipped.append(f"{own}: depart {depart!r} is not a time")
        return
    period = element.get("period", "")
    if not _NUMBER.match(period) or float(period) <= 0:
        service.skipped.append(f"{own}: inserted at random, not at a fixed period")
        return
    begin = float(element.get("begin", "0"))
    end = float(element.get("end", "86400"))
    limit = int(element.get("number", "1000000"))
    step = float(period)
    index = 0
    while begin + index * step < end and index < limit:
        yield f"{own}.{index}", begin + index * step
        index += 1


def _calls(element: ET.Element, service: BusService) -> tuple[StopCall, ...]:
    calls = []
    for stop in element.findall("stop"):
        stop_id = stop.get("busStop")
        if stop_id and stop_id in service.stops:
            calls.append(StopCall(stop_id, float(stop.get("duration", "0") or 0)))
    return tuple(calls)


def _bus_stop(path: Path, element: ET.Element) -> BusStopDef:
    stop_id = element.get("id", "")
    try:
        start = float(element.get("startPos", "0"))
        end = float(element.get("endPos", "nan"))
    except ValueError:
        raise TwinError(f"{path}: busStop {stop_id!r} has an unreadable startPos or endPos") from None
    params = {p.get("key", ""): p.get("value", "") for p in element.findall("param")}
    return BusStopDef(stop_id, element.get("lane", ""), start, end, element.get("name") or stop_id, params)


def _elements(path: Path, tags: set[str]) -> Iterator[ET.Element]:
    """The top-level elements of ``path`` with one of ``tags``, complete with their children."""
    depth = 0
    try:
        with _open(path) as stream:
            for event, element in ET.iterparse(stream, events=("start", "end")):  # noqa: S314 - local file
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth == 1:
                    if element.tag in tags:
                        yield element
                    element.clear()
    except ET.ParseError as err:
        raise TwinError(f"{path}: malformed XML: {err}") from err
    except OSError as err:
        raise TwinError(f"{path}: unreadable: {err}") from err


def _open(path: Path) -> IO[bytes]:
    return cast("IO[bytes]", gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")
