-- One work order per alert: alert_id is deterministic, so a redelivered alert hits the
-- unique constraint and INSERT ... ON CONFLICT DO NOTHING writes nothing.
CREATE TABLE IF NOT EXISTS maintenance_schedule (
    work_order_id  bigserial PRIMARY KEY,
    alert_id       text NOT NULL UNIQUE,
    vehicle_id     text NOT NULL,
    fleet_id       text NOT NULL,
    driver_id      text,
    vehicle_type   text,
    rule           text NOT NULL,
    metric         text,
    value          double precision,
    threshold      double precision,
    severity       text NOT NULL CHECK (severity IN ('info', 'warning', 'high', 'critical')),
    priority       smallint NOT NULL,
    alert_ts       timestamptz NOT NULL,
    due_by         timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'scheduled', 'in_progress', 'done', 'cancelled')),
    description    text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS maintenance_schedule_vehicle_idx ON maintenance_schedule (vehicle_id, alert_ts DESC);
CREATE INDEX IF NOT EXISTS maintenance_schedule_open_idx ON maintenance_schedule (fleet_id, due_by) WHERE status = 'open';
