# staging: production-like at about a quarter of prod's throughput (~58,500 vehicles):
# gps 1,950 rec/s -> ceil(1.95 x 1.5) = 3 shards; diagnostics 975 rec/s, 4 readers x 0.51 MiB/s
# / 2 MiB/s = 1.02 -> ceil(1.02 x 1.5) = 2; hos 163 rec/s peak -> 1.
aws_region  = "us-east-1"
env         = "staging"
owner       = "fleet-platform"
cost_center = "telematics-staging"

deletion_protection = true
# GOVERNANCE: staging can be torn down (principals with s3:BypassGovernanceRetention can delete
# reports early); only prod holds records of duty status in COMPLIANCE mode.
report_object_lock_mode = "GOVERNANCE"

stream_mode             = "PROVISIONED"
diagnostics_shard_count = 2
hos_shard_count         = 1
gps_shard_count         = 3
retention_hours         = 48

processor_memory       = 512
anomaly_memory         = 512
maintenance_memory     = 256
driver_notifier_memory = 256
fleet_memory           = 256
predictive_memory      = 1024
hos_memory             = 512
location_memory        = 512
fuel_memory            = 512
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

# Reserved concurrency (make capacity ENV=staging): shards x parallelization 2 -> location 3x2 = 6 (8),
# processor/predictive/fuel 2x2 = 4 (5), hos 1x2 = 2 (3), anomaly (table stream shards grow with
# partitions) 10, SQS consumers 5; dot_report 55 >= the DOT Map's 5 x 10 = 50. Sum 106.
reserved_concurrency = {
  processor          = 5
  anomaly            = 10
  maintenance        = 5
  driver_notifier    = 5
  fleet              = 5
  predictive         = 5
  hos                = 3
  hos_report         = -1
  location           = 8
  fuel               = 5
  coaching           = -1
  dot_report         = 55
  firehose_transform = -1
}
lambda_account_concurrency_limit = 1000
dot_map_max_concurrency          = 5
dot_map_driver_concurrency       = 10

# DynamoDB capacity mode per table (as prod): diagnostics 975 writes/s, locations 1,950 (+ 1,950 GSI),
# predictions ~10, at the 80 % autoscaling target: 1,219 / 2,438 / 13 units; max >= 1.5x the average.
table_billing_modes = {
  diagnostics = "PROVISIONED"
  locations   = "PROVISIONED"
  predictions = "PROVISIONED"
}
table_capacity = {
  diagnostics = { read_min = 10, read_max = 250, write_min = 1000, write_max = 3000 }
  locations   = { read_min = 10, read_max = 500, write_min = 2000, write_max = 6000 }
  predictions = { read_min = 5, read_max = 50, write_min = 10, write_max = 150 }
}

node_type                = "cache.r7g.large"
num_cache_clusters       = 2
snapshot_retention_limit = 3

min_capacity          = 0.5
max_capacity          = 8
backup_retention_days = 7

visibility_timeout     = 540
retention_seconds      = 345600
lifecycle_archive_days = 60
buffer_interval_s      = 300
buffer_size_mb         = 64
log_retention_days     = 90
