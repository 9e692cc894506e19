# staging: production-like at about a quarter of prod's throughput (~58,500 vehicles):
# gps 1,950 rec/s -> ceil(1.95 x 1.5) = 3 shards; diagnostics 975 rec/s, 4 readers x 0.51 MiB/s
# / 2 MiB/s = 1.02 -> ceil(1.02 x 1.5) = 2; hos 163 rec/s peak -> 1.
aws_region  = "us-east-1"
env         = "staging"
owner       = "fleet-platform"
cost_center = "telematics-staging"

deletion_protection     = true
report_object_lock_mode = "COMPLIANCE"

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
timeout_s              = 60
reserved_concurrency   = 20

node_type                = "cache.r7g.large"
num_cache_clusters       = 2
snapshot_retention_limit = 3

min_capacity          = 0.5
max_capacity          = 8
backup_retention_days = 7

visibility_timeout     = 360
retention_seconds      = 345600
lifecycle_archive_days = 60
buffer_interval_s      = 300
buffer_size_mb         = 64
log_retention_days     = 90
