-- Tamna schema 3 (DuckDB): the audit trail of operators' signal commands (controller switches, holds).
CREATE TABLE signal_changes (
    id VARCHAR PRIMARY KEY,
    changed_at TIMESTAMPTZ NOT NULL,
    sim_time TIMESTAMPTZ,
    scenario VARCHAR,
    signal_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    previous VARCHAR NOT NULL,
    controller VARCHAR NOT NULL,
    phase INTEGER,
    key_id VARCHAR NOT NULL,
    key_name VARCHAR NOT NULL,
    role VARCHAR NOT NULL
);
CREATE INDEX signal_changes_changed_at ON signal_changes (changed_at);
