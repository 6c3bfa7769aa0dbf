"""Checks of a GTFS-Realtime feed against its GTFS, after the rules of the GTFS-Realtime validator (MobilityData /
USF CUTR ``gtfs-realtime-validator``; rule numbers as in its RULES.md). Tamna runs them on its own feeds in tests
and on feeds it ingests when asked (``tamna transit check``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tamna.transit.gtfs.spec import parse_date, parse_time
from tamna.transit.schedule import Schedule

if TYPE_CHECKING:
    from google.transit import gtfs_realtime_pb2

#: Instants before 2001 or after 2100 are milliseconds or garbage, not POSIX seconds.
POSIX_RANGE = (978_307_200, 4_102_444_800)


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule."""

    rule: str
    message: str


def check_feed(
    message: gtfs_realtime_pb2.FeedMessage, schedule: Schedule, now: datetime, *, future_tolerance_s: int = 60
) -> list[Problem]:
    """Every rule the feed breaks (an empty list for a valid feed)."""
    problems: list[Problem] = []
    _header(problems, message, now, future_tolerance_s)
    for entity in message.entity:
        where = f"entity {entity.id!r}"
        if entity.HasField("trip_update"):
            update = entity.trip_update
            _trip(problems, where, update.trip, schedule)
            _stamp(problems, where, update.timestamp, message.header.timestamp)
            _stop_time_updates(problems, where, update, schedule)
        if entity.HasField("vehicle"):
            _vehicle(problems, where, entity.vehicle, schedule, message.header.timestamp)
        if entity.HasField("alert"):
            for informed in entity.alert.informed_entity:
                if informed.route_id and informed.route_id not in schedule.routes:
                    problems.append(Problem("E004", f"{where}: route_id {informed.route_id!r} is not in the GTFS"))
                if informed.stop_id and informed.stop_id not in schedule.stops:
                    problems.append(Problem("E011", f"{where}: stop_id {informed.stop_id!r} is not in the GTFS"))
    return problems


def _header(
    problems: list[Problem], message: gtfs_realtime_pb2.FeedMessage, now: datetime, future_tolerance_s: int
) -> None:
    header = message.header
    if header.gtfs_realtime_version not in ("1.0", "2.0"):
        problems.append(Problem("E038", f"gtfs_realtime_version {header.gtfs_realtime_version!r} is not 1.0 or 2.0"))
    if header.gtfs_realtime_version == "2.0":
        if not header.HasField("timestamp"):
            problems.append(Problem("E048", "the header has no timestamp"))
        if not header.HasField("incrementality"):
            problems.append(Problem("E049", "the header has no incrementality"))
    _posix(problems, "header", header.timestamp)
    if header.timestamp > now.timestamp() + future_tolerance_s:
        problems.append(Problem("E050", f"the header timestamp {header.timestamp} is in the future"))
    ids = [entity.id for entity in message.entity]
    if len(ids) != len(set(ids)):
        twice = sorted({i for i in ids if ids.count(i) > 1})[:5]
        problems.append(Problem("entity-id", f"entity ids are not unique: {twice}"))
    vehicle_ids = [e.vehicle.vehicle.id for e in message.entity if e.HasField("vehicle") and e.vehicle.vehicle.id]
    if len(vehicle_ids) != len(set(vehicle_ids)):
        problems.append(Problem("E052", "a vehicle.id appears in more than one VehiclePosition"))


def _vehicle(
    problems: list[Problem],
    where: str,
    vehicle: gtfs_realtime_pb2.VehiclePosition,
    schedule: Schedule,
    header_time: int,
) -> None:
    if vehicle.HasField("trip"):
        _trip(problems, where, vehicle.trip, schedule)
    _stamp(problems, where, vehicle.timestamp, header_time)
    position = vehicle.position
    if not (-90 <= position.latitude <= 90 and -180 <= position.longitude <= 180) or (
        position.latitude == 0 and position.longitude == 0
    ):
        problems.append(Problem("E026", f"{where}: position ({position.latitude}, {position.longitude})"))
    if vehicle.stop_id and vehicle.stop_id not in schedule.stops:
        problems.append(Problem("E011", f"{where}: stop_id {vehicle.stop_id!r} is not in the GTFS"))


def _posix(problems: list[Problem], where: str, value: int) -> None:
    if value and not POSIX_RANGE[0] <= value <= POSIX_RANGE[1]:
        problems.append(Problem("E001", f"{where}: {value} is not POSIX seconds"))


def _stamp(problems: list[Problem], where: str, value: int, header: int) -> None:
    _posix(problems, where, value)
    if value > header:
        problems.append(Problem("E012", f"{where}: timestamp {value} is after the header's {header}"))


def _trip(
    problems: list[Problem], where: str, descriptor: gtfs_realtime_pb2.TripDescriptor, schedule: Schedule
) -> None:
    from google.transit import gtfs_realtime_pb2

    if descriptor.route_id and descriptor.route_id not in schedule.routes:
        problems.append(Problem("E004", f"{where}: route_id {descriptor.route_id!r} is not in the GTFS"))
    if not descriptor.trip_id:
        return
    trip = schedule.trips.get(descriptor.trip_id)
    added = descriptor.schedule_relationship == gtfs_realtime_pb2.TripDescriptor.ADDED
    if trip is None and not added:
        problems.append(Problem("E003", f"{where}: trip_id {descriptor.trip_id!r} is not in the GTFS"))
        return
    if descriptor.start_date and parse_date(descriptor.start_date) is None:
        problems.append(Problem("E020", f"{where}: start_date {descriptor.start_date!r} is not YYYYMMDD"))
    if descriptor.start_time and parse_time(descriptor.start_time) is None:
        problems.append(Problem("E020", f"{where}: start_time {descriptor.start_time!r} is not HH:MM:SS"))
    if trip is not None and trip.frequencies and not any(f.exact for f in trip.frequencies):
        if not (descriptor.start_date and descriptor.start_time):
            problems.append(Problem("E006", f"{where}: a frequency-based run needs start_date and start_time"))
        unscheduled = gtfs_realtime_pb2.TripDescriptor.UNSCHEDULED
        if descriptor.HasField("schedule_relationship") and descriptor.schedule_relationship != unscheduled:
            problems.append(Problem("E013", f"{where}: a frequency-based run must not be SCHEDULED"))


def _stop_time_updates(
    problems: list[Problem], where: str, update: gtfs_realtime_pb2.TripUpdate, schedule: Schedule
) -> None:
    trip = schedule.trips.get(update.trip.trip_id)
    sequences = [stu.stop_sequence for stu in update.stop_time_update if stu.HasField("stop_sequence")]
    if any(b <= a for a, b in itertools.pairwise(sequences)):
        problems.append(Problem("E002", f"{where}: stop_sequence values are not strictly increasing"))
    if trip is not None:
        known = set(trip.seqs.tolist())
        for seq in sequences:
            if seq not in known:
                problems.append(Problem("E002", f"{where}: stop_sequence {seq} is not in trip {trip.trip_id!r}"))
                break
    times: list[int] = []
    for stu in update.stop_time_update:
        if stu.stop_id and stu.stop_id not in schedule.stops:
            problems.append(Problem("E011", f"{where}: stop_id {stu.stop_id!r} is not in the GTFS"))
        arrive = stu.arrival.time if stu.HasField("arrival") and stu.arrival.HasField("time") else None
        leave = stu.departure.time if stu.HasField("departure") and stu.departure.HasField("time") else None
        if arrive is not None and leave is not None and leave < arrive:
            problems.append(Problem("E025", f"{where}: stop {stu.stop_id!r} departs before it arrives"))
        for value in (arrive, leave):
            if value is not None:
                _posix(problems, where, value)
                times.append(value)
    if any(b < a for a, b in itertools.pairwise(times)):
        problems.append(Problem("E022", f"{where}: predicted times go backwards along the trip"))
