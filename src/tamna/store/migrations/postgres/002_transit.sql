-- Tamna schema 2 (PostgreSQL): GTFS static feeds, vehicle states, stop events and service alerts (tamna.transit).
-- GTFS ids are unique only inside a feed, so every GTFS table is keyed by feed_id first.
-- Times of day are seconds from the service day's origin (noon minus 12 h) and may pass 24 h; dates are YYYYMMDD.
CREATE TABLE transit_feeds (
    feed_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    timezone TEXT NOT NULL,
    min_lon DOUBLE PRECISION NOT NULL,
    min_lat DOUBLE PRECISION NOT NULL,
    max_lon DOUBLE PRECISION NOT NULL,
    max_lat DOUBLE PRECISION NOT NULL,
    start_date TEXT,
    end_date TEXT,
    counts TEXT NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE gtfs_agencies (
    feed_id TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    agency_url TEXT,
    agency_timezone TEXT NOT NULL,
    agency_lang TEXT,
    agency_phone TEXT,
    PRIMARY KEY (feed_id, agency_id)
);
CREATE TABLE gtfs_routes (
    feed_id TEXT NOT NULL,
    route_id TEXT NOT NULL,
    agency_id TEXT,
    route_short_name TEXT,
    route_long_name TEXT,
    route_desc TEXT,
    route_type INTEGER NOT NULL,
    route_color TEXT,
    route_text_color TEXT,
    PRIMARY KEY (feed_id, route_id)
);
CREATE TABLE gtfs_stops (
    feed_id TEXT NOT NULL,
    stop_id TEXT NOT NULL,
    stop_code TEXT,
    stop_name TEXT,
    stop_lat DOUBLE PRECISION,
    stop_lon DOUBLE PRECISION,
    location_type SMALLINT NOT NULL,
    parent_station TEXT,
    zone_id TEXT,
    stop_timezone TEXT,
    wheelchair_boarding SMALLINT,
    PRIMARY KEY (feed_id, stop_id)
);
CREATE TABLE gtfs_trips (
    feed_id TEXT NOT NULL,
    trip_id TEXT NOT NULL,
    route_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    trip_headsign TEXT,
    trip_short_name TEXT,
    direction_id SMALLINT,
    block_id TEXT,
    shape_id TEXT,
    PRIMARY KEY (feed_id, trip_id)
);
CREATE TABLE gtfs_stop_times (
    feed_id TEXT NOT NULL,
    trip_id TEXT NOT NULL,
    stop_sequence INTEGER NOT NULL,
    stop_id TEXT NOT NULL,
    arrival_s INTEGER,
    departure_s INTEGER,
    stop_headsign TEXT,
    pickup_type SMALLINT,
    drop_off_type SMALLINT,
    timepoint SMALLINT,
    shape_dist_traveled DOUBLE PRECISION,
    dist_m DOUBLE PRECISION,
    PRIMARY KEY (feed_id, trip_id, stop_sequence)
);
CREATE TABLE gtfs_calendars (
    feed_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    monday SMALLINT NOT NULL,
    tuesday SMALLINT NOT NULL,
    wednesday SMALLINT NOT NULL,
    thursday SMALLINT NOT NULL,
    friday SMALLINT NOT NULL,
    saturday SMALLINT NOT NULL,
    sunday SMALLINT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    PRIMARY KEY (feed_id, service_id)
);
CREATE TABLE gtfs_calendar_dates (
    feed_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    date TEXT NOT NULL,
    exception_type SMALLINT NOT NULL,
    PRIMARY KEY (feed_id, service_id, date)
);
CREATE TABLE gtfs_shapes (
    feed_id TEXT NOT NULL,
    shape_id TEXT NOT NULL,
    shape_pt_sequence INTEGER NOT NULL,
    shape_pt_lat DOUBLE PRECISION NOT NULL,
    shape_pt_lon DOUBLE PRECISION NOT NULL,
    shape_dist_traveled DOUBLE PRECISION,
    dist_m DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (feed_id, shape_id, shape_pt_sequence)
);
CREATE TABLE gtfs_frequencies (
    feed_id TEXT NOT NULL,
    trip_id TEXT NOT NULL,
    start_s INTEGER NOT NULL,
    end_s INTEGER NOT NULL,
    headway_secs INTEGER NOT NULL,
    exact_times SMALLINT NOT NULL,
    PRIMARY KEY (feed_id, trip_id, start_s)
);
-- Every fix received (matched or not, with the reason when not); the dead letters hold what was refused.
CREATE TABLE transit_positions (
    feed_id TEXT NOT NULL,
    vehicle_id TEXT NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    speed_kmh DOUBLE PRECISION,
    bearing_deg DOUBLE PRECISION,
    route_id TEXT,
    trip_id TEXT,
    direction_id SMALLINT,
    start_date TEXT,
    start_time TEXT,
    shape_dist_m DOUBLE PRECISION,
    stop_sequence INTEGER,
    stop_id TEXT,
    at_stop SMALLINT NOT NULL,
    delay_s DOUBLE PRECISION,
    match_kind TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (feed_id, vehicle_id, time)
);
CREATE TABLE transit_vehicles (
    feed_id TEXT NOT NULL,
    vehicle_id TEXT NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    speed_kmh DOUBLE PRECISION,
    bearing_deg DOUBLE PRECISION,
    route_id TEXT,
    trip_id TEXT,
    direction_id SMALLINT,
    start_date TEXT,
    start_time TEXT,
    shape_dist_m DOUBLE PRECISION,
    stop_sequence INTEGER,
    stop_id TEXT,
    at_stop SMALLINT NOT NULL,
    delay_s DOUBLE PRECISION,
    match_kind TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (feed_id, vehicle_id)
);
CREATE TABLE transit_stop_events (
    feed_id TEXT NOT NULL,
    trip_id TEXT NOT NULL,
    start_date TEXT NOT NULL,
    stop_sequence INTEGER NOT NULL,
    stop_id TEXT NOT NULL,
    route_id TEXT NOT NULL,
    direction_id SMALLINT,
    vehicle_id TEXT,
    start_time TEXT,
    scheduled_arrival TIMESTAMPTZ,
    scheduled_departure TIMESTAMPTZ,
    observed_arrival TIMESTAMPTZ,
    observed_departure TIMESTAMPTZ,
    PRIMARY KEY (feed_id, trip_id, start_date, stop_sequence)
);
CREATE TABLE transit_alerts (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    active_from TIMESTAMPTZ,
    active_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
-- PostgreSQL: the time range queries of history, KPIs and evaluation.
CREATE INDEX transit_positions_time_idx ON transit_positions USING brin (time);
CREATE INDEX transit_stop_events_arrival_idx ON transit_stop_events (feed_id, observed_arrival);
