-- Per-reading history that predictive maintenance builds its features from.
CREATE TABLE IF NOT EXISTS vehicle_history (
    record_id        text PRIMARY KEY,
    vehicle_id       text NOT NULL,
    fleet_id         text,
    vehicle_type     text,
    ts               timestamptz NOT NULL,
    engine_hours     double precision,
    odometer_km      double precision,
    engine_rpm       double precision,
    coolant_temp_c   double precision,
    battery_v        double precision,
    engine_load_pct  double precision,
    fuel_rate_lph    double precision,
    dtc_count        integer NOT NULL DEFAULT 0,
    dtcs             jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX IF NOT EXISTS vehicle_history_vehicle_ts_idx ON vehicle_history (vehicle_id, ts DESC);
