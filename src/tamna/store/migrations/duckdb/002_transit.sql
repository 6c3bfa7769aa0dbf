-- Tamna schema 2 (DuckDB): GTFS static feeds, vehicle states, stop events and service alerts (tamna.transit).
-- GTFS ids are unique only inside a feed, so every GTFS table is keyed by feed_id first.
-- Times of day are seconds from the service day's origin (noon minus 12 h) and may pass 24 h; dates are YYYYMMDD.
CREATE TABLE transit_feeds (
    feed_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    timezone VARCHAR NOT NULL,
    min_lon DOUBLE NOT NULL,
    min_lat DOUBLE NOT NULL,
    max_lon DOUBLE NOT NULL,
    max_lat DOUBLE NOT NULL,
    start_date VARCHAR,
    end_date VARCHAR,
    counts VARCHAR NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    report VARCHAR NOT NULL
);
CREATE TABLE gtfs_agencies (
    feed_id VARCHAR NOT NULL,
    agency_id VARCHAR NOT NULL,
    agency_name VARCHAR NOT NULL,
    agency_url VARCHAR,
    agency_timezone VARCHAR NOT NULL,
    agency_lang VARCHAR,
    agency_phone VARCHAR,
    PRIMARY KEY (feed_id, agency_id)
);
CREATE TABLE gtfs_routes (
    feed_id VARCHAR NOT NULL,
    route_id VARCHAR NOT NULL,
    agency_id VARCHAR,
    route_short_name VARCHAR,
    route_long_name VARCHAR,
    route_desc VARCHAR,
    route_type INTEGER NOT NULL,
    route_color VARCHAR,
    route_text_color VARCHAR,
    PRIMARY KEY (feed_id, route_id)
);
CREATE TABLE gtfs_stops (
    feed_id VARCHAR NOT NULL,
    stop_id VARCHAR NOT NULL,
    stop_code VARCHAR,
    stop_name VARCHAR,
    stop_lat DOUBLE,
    stop_lon DOUBLE,
    location_type SMALLINT NOT NULL,
    parent_station VARCHAR,
    zone_id VARCHAR,
    stop_timezone VARCHAR,
    wheelchair_boarding SMALLINT,
    PRIMARY KEY (feed_id, stop_id)
);
CREATE TABLE gtfs_trips (
    feed_id VARCHAR NOT NULL,
    trip_id VARCHAR NOT NULL,
    route_id VARCHAR NOT NULL,
    service_id VARCHAR NOT NULL,
    trip_headsign VARCHAR,
    trip_short_name VARCHAR,
    direction_id SMALLINT,
    block_id VARCHAR,
    shape_id VARCHAR,
    PRIMARY KEY (feed_id, trip_id)
);
CREATE TABLE gtfs_stop_times (
    feed_id VARCHAR NOT NULL,
    trip_id VARCHAR NOT NULL,
    stop_sequence INTEGER NOT NULL,
    stop_id VARCHAR NOT NULL,
    arrival_s INTEGER,
    departure_s INTEGER,
    stop_headsign VARCHAR,
    pickup_type SMALLINT,
    drop_off_type SMALLINT,
    timepoint SMALLINT,
    shape_dist_traveled DOUBLE,
    dist_m DOUBLE,
    PRIMARY KEY (feed_id, trip_id, stop_sequence)
);
CREATE TABLE gtfs_calendars (
    feed_id VARCHAR NOT NULL,
    service_id VARCHAR NOT NULL,
    monday SMALLINT NOT NULL,
    tuesday SMALLINT NOT NULL,
    wednesday SMALLINT NOT NULL,
    thursday SMALLINT NOT NULL,
    friday SMALLINT NOT NULL,
    saturday SMALLINT NOT NULL,
    sunday SMALLINT NOT NULL,
    start_date VARCHAR NOT NULL,
    end_date VARCHAR NOT NULL,
    PRIMARY KEY (feed_id, service_id)
);
CREATE TABLE gtfs_calendar_dates (
    feed_id VARCHAR NOT NULL,
    service_id VARCHAR NOT NULL,
    date VARCHAR NOT NULL,
    exception_type SMALLINT NOT NULL,
    PRIMARY KEY (feed_id, service_id, date)
);
CREATE TABLE gtfs_shapes (
    feed_id VARCHAR NOT NULL,
    shape_id VARCHAR NOT NULL,
    shape_pt_sequence INTEGER NOT NULL,
    shape_pt_lat DOUBLE NOT NULL,
    shape_pt_lon DOUBLE NOT NULL,
    shape_dist_traveled DOUBLE,
    dist_m DOUBLE NOT NULL,
    PRIMARY KEY (feed_id, shape_id, shape_pt_sequence)
);
CREATE TABLE gtfs_frequencies (
    feed_id VARCHAR NOT NULL,
    trip_id VARCHAR NOT NULL,
    start_s INTEGER NOT NULL,
    end_s INTEGER NOT NULL,
    headway_secs INTEGER NOT NULL,
    exact_times SMALLINT NOT NULL,
    PRIMARY KEY (feed_id, trip_id, start_s)
);
-- Every fix received (matched or not, with the reason when not); the dead letters hold what was refused.
CREATE TABLE transit_positions (
    feed_id VARCHAR NOT NULL,
    vehicle_id VARCHAR NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    source VARCHAR NOT NULL,
    lat DOUBLE,
    lon DOUBLE,
    speed_kmh DOUBLE,
    bearing_deg DOUBLE,
    route_id VARCHAR,
    trip_id VARCHAR,
    direction_id SMALLINT,
    start_date VARCHAR,
    start_time VARCHAR,
    shape_dist_m DOUBLE,
    stop_sequence INTEGER,
    stop_id VARCHAR,
    at_stop SMALLINT NOT NULL,
    delay_s DOUBLE,
    match_kind VARCHAR NOT NULL,
    reason VARCHAR,
    PRIMARY KEY (feed_id, vehicle_id, time)
);
CREATE TABLE transit_vehicles (
    feed_id VARCHAR NOT NULL,
    vehicle_id VARCHAR NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    source VARCHAR NOT NULL,
    lat DOUBLE,
    lon DOUBLE,
    speed_kmh DOUBLE,
    bearing_deg DOUBLE,
    route_id VARCHAR,
    trip_id VARCHAR,
    direction_id SMALLINT,
    start_date VARCHAR,
    start_time VARCHAR,
    shape_dist_m DOUBLE,
    stop_sequence INTEGER,
    stop_id VARCHAR,
    at_stop SMALLINT NOT NULL,
    delay_s DOUBLE,
    match_kind VARCHAR NOT NULL,
    reason VARCHAR,
    PRIMARY KEY (feed_id, vehicle_id)
);
CREATE TABLE transit_stop_events (
    feed_id VARCHAR NOT NULL,
    trip_id VARCHAR NOT NULL,
    start_date VARCHAR NOT NULL,
    stop_sequence INTEGER NOT NULL,
    stop_id VARCHAR NOT NULL,
    route_id VARCHAR NOT NULL,
    direction_id SMALLINT,
    vehicle_id VARCHAR,
    start_time VARCHAR,
    scheduled_arrival TIMESTAMPTZ,
    scheduled_departure TIMESTAMPTZ,
    observed_arrival TIMESTAMPTZ,
    observed_departure TIMESTAMPTZ,
    PRIMARY KEY (feed_id, trip_id, start_date, stop_sequence)
);
CREATE TABLE transit_alerts (
    id VARCHAR PRIMARY KEY,
    body VARCHAR NOT NULL,
    active_from TIMESTAMPTZ,
    active_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
