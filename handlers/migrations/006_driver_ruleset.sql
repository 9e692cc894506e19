-- Each driver's HOS rule set (handlers/domain/hos/rulesets.py); the cycle is one of that rule set's.
ALTER TABLE drivers ADD COLUMN IF NOT EXISTS ruleset text NOT NULL DEFAULT 'us-property';
ALTER TABLE drivers DROP CONSTRAINT IF EXISTS drivers_cycle_check;
ALTER TABLE drivers DROP CONSTRAINT IF EXISTS drivers_ruleset_cycle_check;
ALTER TABLE drivers ADD CONSTRAINT drivers_ruleset_cycle_check CHECK (
    (ruleset IN ('us-property', 'us-passenger') AND cycle IN ('70/8', '60/7'))
    OR (ruleset = 'us-texas-intrastate' AND cycle = '70/7')
    OR (ruleset = 'us-california-intrastate' AND cycle = '80/8')
    OR (ruleset = 'canada-south' AND cycle IN ('cycle-1', 'cycle-2')));
