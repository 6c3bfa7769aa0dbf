"""What an evaluation reports, computed from SUMO's trip information (``--tripinfo-output`` with
``write-unfinished`` and ``write-undeparted``).

Average delay follows RESCO (Ault & Sharon 2021, ``resco_benchmark/utils/readXML.py``): the sum over every trip
of its time loss against free flow plus its insertion delay, where a vehicle still waiting to enter at the end
counts the whole time from its scheduled departure to the end; divided by the number of those vehicles. SUMO
writes such a vehicle with ``depart="-1"`` and ``departDelay`` = end − scheduled departure, so the one sum covers
all three kinds of trip; vehicles known to be missing from the file can be added with ``pending_departs_s``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tamna.signals.errors import SignalsError

#: SUMO reports emissions in milligrams.
_MG_PER_KG = 1e6


@dataclass(frozen=True)
class TripStats:
    """Per-vehicle figures of one run."""

    #: vehicles counted: arrived + still driving at the end + never inserted
    vehicles: int
    arrived: int
    unfinished: int
    undeparted: int
    #: RESCO's average delay per vehicle, seconds
    delay_s: float
    #: mean travel time of the arrived trips, seconds
    trip_time_s: float
    #: mean time spent standing (below 0.1 m/s), over the departed vehicles, seconds
    waiting_s: float
    #: CO2 emitted by the departed vehicles, kilograms (0 when SUMO's emission device was off)
    co2_kg: float


def read_tripinfo(
    path: Path,
    *,
    end_s: float | None = None,
    pending_departs_s: Iterable[float] = (),
    exclude_prefix: str | None = None,
) -> TripStats:
    """The figures of the tripinfo file at ``path``. ``pending_departs_s``: scheduled departures of vehicles
    that never entered and are not in the file (each counts ``end_s`` − its departure). ``exclude_prefix``:
    leave out the vehicles whose id starts with it (emergency vehicles an evaluation inserted)."""
    loss = arrived = unfinished = undeparted = 0.0
    trip_time = waiting = co2_mg = 0.0
    counts = [0, 0, 0]  # arrived, unfinished, undeparted
    try:
        for _event, element in ET.iterparse(path, events=("end",)):  # noqa: S314 - SUMO's own output file
            if element.tag == "emissions" and "CO2_abs" in element.attrib:
                co2_mg += float(element.attrib["CO2_abs"])
            if element.tag != "tripinfo":
                continue
            a = element.attrib
            if exclude_prefix and a.get("id", "").startswith(exclude_prefix):
                element.clear()
                continue
            time_loss, depart_delay = float(a.get("timeLoss", 0)), float(a.get("departDelay", 0))
            loss += time_loss + depart_delay
            if float(a.get("depart", -1)) < 0:
                counts[2] += 1
            elif float(a.get("arrival", -1)) < 0:
                counts[1] += 1
                waiting += float(a.get("waitingTime", 0))
            else:
                counts[0] += 1
                trip_time += float(a.get("duration", 0))
                waiting += float(a.get("waitingTime", 0))
            element.clear()
    except (ET.ParseError, OSError, ValueError) as err:
        raise SignalsError(f"{path}: not a readable SUMO tripinfo file: {err}") from err
    pending = list(pending_departs_s)
    if pending:
        if end_s is None:
            raise SignalsError("vehicles that never departed need the end time to count their delay")
        loss += sum(max(end_s - depart, 0.0) for depart in pending)
        counts[2] += len(pending)
    arrived, unfinished, undeparted = counts
    vehicles = arrived + unfinished + undeparted
    departed = arrived + unfinished
    return TripStats(
        vehicles=int(vehicles),
        arrived=int(arrived),
        unfinished=int(unfinished),
        undeparted=int(undeparted),
        delay_s=loss / vehicles if vehicles else 0.0,
        trip_time_s=trip_time / arrived if arrived else 0.0,
        waiting_s=waiting / departed if departed else 0.0,
        co2_kg=co2_mg / _MG_PER_KG,
    )


def never_inserted(tripinfo: Path, route_files: Iterable[Path], *, begin_s: float, end_s: float) -> list[float]:
    """The scheduled departures of the vehicles in ``route_files`` due in [``begin_s``, ``end_s``) that the
    tripinfo at ``tripinfo`` does not list: what a SUMO older than 1.28 leaves out of it (it cannot write vehicles
    that never departed). RESCO's own reading counts them the same way, from the route file (``readXML.py``).
    Vehicles and trips with a numeric ``depart`` are read; flows are not expanded."""
    listed: set[str] = set()
    try:
        for _event, element in ET.iterparse(tripinfo, events=("end",)):  # noqa: S314 - SUMO's own output file
            if element.tag == "tripinfo":
                listed.add(element.attrib.get("id", ""))
            element.clear()
    except (ET.ParseError, OSError) as err:
        raise SignalsError(f"{tripinfo}: not a readable SUMO tripinfo file: {err}") from err
    missing: list[float] = []
    for route_file in route_files:
        try:
            for _event, element in ET.iterparse(route_file, events=("end",)):  # noqa: S314 - the scenario's own file
                if element.tag in ("vehicle", "trip"):
                    try:
                        depart = float(element.attrib.get("depart", ""))
                    except ValueError:
                        depart = -1.0  # "triggered" and the like: no scheduled time to count from
                    if begin_s <= depart < end_s and element.attrib.get("id") not in listed:
                        missing.append(depart)
                    element.clear()
        except (ET.ParseError, OSError) as err:
            raise SignalsError(f"{route_file}: not a readable SUMO route file: {err}") from err
    return missing


@dataclass(frozen=True)
class VehicleTrip:
    """One vehicle's trip as SUMO's tripinfo reports it."""

    vehicle_id: str
    depart_s: float
    #: seconds from departure to arrival; None when it had not arrived by the end
    travel_s: float | None
    time_loss_s: float
    waiting_s: float


def read_vehicle_trips(path: Path, prefix: str) -> list[VehicleTrip]:
    """The trips of the vehicles whose id starts with ``prefix``, in id order."""
    trips = []
    try:
        for _event, element in ET.iterparse(path, events=("end",)):  # noqa: S314 - SUMO's own output file
            if element.tag == "tripinfo" and element.attrib.get("id", "").startswith(prefix):
                a = element.attrib
                arrived = float(a.get("arrival", -1)) >= 0
                trips.append(
                    VehicleTrip(
                        vehicle_id=a["id"],
                        depart_s=float(a.get("depart", -1)),
                        travel_s=float(a.get("duration", 0)) if arrived else None,
                        time_loss_s=float(a.get("timeLoss", 0)),
                        waiting_s=float(a.get("waitingTime", 0)),
                    )
                )
            if element.tag == "tripinfo":
                element.clear()
    except (ET.ParseError, OSError, ValueError, KeyError) as err:
        raise SignalsError(f"{path}: not a readable SUMO tripinfo file: {err}") from err
    return sorted(trips, key=lambda t: t.vehicle_id)
