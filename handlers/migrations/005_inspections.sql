-- Driver vehicle inspection reports (49 CFR 396.11/396.13) and roadside inspections.
CREATE TABLE IF NOT EXISTS inspections (
    inspection_id  text PRIMARY KEY,
    vehicle_id     text NOT NULL,
    driver_id      text,
    fleet_id       text,
    kind           text NOT NULL CHECK (kind IN ('pre_trip', 'post_trip', 'roadside', 'annual')),
    inspected_at   timestamptz NOT NULL,
    result         text NOT NULL CHECK (result IN ('pass', 'defects', 'out_of_service')),
    defects        jsonb NOT NULL DEFAULT '[]'::jsonb,
    location       text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS inspections_driver_idx ON inspections (driver_id, inspected_at);
CREATE INDEX IF NOT EXISTS inspections_vehicle_idx ON inspections (vehicle_id, inspected_at);
