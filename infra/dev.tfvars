# dev: smallest capacities, same topology as staging and prod. Disposable: no deletion
# protection, GOVERNANCE object lock so the environment can be torn down.
aws_region  = "us-east-1"
env         = "dev"
owner       = "fleet-platform"
cost_center = "telematics-dev"

deletion_protection     = false
report_object_lock_mode = "GOVERNANCE"

# dev only: a placeholder is accepted here (make preflight rejects one in staging and prod, which
# take the real webhook at deploy time: TF_VAR_alert_https_endpoint).
alert_https_endpoint = "https://hooks.example.com/fleettap/sns"

stream_mode             = "PROVISIONED"
diagnostics_shard_count = 1
hos_shard_count         = 1
gps_shard_count         = 1
retention_hours         = 24

processor_memory       = 256
anomaly_memory         = 256
maintenance_memory     = 256
driver_notifier_memory = 128
fleet_memory           = 128
predictive_memory      = 512
hos_memory             = 256
location_memory        = 256
fuel_memory            = 256
coaching_memory        = 128

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

# Reserved concurrency (make capacity ENV=dev): 1 shard x parallelization 1 = 1 per stream consumer;
# 5 each, which also caps the local runtime's environments per function as before; dot_report 5 = the
# DOT Map's 1 x 5; -1 = unreserved (low volume). Sum 50.
reserved_concurrency = {
  processor          = 5
  anomaly            = 5
  maintenance        = 5
  driver_notifier    = 5
  fleet              = 5
  predictive         = 5
  hos                = 5
  hos_report         = -1
  location           = 5
  fuel               = 5
  coaching           = -1
  dot_report         = 5
  firehose_transform = -1
}
lambda_account_concurrency_limit = 1000
dot_map_max_concurrency          = 1
dot_map_driver_concurrency       = 5

# DynamoDB capacity mode per table: the same in every environment (make capacity ENV=prod prices both
# modes: steady telemetry tables are provisioned with autoscaling, bursty and idle ones on demand);
# dev's bounds are small.
table_billing_modes = {
  diagnostics = "PROVISIONED"
  locations   = "PROVISIONED"
  predictions = "PROVISIONED"
}
table_capacity = {
  diagnostics = { read_min = 5, read_max = 50, write_min = 5, write_max = 100 }
  locations   = { read_min = 5, read_max = 50, write_min = 5, write_max = 100 }
  predictions = { read_min = 1, read_max = 10, write_min = 1, write_max = 10 }
}

node_type                = "cache.t4g.micro"
num_cache_clusters       = 2
snapshot_retention_limit = 1

min_capacity          = 0.5
max_capacity          = 2
backup_retention_days = 1

visibility_timeout     = 540
retention_seconds      = 345600
lifecycle_archive_days = 30
buffer_interval_s      = 60
buffer_size_mb         = 64
log_retention_days     = 14
