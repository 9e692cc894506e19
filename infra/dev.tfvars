# dev: smallest capacities, same topology as staging and prod. Disposable: no deletion
# protection, GOVERNANCE object lock so the environment can be torn down.
aws_region  = "us-east-1"
env         = "dev"
owner       = "fleet-platform"
cost_center = "telematics-dev"

deletion_protection     = false
report_object_lock_mode = "GOVERNANCE"

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
timeout_s              = 30
reserved_concurrency   = 5

node_type                = "cache.t4g.micro"
num_cache_clusters       = 2
snapshot_retention_limit = 1

min_capacity          = 0.5
max_capacity          = 2
backup_retention_days = 1

visibility_timeout     = 180
retention_seconds      = 345600
lifecycle_archive_days = 30
buffer_interval_s      = 60
buffer_size_mb         = 64
log_retention_days     = 14
