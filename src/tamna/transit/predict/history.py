"""History for learning and evaluation: a folder of CSV files, each either observed stop events or a vehicle
position log (matched here into stop events). The formats are documented in ``docs/transit.md``.

Stop events: ``trip_id, start_date, stop_sequence`` and ``arrival_time`` and/or ``departure_time`` (ISO 8601
with an offset, or Unix seconds); ``stop_id`` and ``vehicle_id`` optional.
Position logs: ``vehicle_id, time, lat, lon``; ``trip_id, route_id, speed_kmh, bearing_deg, start_date,
start_time`` optional.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from tamna.core.errors import ValidationError
from tamna.core.timeutil import parse_instant
from tamna.domain.transit import StopEvent
from tamna.transit.errors import TransitError
from tamna.transit.gtfs.spec import parse_date
from tamna.transit.matching import Matcher, Ping
from tamna.transit.schedule import Schedule

EVENT_COLUMNS = ("trip_id", "start_date", "stop_sequence")
POSITION_COLUMNS = ("vehicle_id", "time", "lat", "lon")
EXPORT_COLUMNS = ("trip_id", "start_date", "stop_sequence", "stop_id", "arrival_time", "departure_time", "vehicle_id")


class HistoryError(TransitError):
    """A history folder or file that cannot be read."""


def load_history(folder: Path, schedule: Schedule) -> list[StopEvent]:
    """Every stop event in the folder's CSV files (position logs are matched against ``schedule``)."""
    if not folder.is_dir():
        raise HistoryError(f"history folder {folder} does not exist")
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise HistoryError(f"history folder {folder} holds no .csv files")
    events: list[StopEvent] = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = set(reader.fieldnames or ())
            if set(EVENT_COLUMNS) <= header and header & {"arrival_time", "departure_time"}:
                events.extend(_events(path, reader, schedule))
            elif set(POSITION_COLUMNS) <= header:
                events.extend(match_positions(list(_pings(path, reader)), schedule))
            else:
                raise HistoryError(
                    f"{path.name}: columns {sorted(header)} are neither stop events ({', '.join(EVENT_COLUMNS)}, "
                    f"arrival_time/departure_time) nor a position log ({', '.join(POSITION_COLUMNS)})"
                )
    return events


def match_positions(pings: Sequence[Ping], schedule: Schedule) -> list[StopEvent]:
    """Stop events of a position log, matched in time order."""
    matcher = Matcher(schedule)
    merged: dict[tuple[str, str, int], StopEvent] = {}
    for ping in sorted(pings, key=lambda p: (p.time, p.vehicle_id)):
        for event in matcher.match(ping).events:
            # a stop's arrival and departure come from different fixes: one event holds both
            key = (event.trip_id, event.start_date, event.stop_sequence)
            seen = merged.get(key)
            merged[key] = (
                event
                if seen is None
                else replace(
                    event,
                    observed_arrival=seen.observed_arrival or event.observed_arrival,
                    observed_departure=event.observed_departure or seen.observed_departure,
                )
            )
    return list(merged.values())


def write_history(events: Sequence[StopEvent], path: Path) -> int:
    """Write stop events in the history format; returns how many rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for e in events:
            writer.writerow(
                [
                    e.trip_id,
                    e.start_date,
                    e.stop_sequence,
                    e.stop_id,
                    e.observed_arrival.isoformat() if e.observed_arrival else "",
                    e.observed_departure.isoformat() if e.observed_departure else "",
                    e.vehicle_id or "",
                ]
            )
    return len(events)


def _instant(text: str, *, where: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        return parse_instant(text)
    except ValidationError as err:
        raise HistoryError(f"{where}: {err}") from err


def _events(path: Path, reader: csv.DictReader[str], schedule: Schedule) -> Iterator[StopEvent]:
    positions: dict[str, dict[int, int]] = {}
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        trip = schedule.trips.get(row["trip_id"])
        if trip is None:
            continue  # a trip of another timetable: nothing to learn or test on it here
        try:
            sequence = int(row["stop_sequence"])
        except ValueError as err:
            raise HistoryError(f"{where}: stop_sequence {row['stop_sequence']!r} is not an integer") from err
        if trip.trip_id not in positions:
            positions[trip.trip_id] = {int(s): k for k, s in enumerate(trip.seqs)}
        index = positions[trip.trip_id].get(sequence)
        day = row["start_date"]
        service_day = parse_date(day)
        if service_day is None:
            raise HistoryError(f"{where}: start_date {day!r} is not YYYYMMDD")
        if index is None:
            continue
        arrival = _instant(row.get("arrival_time") or "", where=where)
        departure = _instant(row.get("departure_time") or "", where=where)
        origin = schedule.origin(service_day)
        yield StopEvent(
            feed_id=schedule.feed_id,
            trip_id=trip.trip_id,
            start_date=day,
            stop_sequence=sequence,
            stop_id=row.get("stop_id") or trip.stop_ids[index],
            route_id=trip.route_id,
            direction_id=trip.direction_id,
            vehicle_id=row.get("vehicle_id") or None,
            scheduled_arrival=datetime.fromtimestamp(origin + float(trip.arr[index]), UTC),
            scheduled_departure=datetime.fromtimestamp(origin + float(trip.dep[index]), UTC),
            observed_arrival=arrival,
            observed_departure=departure,
        )


def _pings(path: Path, reader: csv.DictReader[str]) -> Iterator[Ping]:
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        when = _instant(row["time"], where=where)
        if when is None:
            raise HistoryError(f"{where}: time is empty")
        try:
            yield Ping(
                vehicle_id=row["vehicle_id"],
                time=when,
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                source=f"history:{path.name}",
                speed_kmh=float(row["speed_kmh"]) if row.get("speed_kmh") else None,
                bearing_deg=float(row["bearing_deg"]) if row.get("bearing_deg") else None,
                trip_id=row.get("trip_id") or None,
                route_id=row.get("route_id") or None,
                start_date=row.get("start_date") or None,
                start_time=row.get("start_time") or None,
            )
        except ValueError as err:
            raise HistoryError(f"{where}: {err}") from err
