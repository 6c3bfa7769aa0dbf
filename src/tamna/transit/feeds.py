"""Building the GTFS-Realtime feeds Tamna publishes: TripUpdates (predicted arrivals), VehiclePositions and
Alerts, as FeedMessages of the official bindings (``gtfs-realtime-bindings``), version 2.0, full datasets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from tamna.domain.transit import MatchKind, TransitAlert, VehicleState
from tamna.transit import wire
from tamna.transit.predict.base import Predictor
from tamna.transit.schedule import Schedule, Trip

if TYPE_CHECKING:
    from google.transit import gtfs_realtime_pb2

VERSION = "2.0"


def _message(now: datetime) -> gtfs_realtime_pb2.FeedMessage:
    from google.transit import gtfs_realtime_pb2

    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = VERSION
    message.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    message.header.timestamp = int(now.timestamp())
    return message


def _trip_descriptor(descriptor: gtfs_realtime_pb2.TripDescriptor, schedule: Schedule, state: VehicleState) -> None:
    from google.transit import gtfs_realtime_pb2

    trip = schedule.trips.get(state.trip_id or "")
    if trip is None:
        return
    descriptor.trip_id = trip.trip_id
    descriptor.route_id = trip.route_id
    if trip.direction_id is not None:
        descriptor.direction_id = trip.direction_id
    if state.start_date:
        descriptor.start_date = state.start_date
    if state.start_time:
        descriptor.start_time = state.start_time
    # a run of a frequency-based trip without exact times is not "scheduled" (validator rule E013)
    if not (trip.frequencies and not any(f.exact for f in trip.frequencies)):
        descriptor.schedule_relationship = gtfs_realtime_pb2.TripDescriptor.SCHEDULED


def latest_per_trip(states: Iterable[VehicleState]) -> list[VehicleState]:
    """One state per trip run: a vehicle's fix before a trip update's delay, the newest of each kind."""
    best: dict[tuple[str | None, str | None, str | None], VehicleState] = {}
    for state in states:
        if not state.matched:
            continue
        key = (state.trip_id, state.start_date, state.start_time)
        held = best.get(key)
        rank = (state.match is not MatchKind.TRIP_UPDATE, state.time)
        if held is None or rank > (held.match is not MatchKind.TRIP_UPDATE, held.time):
            best[key] = state
    return list(best.values())


def trip_updates(
    schedule: Schedule, states: Sequence[VehicleState], predictor: Predictor, now: datetime
) -> gtfs_realtime_pb2.FeedMessage:
    """A TripUpdate per trip run with a vehicle or a delay: the predicted times at its stops still ahead."""
    message = _message(now)
    moment = now.timestamp()
    header_time = message.header.timestamp
    templates: dict[str, wire.Template] = schedule.derived.setdefault("stop_time_update_templates", {})
    updates, jobs, filled = [], [], []
    for state in latest_per_trip(states):
        prediction = predictor.predict(schedule, state, moment)
        if prediction is None:
            continue
        trip = prediction.instance.trip
        entity = message.entity.add()
        entity.id = f"{trip.trip_id}:{state.start_date}" + (f":{state.start_time}" if state.start_time else "")
        update = entity.trip_update
        _trip_descriptor(update.trip, schedule, state)
        if not state.vehicle_id.startswith("tu:"):
            update.vehicle.id = state.vehicle_id
        update.timestamp = min(int(state.time.timestamp()), header_time)
        if state.delay_s is not None:
            update.delay = round(state.delay_s)
        tpl = templates.get(trip.trip_id)
        if tpl is None:
            tpl = templates[trip.trip_id] = wire.template(trip)
        updates.append(update)
        filled.append(prediction)
        jobs.append((tpl, prediction.first, prediction.arrivals, prediction.departures))
    # the stop time updates of every trip are encoded together, then merged into their trip updates
    for update, prediction, data in zip(updates, filled, wire.stop_time_updates_many(jobs), strict=True):
        if data is not None:
            update.MergeFromString(data)
        else:
            trip = prediction.instance.trip
            _fill(update, trip, prediction.first, prediction.arrivals, prediction.departures)
    return message


def _fill(
    update: gtfs_realtime_pb2.TripUpdate, trip: Trip, first: int, arrivals: np.ndarray, departures: np.ndarray
) -> None:
    """Stop time updates field by field (what :mod:`tamna.transit.wire` does in bulk)."""
    last = len(trip.stop_ids) - 1 - first
    add = update.stop_time_update.add
    seqs, stops = trip.seqs[first:].tolist(), trip.stop_ids[first:]
    times = zip(
        seqs, stops, np.rint(arrivals).astype(int).tolist(), np.rint(departures).astype(int).tolist(), strict=True
    )
    for k, (seq, stop_id, arrive, leave) in enumerate(times):
        stu = add()
        stu.stop_sequence = seq
        stu.stop_id = stop_id
        stu.arrival.time = arrive
        if k != last:  # nobody departs from the last stop
            stu.departure.time = leave


def vehicle_positions(
    schedule: Schedule, states: Sequence[VehicleState], now: datetime
) -> gtfs_realtime_pb2.FeedMessage:
    """A VehiclePosition per vehicle with a position: its trip when matched, where it is and its next stop."""
    from google.transit import gtfs_realtime_pb2

    stopped = gtfs_realtime_pb2.VehiclePosition.STOPPED_AT
    moving = gtfs_realtime_pb2.VehiclePosition.IN_TRANSIT_TO
    message = _message(now)
    header_time = message.header.timestamp
    seen: set[str] = set()
    for state in sorted(states, key=lambda s: s.time, reverse=True):
        if state.lat is None or state.lon is None or state.vehicle_id in seen:
            continue
        seen.add(state.vehicle_id)
        entity = message.entity.add()
        entity.id = state.vehicle_id
        vehicle = entity.vehicle
        vehicle.vehicle.id = state.vehicle_id
        if state.matched:
            _trip_descriptor(vehicle.trip, schedule, state)
            if state.stop_sequence is not None:
                vehicle.current_stop_sequence = state.stop_sequence
            if state.stop_id:
                vehicle.stop_id = state.stop_id
            vehicle.current_status = stopped if state.at_stop else moving
        elif state.route_id and state.route_id in schedule.routes:
            vehicle.trip.route_id = state.route_id
        vehicle.position.latitude = state.lat
        vehicle.position.longitude = state.lon
        if state.bearing_deg is not None:
            vehicle.position.bearing = state.bearing_deg
        if state.speed_kmh is not None:
            vehicle.position.speed = state.speed_kmh / 3.6
        vehicle.timestamp = min(int(state.time.timestamp()), header_time)
    return message


def alerts(items: Sequence[TransitAlert], now: datetime) -> gtfs_realtime_pb2.FeedMessage:
    """Service alerts with their periods, the routes, stops and trips they are about, and their texts."""
    from google.transit import gtfs_realtime_pb2

    message = _message(now)
    for item in items:
        entity = message.entity.add()
        entity.id = item.id
        alert = entity.alert
        if item.active_from or item.active_until:
            period = alert.active_period.add()
            if item.active_from:
                period.start = int(item.active_from.timestamp())
            if item.active_until:
                period.end = int(item.active_until.timestamp())
        for route_id in item.route_ids:
            alert.informed_entity.add(route_id=route_id)
        for stop_id in item.stop_ids:
            alert.informed_entity.add(stop_id=stop_id)
        for trip_id in item.trip_ids:
            alert.informed_entity.add().trip.trip_id = trip_id
        alert.cause = gtfs_realtime_pb2.Alert.Cause.Value(item.cause.value)  # type: ignore[assignment]
        alert.effect = gtfs_realtime_pb2.Alert.Effect.Value(item.effect.value)  # type: ignore[assignment]
        _text(alert.header_text, item.header, item.language)
        if item.description:
            _text(alert.description_text, item.description, item.language)
        if item.url:
            _text(alert.url, item.url, item.language)
    return message


def _text(target: gtfs_realtime_pb2.TranslatedString, text: str, language: str | None) -> None:
    translation = target.translation.add(text=text)
    if language:
        translation.language = language
