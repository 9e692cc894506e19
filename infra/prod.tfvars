# prod: 234,000 vehicles (docs/contracts.md "Sizing").
# Kinesis per shard: 1,000 records/s and 1 MiB/s written, 2 MiB/s read (shared by all readers).
# shards = ceil(max(rec/s / 1000, MiB/s / 1, readers x MiB/s / 2) x 1.5 headroom)
#   gps:         234,000 / 30 s = 7,800 rec/s; x 300 B = 2.23 MiB/s; 1 reader (location)
#                max(7.80, 2.23, 1 x 2.23 / 2 = 1.12) = 7.80 x 1.5 = 11.7 -> 12 shards
#   diagnostics: 234,000 / 60 s = 3,900 rec/s; x 550 B = 2.05 MiB/s; 4 readers
#                (processor, predictive, fuel, Firehose)
#                max(3.90, 2.05, 4 x 2.05 / 2 = 4.09) = 4.09 x 1.5 = 6.14 -> 7 shards
#                (the read side binds: 6 shards would leave 1.47x, under the 1.5x headroom)
#   hos:         ~12 changes per driver-day = 32.5 rec/s average, 20x at shift change = 650 rec/s
#                peak; x ~400 B = 0.25 MiB/s; 1 reader: max(0.65, 0.25, 0.12) x 1.5 = 0.98 -> 1;
#                2 shards so one shift-change burst on a hot partition key cannot throttle.
# Lambda concurrency: gps 12 shards x parallelization 4 = 48 concurrent location invocations;
#   per-function reserved_concurrency below (sum 355 of the default 1,000 leaves 645 unreserved;
#   raise the account limit before adding functions).
# DynamoDB: per-table capacity modes below (provisioned + autoscaling for the steady telemetry tables).
# Aurora: one connection per concurrent writer Lambda; 32 ACUs (~64 GiB) -> max_connections 5,000 (cap).
aws_region  = "us-east-1"
env         = "prod"
owner       = "fleet-platform"
cost_center = "telematics-prod"

deletion_protection     = true
report_object_lock_mode = "COMPLIANCE"

stream_mode             = "PROVISIONED"
diagnostics_shard_count = 7
hos_shard_count         = 2
gps_shard_count         = 12
retention_hours         = 168

processor_memory       = 1024
anomaly_memory         = 1024
maintenance_memory     = 512
driver_notifier_memory = 512
fleet_memory           = 512
predictive_memory      = 2048
hos_memory             = 1024
location_memory        = 1024
fuel_memory            = 1024
coaching_memory        = 256

# Timeouts (s), the same in every environment because they bound the code's own downstream calls
# (make preflight reads them from the handlers): boto3 3 attempts x (3 s connect + 10 s read) ~ 42 s;
# redis-py 8.1 default 10 retries x (2 s connect + 3 s socket) + backoff ~ 65 s (Redis users: 90);
# the FMCSA PDF API 3 attempts x (3 s + 30 s) ~ 101 s (dot_report: 120).
timeout_s = {
  processor          = 60
  anomaly            = 90
  maintenance        = 60
  driver_notifier    = 60
  fleet              = 90
  predictive         = 60
  hos                = 90
  hos_report         = 60
  location           = 90
  fuel               = 90
  coaching           = 90
  dot_report         = 120
  firehose_transform = 60
}

# Reserved concurrency (make capacity ENV=prod): shards x parallelization 4 -> location 12x4 = 48 (60 lets
# it catch up), processor/predictive/fuel 7x4 = 28 (35), hos 2x4 = 8 (10), anomaly 4 table partitions x 4 = 16
# (40: the table stream's shards grow with its partitions), SQS consumers 10; dot_report 110 >= the DOT
# Map's 10 x 10 = 100; hos_report, coaching, firehose_transform unreserved. Sum 355 + 100 <= 1,000, so
# prod, staging (106) and dev (50) fit one default-quota account.
reserved_concurrency = {
  processor          = 35
  anomaly            = 40
  maintenance        = 10
  driver_notifier    = 10
  fleet              = 10
  predictive         = 35
  hos                = 10
  hos_report         = -1
  location           = 60
  fuel               = 35
  coaching           = -1
  dot_report         = 110
  firehose_transform = -1
}
lambda_account_concurrency_limit = 1000
dot_map_max_concurrency          = 10
dot_map_driver_concurrency       = 10

# DynamoDB capacity mode per table (make capacity ENV=prod, capacity_planner.cost): steady telemetry
# on demand costs ~2.8x provisioned with autoscaling at 80 % (diagnostics 3,900 writes/s, locations
# 7,800 + 7,800 GSI): PROVISIONED for diagnostics, locations (table and GSI) and predictions (39/s);
# driver_logs (20x at shift change), compliance_status (daily burst) and the reference tables stay on
# demand. Minimums near the steady average / 0.8; maximums >= 1.5x the average (make capacity checks).
table_billing_modes = {
  diagnostics = "PROVISIONED"
  locations   = "PROVISIONED"
  predictions = "PROVISIONED"
}
table_capacity = {
  diagnostics = { read_min = 50, read_max = 1000, write_min = 4000, write_max = 12000 }
  locations   = { read_min = 50, read_max = 2000, write_min = 8000, write_max = 24000 }
  predictions = { read_min = 10, read_max = 200, write_min = 50, write_max = 500 }
}

node_type                = "cache.r7g.xlarge"
num_cache_clusters       = 3
snapshot_retention_limit = 7

min_capacity          = 2
max_capacity          = 32
backup_retention_days = 35

visibility_timeout     = 540
retention_seconds      = 345600
lifecycle_archive_days = 90
buffer_interval_s      = 300
buffer_size_mb         = 128
log_retention_days     = 365
