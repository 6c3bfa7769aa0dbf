-- Tamna schema 1 (DuckDB): network, sensors, observations with roll-ups, dead letters, keys, safety tables.
CREATE TABLE nodes (
    id VARCHAR PRIMARY KEY,
    lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL,
    name VARCHAR,
    kind VARCHAR
);
CREATE TABLE links (
    id VARCHAR PRIMARY KEY,
    from_node VARCHAR NOT NULL,
    to_node VARCHAR NOT NULL,
    geometry VARCHAR NOT NULL,            -- JSON array of [lon, lat]
    lanes INTEGER NOT NULL,
    length_m DOUBLE NOT NULL,
    speed_limit_kmh DOUBLE,
    freeflow_speed_kmh DOUBLE,
    name VARCHAR,
    road_class VARCHAR
);
CREATE SEQUENCE sensor_key_seq START 1;
CREATE TABLE sensors (
    key INTEGER PRIMARY KEY DEFAULT nextval('sensor_key_seq'),
    id VARCHAR NOT NULL UNIQUE,
    kind VARCHAR NOT NULL,
    link_id VARCHAR,
    lon DOUBLE,
    lat DOUBLE,
    name VARCHAR
);
CREATE TABLE observations (
    sensor_key INTEGER NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    speed_kmh REAL,
    flow_vph REAL,
    occupancy_pct REAL,
    quality SMALLINT NOT NULL,
    PRIMARY KEY (sensor_key, time)
);
CREATE TABLE sensor_latest (
    sensor_key INTEGER PRIMARY KEY,
    time TIMESTAMPTZ NOT NULL,
    speed_kmh REAL,
    flow_vph REAL,
    occupancy_pct REAL,
    quality SMALLINT NOT NULL
);
CREATE TABLE obs_15m (
    sensor_key INTEGER NOT NULL,
    bucket TIMESTAMPTZ NOT NULL,
    samples INTEGER NOT NULL,
    speed_kmh DOUBLE, speed_n INTEGER NOT NULL,
    flow_vph DOUBLE, flow_n INTEGER NOT NULL,
    occupancy_pct DOUBLE, occupancy_n INTEGER NOT NULL,
    PRIMARY KEY (sensor_key, bucket)
);
CREATE TABLE obs_1h (
    sensor_key INTEGER NOT NULL,
    bucket TIMESTAMPTZ NOT NULL,
    samples INTEGER NOT NULL,
    speed_kmh DOUBLE, speed_n INTEGER NOT NULL,
    flow_vph DOUBLE, flow_n INTEGER NOT NULL,
    occupancy_pct DOUBLE, occupancy_n INTEGER NOT NULL,
    PRIMARY KEY (sensor_key, bucket)
);
CREATE SEQUENCE rejection_id_seq START 1;
CREATE TABLE rejections (
    id BIGINT PRIMARY KEY DEFAULT nextval('rejection_id_seq'),
    source VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    reason VARCHAR NOT NULL,
    field VARCHAR,
    value VARCHAR,
    record VARCHAR,
    position BIGINT
);
CREATE TABLE api_keys (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    key_hash VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE TABLE cameras (
    id VARCHAR PRIMARY KEY,
    name VARCHAR,
    lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL,
    link_id VARCHAR,
    stream_url VARCHAR
);
CREATE TABLE incidents (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL,
    link_id VARCHAR,
    description VARCHAR
);
CREATE TABLE alerts (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    message VARCHAR NOT NULL,
    link_id VARCHAR,
    sensor_id VARCHAR,
    closed_at TIMESTAMPTZ
);
