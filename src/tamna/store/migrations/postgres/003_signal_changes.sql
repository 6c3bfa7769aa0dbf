-- Tamna schema 3 (PostgreSQL): the audit trail of operators' signal commands (controller switches, holds).
CREATE TABLE signal_changes (
    id TEXT PRIMARY KEY,
    changed_at TIMESTAMPTZ NOT NULL,
    sim_time TIMESTAMPTZ,
    scenario TEXT,
    signal_id TEXT NOT NULL,
    action TEXT NOT NULL,
    previous TEXT NOT NULL,
    controller TEXT NOT NULL,
    phase INTEGER,
    key_id TEXT NOT NULL,
    key_name TEXT NOT NULL,
    role TEXT NOT NULL
);
CREATE INDEX signal_changes_changed_at ON signal_changes (changed_at);
