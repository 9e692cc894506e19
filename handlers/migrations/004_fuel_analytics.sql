-- One row per diagnostics reading that produced an MPG sample (record_id = idempotency key).
CREATE TABLE IF NOT EXISTS fuel_analytics (
    record_id        text PRIMARY KEY,
    vehicle_id       text NOT NULL,
    fleet_id         text NOT NULL,
    driver_id        text,
    vehicle_type     text NOT NULL,
    ts               timestamptz NOT NULL,
    distance_km      double precision,
    fuel_used_l      double precision,
    mpg              double precision,
    idle_pct         double precision,
    benchmark_mpg    double precision,
    efficiency_pct   double precision,
    inefficient      boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS fuel_analytics_vehicle_ts_idx ON fuel_analytics (vehicle_id, ts DESC);
CREATE INDEX IF NOT EXISTS fuel_analytics_driver_ts_idx ON fuel_analytics (driver_id, ts DESC);
