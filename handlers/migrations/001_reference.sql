-- Reference data the DOT report and work orders join against.
CREATE TABLE IF NOT EXISTS vehicles (
    vehicle_id    text PRIMARY KEY,
    vin           char(17) NOT NULL,
    fleet_id      text NOT NULL,
    vehicle_type  text NOT NULL CHECK (vehicle_type IN ('tractor', 'straight_truck', 'van', 'reefer')),
    -- service history the predictive model uses (age, km since last service, prior failures)
    in_service_date  date,
    last_service_km  double precision,
    prior_failures   integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS vehicles_fleet_idx ON vehicles (fleet_id);

CREATE TABLE IF NOT EXISTS drivers (
    driver_id       text PRIMARY KEY,
    fleet_id        text NOT NULL,
    name            text NOT NULL,
    license_number  text,
    license_state   char(2),
    home_time_zone  text NOT NULL DEFAULT 'America/Chicago',
    cycle           text NOT NULL DEFAULT '70/8' CHECK (cycle IN ('70/8', '60/7')),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS drivers_fleet_idx ON drivers (fleet_id);
