"""Column schemas of the stored GTFS tables, shared by the importer (which builds them) and the SQL store (which
stages them). Only types that both backends stage are used: strings, small and large integers, doubles."""

from __future__ import annotations

import pyarrow as pa

_S, _I16, _I32, _F64 = pa.string(), pa.int16(), pa.int32(), pa.float64()

#: Logical name → columns (without ``feed_id``, which the store adds). The table is ``gtfs_<name>``.
GTFS_SCHEMAS: dict[str, pa.Schema] = {
    "agencies": pa.schema(
        [
            ("agency_id", _S),
            ("agency_name", _S),
            ("agency_url", _S),
            ("agency_timezone", _S),
            ("agency_lang", _S),
            ("agency_phone", _S),
        ]
    ),
    "routes": pa.schema(
        [
            ("route_id", _S),
            ("agency_id", _S),
            ("route_short_name", _S),
            ("route_long_name", _S),
            ("route_desc", _S),
            ("route_type", _I32),
            ("route_color", _S),
            ("route_text_color", _S),
        ]
    ),
    "stops": pa.schema(
        [
            ("stop_id", _S),
            ("stop_code", _S),
            ("stop_name", _S),
            ("stop_lat", _F64),
            ("stop_lon", _F64),
            ("location_type", _I16),
            ("parent_station", _S),
            ("zone_id", _S),
            ("stop_timezone", _S),
            ("wheelchair_boarding", _I16),
        ]
    ),
    "trips": pa.schema(
        [
            ("trip_id", _S),
            ("route_id", _S),
            ("service_id", _S),
            ("trip_headsign", _S),
            ("trip_short_name", _S),
            ("direction_id", _I16),
            ("block_id", _S),
            ("shape_id", _S),
        ]
    ),
    "stop_times": pa.schema(
        [
            ("trip_id", _S),
            ("stop_sequence", _I32),
            ("stop_id", _S),
            ("arrival_s", _I32),
            ("departure_s", _I32),
            ("stop_headsign", _S),
            ("pickup_type", _I16),
            ("drop_off_type", _I16),
            ("timepoint", _I16),
            ("shape_dist_traveled", _F64),
            ("dist_m", _F64),
        ]
    ),
    "calendars": pa.schema(
        [
            ("service_id", _S),
            *[(day, _I16) for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")],
            ("start_date", _S),
            ("end_date", _S),
        ]
    ),
    "calendar_dates": pa.schema([("service_id", _S), ("date", _S), ("exception_type", _I16)]),
    "shapes": pa.schema(
        [
            ("shape_id", _S),
            ("shape_pt_sequence", _I32),
            ("shape_pt_lat", _F64),
            ("shape_pt_lon", _F64),
            ("shape_dist_traveled", _F64),
            ("dist_m", _F64),
        ]
    ),
    "frequencies": pa.schema(
        [("trip_id", _S), ("start_s", _I32), ("end_s", _I32), ("headway_secs", _I32), ("exact_times", _I16)]
    ),
}

#: The order rows are read back in (the primary key without ``feed_id``).
GTFS_ORDER: dict[str, tuple[str, ...]] = {
    "agencies": ("agency_id",),
    "routes": ("route_id",),
    "stops": ("stop_id",),
    "trips": ("trip_id",),
    "stop_times": ("trip_id", "stop_sequence"),
    "calendars": ("service_id",),
    "calendar_dates": ("service_id", "date"),
    "shapes": ("shape_id", "shape_pt_sequence"),
    "frequencies": ("trip_id", "start_s"),
}


def empty_tables() -> dict[str, pa.Table]:
    """One empty table per GTFS table, with its schema."""
    return {name: schema.empty_table() for name, schema in GTFS_SCHEMAS.items()}
