###############################################################################
# fleettap: fleet telematics pipeline for ~234,000 commercial vehicles.
#
# One file holds the whole topology (the request asks for a single tap_stack.tf). The topology is
# identical in dev, staging and prod: every resource exists in every environment with the same
# count; only capacities (shards, memory, ACUs, node types, retention) come from the tfvars files.
#
# Data flow
#   vehicles -> Kinesis (diagnostics | hos | gps)
#     diagnostics -> processor -> DynamoDB vehicle_diagnostics --stream--> anomaly -> SNS vehicle-alerts
#                 -> predictive (Aurora history + SageMaker) -> DynamoDB predicted_failures, SNS maintenance-required
#                 -> fuel (MPG, Redis benchmarks, Aurora fuel_analytics) -> SNS driver-coaching -> coaching -> SQS training
#                 -> Firehose (Lambda transform, Parquet, date/vehicle_type partitions) -> S3 data lake -> Glue -> Athena
#     hos         -> hos (DOT rules) -> DynamoDB driver_logs, SNS hos-violations -> hos_report -> S3 compliance reports
#     gps         -> location -> DynamoDB vehicle_locations (geohash GSI), Redis GEO, geofences -> SNS geofence-alerts
#   SNS vehicle-alerts -> SQS maintenance_alerts (high, critical)   -> maintenance -> Aurora maintenance_schedule
#                      -> SQS driver_notifications (warning+)      -> driver_notifier -> external telematics API
#                      -> SQS fleet_manager_queue (all)            -> fleet -> Redis dashboard hashes
#   EventBridge (daily) -> Step Functions DOT reporting -> dot_report (gather writes the driver manifest to the
#                          DOT work bucket, then a DISTRIBUTED Map over it in shards of drivers, per driver:
#                          report_driver, a failure caught into the failures report; results to the work
#                          bucket; then publish_summary)
#
# Hours of service (49 CFR Part 395, property-carrying drivers, rules in force since 2020-09-29)
#   - A duty period starts after 10 consecutive hours off duty / sleeper berth (395.3(a)(1)).
#   - 14-hour window: no driving after the 14th hour since coming on duty; off-duty time inside the
#     window does not extend it (395.3(a)(2)), except a qualifying sleeper-berth pair.
#   - 11-hour limit: at most 11 hours driving inside the window (395.3(a)(3)(i)) -> violation driving_11.
#   - 30-minute break after 8 hours of cumulative driving (395.3(a)(3)(ii)) -> break_30.
#   - 60 hours / 7 days or 70 hours / 8 days on duty, after which driving is illegal (395.3(b));
#     a 34-hour off-duty restart resets the period (395.3(c)) -> cycle_60 / cycle_70.
#   - Sleeper-berth split 7/3, 8/2 ... (395.1(g)(1)(ii)); adverse driving +2 h (395.1(b)(1));
#     150 air-mile short haul (395.1(e)(1)); 16-hour exception once per 7 days (395.1(o)).
#   - Records of duty status are kept 6 months (395.8(k)): compliance reports sit in an Object Lock
#     bucket for report_retention_days (>= 183) so nobody can alter or delete them before then.
#   The rule numbers live in DynamoDB compliance_rules (rule_set "property"), not in code, so a
#   regulation change is a data change; the hos function evaluates them per driver on every duty
#   status change and the daily Step Functions workflow produces the FMCSA reports.
#
# Predictive maintenance workflow
#   1. The predictive function reads each diagnostics batch from Kinesis and, per vehicle, pulls
#      the recent history (vehicle_history in Aurora) to build a feature vector (coolant trend,
#      battery voltage sag, DTC recurrence, engine hours since service ...).
#   2. It calls the SageMaker real-time endpoint predictive_endpoint_name (InvokeEndpoint only,
#      scoped to that endpoint's ARN; the model is trained and deployed outside this stack).
#   3. Every prediction lands in DynamoDB predicted_failures (component, confidence, horizon_days).
#   4. Predictions with confidence > PREDICTION_CONFIDENCE_THRESHOLD (0.8) go to SNS
#      maintenance-required; the rest are kept for trend review only, so shops are not flooded
#      with low-confidence work.
#   5. Each prediction is logged as JSON {"event": "prediction", ...}; a metric filter counts them
#      so drift in the prediction rate is visible in CloudWatch.
###############################################################################

terraform {
  # 1.11: write-only arguments and ephemeral resources keep the Redis AUTH token out of state and plan;
  # the S3 backend's use_lockfile (1.10). Satisfies the request's ">= 1.5" floor.
  required_version = ">= 1.11"

  # One state per environment (audit A5): the key comes from infra/backend/<env>.hcl at init
  # (harness.terraform passes it for TARGET=aws; TARGET=local overrides the backend with a local file).
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

###############################################################################
# Variables: general
###############################################################################

variable "aws_region" {
  description = "AWS region the stack is deployed to."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like us-east-1."
  }
}

variable "env" {
  description = "Deployment environment; selects the per-environment capacity map."
  type        = string
  default     = "dev"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.env)
    error_message = "env must be one of dev, staging, prod."
  }
}

variable "project_name" {
  description = "Project name, first part of every resource name (<project>-<env>-<component>)."
  type        = string
  default     = "fleettap"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name must be 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "owner" {
  description = "Owning team, written to the Owner tag."
  type        = string
  default     = "fleet-platform"
}

variable "cost_center" {
  description = "Cost center, written to the CostCenter tag."
  type        = string
  default     = "telematics"
}

variable "common_tags" {
  description = "Extra tags merged into every resource's tags."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Protect stateful resources (Aurora deletion protection, final snapshots, non-empty buckets). false only for disposable environments."
  type        = bool
  default     = true
}

###############################################################################
# Variables: network
###############################################################################

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be a valid IPv4 CIDR block no smaller than /24."
  }
}

variable "public_subnet_cidrs" {
  description = "Public subnet CIDRs, one per availability zone (NAT gateways live here)."
  type        = list(string)
  default     = ["10.40.0.0/24", "10.40.1.0/24"]

  validation {
    condition     = length(var.public_subnet_cidrs) >= 2 && alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "public_subnet_cidrs needs at least two valid CIDR blocks (two AZs)."
  }
}

variable "private_subnet_cidrs" {
  description = "Private subnet CIDRs, one per availability zone (Lambda, Redis, Aurora, endpoints)."
  type        = list(string)
  default     = ["10.40.10.0/24", "10.40.11.0/24"]

  validation {
    condition     = length(var.private_subnet_cidrs) >= 2 && alltrue([for c in var.private_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "private_subnet_cidrs needs at least two valid CIDR blocks (two AZs)."
  }
}

variable "enable_nat_gateway" {
  description = "Create one NAT gateway per AZ for the private subnets' egress to the external APIs."
  type        = bool
  default     = true
}

###############################################################################
# Variables: Kinesis
###############################################################################

variable "diagnostics_stream_name" {
  description = "Name of the OBD-II/J1939 diagnostics stream (null: <project>-<env>-diagnostics)."
  type        = string
  default     = null
}

variable "hos_stream_name" {
  description = "Name of the HOS duty-status stream (null: <project>-<env>-hos)."
  type        = string
  default     = null
}

variable "gps_stream_name" {
  description = "Name of the GPS stream (null: <project>-<env>-gps)."
  type        = string
  default     = null
}

variable "stream_mode" {
  description = "Kinesis capacity mode: PROVISIONED (shard counts below) or ON_DEMAND."
  type        = string
  default     = "PROVISIONED"

  validation {
    condition     = contains(["PROVISIONED", "ON_DEMAND"], var.stream_mode)
    error_message = "stream_mode must be PROVISIONED or ON_DEMAND."
  }
}

variable "diagnostics_shard_count" {
  description = "Shards of the diagnostics stream (PROVISIONED mode)."
  type        = number
  default     = 1

  validation {
    condition     = var.diagnostics_shard_count >= 1 && var.diagnostics_shard_count <= 500 && floor(var.diagnostics_shard_count) == var.diagnostics_shard_count
    error_message = "diagnostics_shard_count must be an integer between 1 and 500."
  }
}

variable "hos_shard_count" {
  description = "Shards of the HOS stream (PROVISIONED mode)."
  type        = number
  default     = 1

  validation {
    condition     = var.hos_shard_count >= 1 && var.hos_shard_count <= 500 && floor(var.hos_shard_count) == var.hos_shard_count
    error_message = "hos_shard_count must be an integer between 1 and 500."
  }
}

variable "gps_shard_count" {
  description = "Shards of the GPS stream (PROVISIONED mode)."
  type        = number
  default     = 1

  validation {
    condition     = var.gps_shard_count >= 1 && var.gps_shard_count <= 500 && floor(var.gps_shard_count) == var.gps_shard_count
    error_message = "gps_shard_count must be an integer between 1 and 500."
  }
}

variable "retention_hours" {
  description = "Kinesis record retention in hours (24-8760)."
  type        = number
  default     = 24

  validation {
    condition     = var.retention_hours >= 24 && var.retention_hours <= 8760
    error_message = "retention_hours must be between 24 and 8760."
  }
}

###############################################################################
# Variables: DynamoDB (null name: <project>-<env>-<logical name>)
###############################################################################

variable "diagnostics_table" {
  description = "vehicle_diagnostics table name (vehicle_id, timestamp)."
  type        = string
  default     = null
}

variable "thresholds_table" {
  description = "alert_thresholds table name (scope, metric)."
  type        = string
  default     = null
}

variable "predictions_table" {
  description = "predicted_failures table name (vehicle_id, predicted_at)."
  type        = string
  default     = null
}

variable "driver_logs_table" {
  description = "driver_logs table name (driver_id, event_time)."
  type        = string
  default     = null
}

variable "compliance_rules_table" {
  description = "compliance_rules table name (rule_set, rule_code)."
  type        = string
  default     = null
}

variable "locations_table" {
  description = "vehicle_locations table name (vehicle_id, timestamp; GSI geohash-index)."
  type        = string
  default     = null
}

variable "geofences_table" {
  description = "geofences table name (geofence_id)."
  type        = string
  default     = null
}

variable "compliance_status_table" {
  description = "compliance_status table name (driver_id, report_date)."
  type        = string
  default     = null
}

variable "billing_mode" {
  description = "DynamoDB billing mode for every table."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "table_billing_modes" {
  description = "DynamoDB capacity mode per table key (diagnostics, thresholds, predictions, driver_logs, compliance_rules, locations, geofences, compliance_status); a table not named uses billing_mode. `make capacity` (capacity_planner.cost) prices both modes per table: PROVISIONED with autoscaling for steady high-volume tables, on demand for bursty or idle ones. The same modes in every environment (only capacities scale)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for mode in values(var.table_billing_modes) : contains(["PAY_PER_REQUEST", "PROVISIONED"], mode)])
    error_message = "table_billing_modes values must be PAY_PER_REQUEST or PROVISIONED."
  }

  validation {
    condition     = alltrue([for table in keys(var.table_billing_modes) : contains(["diagnostics", "thresholds", "predictions", "driver_logs", "compliance_rules", "locations", "geofences", "compliance_status"], table)])
    error_message = "table_billing_modes keys must be table keys: diagnostics, thresholds, predictions, driver_logs, compliance_rules, locations, geofences, compliance_status."
  }
}

variable "table_capacity" {
  description = "Autoscaling bounds (capacity units) of each PROVISIONED table, applied to the table and to each of its GSIs. A PROVISIONED table without an entry gets rcu/wcu, fixed."
  type = map(object({
    read_min  = number
    read_max  = number
    write_min = number
    write_max = number
  }))
  default = {}

  validation {
    condition     = alltrue([for c in values(var.table_capacity) : c.read_min >= 1 && c.write_min >= 1 && c.read_max >= c.read_min && c.write_max >= c.write_min])
    error_message = "table_capacity: minimums must be at least 1 and maximums at least the minimums."
  }
}

variable "dynamodb_autoscaling_target" {
  description = "Target utilization (percent) of the provisioned tables' target-tracking autoscaling (capacity_planner.cost prices the tables at this utilization)."
  type        = number
  default     = 80

  validation {
    condition     = var.dynamodb_autoscaling_target >= 20 && var.dynamodb_autoscaling_target <= 90
    error_message = "dynamodb_autoscaling_target must be between 20 and 90 (AWS's range for DynamoDB target tracking)."
  }
}

variable "rcu" {
  description = "Read capacity units per table and GSI (PROVISIONED only)."
  type        = number
  default     = 5

  validation {
    condition     = var.rcu >= 1
    error_message = "rcu must be at least 1."
  }
}

variable "wcu" {
  description = "Write capacity units per table and GSI (PROVISIONED only)."
  type        = number
  default     = 5

  validation {
    condition     = var.wcu >= 1
    error_message = "wcu must be at least 1."
  }
}

variable "ttl_enabled" {
  description = "Enable TTL on the diagnostics and locations tables (30-day cleanup)."
  type        = bool
  default     = true
}

variable "ttl_attribute" {
  description = "TTL attribute (epoch seconds = record timestamp + 30 days, written by the processor)."
  type        = string
  default     = "expires_at"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]{0,254}$", var.ttl_attribute))
    error_message = "ttl_attribute must be a valid attribute name."
  }
}

###############################################################################
# Variables: Lambda
###############################################################################

variable "lambda_artifacts_dir" {
  description = "Absolute path of the directory holding functions.zip and deps-layer.zip (make build). null: <module>/../build/lambda."
  type        = string
  default     = null
}

variable "processor_memory" {
  description = "Memory (MB) of the diagnostics processor and the Firehose transformer."
  type        = number
  default     = 512

  validation {
    condition     = var.processor_memory >= 128 && var.processor_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "anomaly_memory" {
  description = "Memory (MB) of the anomaly detector."
  type        = number
  default     = 512

  validation {
    condition     = var.anomaly_memory >= 128 && var.anomaly_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "maintenance_memory" {
  description = "Memory (MB) of the maintenance scheduler."
  type        = number
  default     = 256

  validation {
    condition     = var.maintenance_memory >= 128 && var.maintenance_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "driver_notifier_memory" {
  description = "Memory (MB) of the driver notifier."
  type        = number
  default     = 256

  validation {
    condition     = var.driver_notifier_memory >= 128 && var.driver_notifier_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "fleet_memory" {
  description = "Memory (MB) of the fleet dashboard updater."
  type        = number
  default     = 256

  validation {
    condition     = var.fleet_memory >= 128 && var.fleet_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "predictive_memory" {
  description = "Memory (MB) of the predictive maintenance function."
  type        = number
  default     = 1024

  validation {
    condition     = var.predictive_memory >= 128 && var.predictive_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "hos_memory" {
  description = "Memory (MB) of the HOS processor, the HOS report writer and the DOT report tasks."
  type        = number
  default     = 512

  validation {
    condition     = var.hos_memory >= 128 && var.hos_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "location_memory" {
  description = "Memory (MB) of the location tracker."
  type        = number
  default     = 512

  validation {
    condition     = var.location_memory >= 128 && var.location_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "fuel_memory" {
  description = "Memory (MB) of the fuel analytics function."
  type        = number
  default     = 512

  validation {
    condition     = var.fuel_memory >= 128 && var.fuel_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "coaching_memory" {
  description = "Memory (MB) of the coaching dispatcher."
  type        = number
  default     = 256

  validation {
    condition     = var.coaching_memory >= 128 && var.coaching_memory <= 10240
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "timeout_s" {
  description = "Lambda timeout in seconds, per function (keys: the 13 function keys). Each must exceed the longest downstream call the handler can make (its configured connect/read timeouts times its retries: make preflight checks it); the SQS visibility_timeout must be at least 6x the timeout of every queue consumer."
  type        = map(number)
  default = {
    processor  = 60, anomaly = 90, maintenance = 60, driver_notifier = 60, fleet = 90, predictive = 60, hos = 90
    hos_report = 60, location = 90, fuel = 90, coaching = 90, dot_report = 120, firehose_transform = 60
  }

  validation {
    condition     = length(var.timeout_s) == 13 && alltrue([for k, v in var.timeout_s : contains(["processor", "anomaly", "maintenance", "driver_notifier", "fleet", "predictive", "hos", "hos_report", "location", "fuel", "coaching", "dot_report", "firehose_transform"], k) && v >= 3 && v <= 900])
    error_message = "timeout_s must have exactly the 13 function keys, each between 3 and 900 seconds."
  }
}

variable "runtime" {
  description = "Lambda runtime of every function (the layer is built for it)."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function (keys: the 13 function keys; -1 = no reservation, draws on the unreserved pool). Sized from the capacity planner (make capacity): stream consumers shards x parallelization factor with headroom, dot_report at least the DOT Map's parallelism. The sum must leave >= 100 of lambda_account_concurrency_limit unreserved (make preflight checks it)."
  type        = map(number)
  default = {
    processor  = -1, anomaly = -1, maintenance = -1, driver_notifier = -1, fleet = -1, predictive = -1, hos = -1
    hos_report = -1, location = -1, fuel = -1, coaching = -1, dot_report = -1, firehose_transform = -1
  }

  validation {
    condition     = length(var.reserved_concurrency) == 13 && alltrue([for k, v in var.reserved_concurrency : contains(["processor", "anomaly", "maintenance", "driver_notifier", "fleet", "predictive", "hos", "hos_report", "location", "fuel", "coaching", "dot_report", "firehose_transform"], k) && (v == -1 || (v >= 1 && v <= 1000))])
    error_message = "reserved_concurrency must have exactly the 13 function keys, each -1 (unreserved) or between 1 and 1000."
  }
}

variable "lambda_account_concurrency_limit" {
  description = "The account's Lambda concurrent-executions quota in this region (Service Quotas L-B99A9384). Reservations must leave 100 of it unreserved; make preflight compares the sum of reserved_concurrency with it."
  type        = number
  default     = 1000

  validation {
    condition     = var.lambda_account_concurrency_limit >= 10 && floor(var.lambda_account_concurrency_limit) == var.lambda_account_concurrency_limit
    error_message = "lambda_account_concurrency_limit must be a whole number of at least 10."
  }
}

variable "dot_map_max_concurrency" {
  description = "DOT reporting: child executions of the distributed Map running at once. dot_map_max_concurrency x dot_map_driver_concurrency dot_report invocations run in flight, which must not exceed reserved_concurrency[\"dot_report\"] (make preflight checks it)."
  type        = number
  default     = 2

  validation {
    condition     = var.dot_map_max_concurrency >= 1 && var.dot_map_max_concurrency <= 10000
    error_message = "dot_map_max_concurrency must be between 1 and 10000."
  }
}

variable "dot_map_batch_size" {
  description = "DOT reporting: drivers per child execution of the distributed Map (ItemBatcher MaxItemsPerBatch). 234,000 drivers / 100 = 2,340 children; each child's history is ~6 events per driver (25,000 max)."
  type        = number
  default     = 100

  validation {
    condition     = var.dot_map_batch_size >= 1 && var.dot_map_batch_size <= 1000
    error_message = "dot_map_batch_size must be between 1 and 1000 (a child's history holds ~6 events per driver)."
  }
}

variable "dot_work_retention_days" {
  description = "Days the DOT work files (driver manifests, map run results, failures reports) are kept in the work bucket before they expire."
  type        = number
  default     = 7

  validation {
    condition     = var.dot_work_retention_days >= 1 && var.dot_work_retention_days <= 90
    error_message = "dot_work_retention_days must be between 1 and 90."
  }
}

variable "dot_map_driver_concurrency" {
  description = "DOT reporting: drivers reported at once inside one child execution (inline Map, at most 40)."
  type        = number
  default     = 5

  validation {
    condition     = var.dot_map_driver_concurrency >= 1 && var.dot_map_driver_concurrency <= 40
    error_message = "dot_map_driver_concurrency must be between 1 and 40."
  }
}

###############################################################################
# Variables: ElastiCache Redis
###############################################################################

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"

  validation {
    condition     = can(regex("^cache\\.", var.node_type))
    error_message = "node_type must be an ElastiCache node type (cache.*)."
  }
}

variable "num_cache_clusters" {
  description = "Redis nodes in the replication group (primary + replicas, >= 2 for Multi-AZ failover)."
  type        = number
  default     = 2

  validation {
    condition     = var.num_cache_clusters >= 2 && var.num_cache_clusters <= 6
    error_message = "num_cache_clusters must be between 2 and 6."
  }
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "snapshot_retention_limit" {
  description = "Days of Redis snapshots to keep."
  type        = number
  default     = 1

  validation {
    condition     = var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35
    error_message = "snapshot_retention_limit must be between 0 and 35."
  }
}

variable "redis_auth_token_version" {
  description = "Version of the Redis AUTH token. Raise it to rotate: a new random token is written to the secret (write-only, never in state) and the redis_auth deploy step puts it on the replication group with the ROTATE strategy, so consumers holding the previous token keep working."
  type        = number
  default     = 1

  validation {
    condition     = var.redis_auth_token_version >= 1 && floor(var.redis_auth_token_version) == var.redis_auth_token_version
    error_message = "redis_auth_token_version must be a whole number >= 1."
  }
}

###############################################################################
# Variables: Aurora PostgreSQL
###############################################################################

variable "cluster_identifier" {
  description = "Aurora cluster identifier (null: <project>-<env>-aurora)."
  type        = string
  default     = null
}

variable "database_name" {
  description = "Aurora database name (maintenance_schedule, vehicle_history, fuel_analytics ...)."
  type        = string
  default     = "fleettap"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold lowercase letters, digits and underscores."
  }
}

variable "master_username" {
  description = "Aurora master user; its password is generated and stored by RDS in Secrets Manager."
  type        = string
  default     = "fleettap_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.master_username)) && var.master_username != "admin"
    error_message = "master_username must be 1-16 lowercase letters, digits or underscores, not a reserved word."
  }
}

variable "aurora_engine_version" {
  description = "Aurora PostgreSQL engine version."
  type        = string
  default     = "15.4"
}

variable "instance_class" {
  description = "Aurora instance class (db.serverless for Serverless v2)."
  type        = string
  default     = "db.serverless"

  validation {
    condition     = can(regex("^db\\.", var.instance_class))
    error_message = "instance_class must be a DB instance class (db.*)."
  }
}

variable "min_capacity" {
  description = "Aurora Serverless v2 minimum ACUs."
  type        = number
  default     = 0.5

  validation {
    condition     = var.min_capacity >= 0.5 && var.min_capacity <= 256
    error_message = "min_capacity must be between 0.5 and 256 ACUs (0 ACU, auto-pause, needs Aurora PostgreSQL 15.7 or later; audit A3)."
  }
}

variable "max_capacity" {
  description = "Aurora Serverless v2 maximum ACUs."
  type        = number
  default     = 2

  validation {
    condition     = var.max_capacity >= 1 && var.max_capacity <= 256
    error_message = "max_capacity must be between 1 and 256 ACUs."
  }
}

variable "backup_retention_days" {
  description = "Aurora automated backup retention in days."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

###############################################################################
# Variables: SageMaker, SNS, SQS, EventBridge
###############################################################################

variable "predictive_endpoint_name" {
  description = "Name of the existing SageMaker real-time endpoint serving the failure model (null: <project>-<env>-failure-predictor)."
  type        = string
  default     = null
}

variable "alerts_topic" {
  description = "vehicle-alerts topic name (null: <project>-<env>-vehicle-alerts)."
  type        = string
  default     = null
}

variable "maintenance_topic" {
  description = "maintenance-required topic name (null: <project>-<env>-maintenance-required)."
  type        = string
  default     = null
}

variable "violations_topic" {
  description = "hos-violations topic name (null: <project>-<env>-hos-violations)."
  type        = string
  default     = null
}

variable "summary_topic" {
  description = "compliance-summary topic name (null: <project>-<env>-compliance-summary)."
  type        = string
  default     = null
}

variable "geofence_topic" {
  description = "geofence-alerts topic name (null: <project>-<env>-geofence-alerts)."
  type        = string
  default     = null
}

variable "coaching_topic" {
  description = "driver-coaching topic name (null: <project>-<env>-driver-coaching)."
  type        = string
  default     = null
}

variable "alert_https_endpoint" {
  description = "HTTPS endpoint of the external fleet-operations system subscribed to critical vehicle alerts, geofence alerts, maintenance predictions, compliance summaries and ops alarms. Required, no default: a placeholder would leave every alarm undelivered. staging and prod take it at deploy time (TF_VAR_alert_https_endpoint); make preflight rejects placeholder hosts there."
  type        = string

  validation {
    condition     = can(regex("^https://[^/]+", var.alert_https_endpoint))
    error_message = "alert_https_endpoint must be an https:// URL."
  }

  # A placeholder (RFC 2606 names, localhost) would leave every alarm undelivered (audit B6).
  validation {
    condition     = var.env == "dev" || var.allow_placeholder_endpoints || !can(regex("(?i)^https://(([a-z0-9-]+\\.)*(example\\.(com|org|net)|localhost)|([a-z0-9-]+\\.)+(example|test|invalid|localhost)|127\\.0\\.0\\.1)([/:?#]|$)", var.alert_https_endpoint))
    error_message = "staging and prod need the real fleet-operations webhook in alert_https_endpoint (TF_VAR_alert_https_endpoint), not a placeholder host."
  }
}

variable "external_api_urls" {
  description = "Base URLs of the real third-party APIs: telematics (in-cab messaging, the handler posts <url>/v1/notifications) and pdf (FMCSA records of duty status, <url>/v1/rod-pdf). null: the stack deploys a mock of both (an unauthenticated API Gateway stage) and the functions call it, which only dev and staging may do; prod must set them (TF_VAR_external_api_urls), so prod deploys no mock."
  type = object({
    telematics = string
    pdf        = string
  })
  default = null

  validation {
    condition     = var.external_api_urls == null || alltrue([for url in values(coalesce(var.external_api_urls, { telematics = "https://x", pdf = "https://x" })) : can(regex("^https://[^/]+", url))])
    error_message = "external_api_urls.telematics and .pdf must be https:// URLs."
  }

  validation {
    condition     = var.env != "prod" || var.external_api_urls != null || var.allow_placeholder_endpoints
    error_message = "prod must not send in-cab messages and FMCSA reports to the mock API, nor deploy it: set external_api_urls (TF_VAR_external_api_urls)."
  }
}

variable "run_deploy_steps" {
  description = "Invoke the deploy steps (schema migrations, Redis AUTH token) after apply. false only where no function can run: the emulator without its Lambda runtime (tests/infra/test_apply.py)."
  type        = bool
  default     = true
}

variable "allow_placeholder_endpoints" {
  description = "true only against the local emulator (harness.terraform sets it for TARGET=local): nothing is delivered to alert_https_endpoint there and the runtime routes the external APIs to its own mock, so staging and prod plans may carry placeholders. Never set it for AWS."
  type        = bool
  default     = false
}

variable "maintenance_queue" {
  description = "maintenance_alerts queue name (null: <project>-<env>-maintenance_alerts)."
  type        = string
  default     = null
}

variable "driver_queue" {
  description = "driver_notifications queue name (null: <project>-<env>-driver_notifications)."
  type        = string
  default     = null
}

variable "fleet_queue" {
  description = "fleet_manager_queue name (null: <project>-<env>-fleet_manager_queue)."
  type        = string
  default     = null
}

variable "training_queue" {
  description = "driver_training_queue name (null: <project>-<env>-driver_training_queue)."
  type        = string
  default     = null
}

variable "visibility_timeout" {
  description = "SQS visibility timeout in seconds (AWS advises >= 6x the consumer's timeout)."
  type        = number
  default     = 360

  validation {
    condition     = var.visibility_timeout >= 0 && var.visibility_timeout <= 43200
    error_message = "visibility_timeout must be between 0 and 43200."
  }
}

variable "retention_seconds" {
  description = "SQS message retention in seconds (the alert SLA window; DLQs keep 14 days)."
  type        = number
  default     = 345600

  validation {
    condition     = var.retention_seconds >= 60 && var.retention_seconds <= 1209600
    error_message = "retention_seconds must be between 60 and 1209600."
  }
}

variable "fleet_time_zones" {
  description = "IANA time zones of the fleet's home terminals. The DOT daily report covers the latest date that has ended in all of them (each driver's day in the home terminal's zone, 49 CFR 395.8)."
  type        = list(string)
  default = [
    "America/New_York", "America/Detroit", "America/Indiana/Indianapolis", "America/Chicago",
    "America/Denver", "America/Boise", "America/Phoenix", "America/Los_Angeles",
  ]

  validation {
    condition     = length(var.fleet_time_zones) > 0 && alltrue([for z in var.fleet_time_zones : can(regex("^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", z))])
    error_message = "fleet_time_zones must be a non-empty list of IANA zone names such as America/Chicago (or UTC)."
  }
}

variable "compliance_schedule_expression" {
  description = "EventBridge schedule of the daily DOT reporting workflow: daily, at least an hour after midnight in the westernmost of fleet_time_zones all year (09:00 UTC is 01:00 PST), so the report day has ended for every driver (tests/unit/domain/hos/test_report_day.py checks it against the tfvars)."
  type        = string
  default     = "cron(0 9 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.compliance_schedule_expression))
    error_message = "compliance_schedule_expression must be a cron(...) or rate(...) expression."
  }
}

###############################################################################
# Variables: S3, Firehose, Glue, Athena, CloudWatch
###############################################################################

variable "reports_bucket" {
  description = "Compliance reports bucket (Object Lock). null: <project>-<env>-compliance-reports-<account id>."
  type        = string
  default     = null
}

variable "data_lake_bucket" {
  description = "Data lake bucket (Firehose Parquet). null: <project>-<env>-data-lake-<account id>."
  type        = string
  default     = null
}

variable "lifecycle_archive_days" {
  description = "Days after which objects transition to Glacier."
  type        = number
  default     = 90

  validation {
    condition     = var.lifecycle_archive_days >= 1
    error_message = "lifecycle_archive_days must be at least 1."
  }
}

variable "lake_query_window_days" {
  description = "Days the data lake stays queryable by Athena: until then objects move only between Athena-readable classes (Standard, then Glacier Instant Retrieval after lifecycle_archive_days); after it, to Glacier Flexible Retrieval, which Athena cannot read."
  type        = number
  default     = 365

  validation {
    condition     = var.lake_query_window_days >= 30
    error_message = "lake_query_window_days must be at least 30."
  }
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results are kept in the results bucket before they expire (a result is re-run, not archived)."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expiration_days >= 1
    error_message = "athena_results_expiration_days must be at least 1."
  }
}

variable "access_logs_expiration_days" {
  description = "Days S3 server access logs are kept (in Glacier after lifecycle_archive_days) before they expire."
  type        = number
  default     = 365

  validation {
    condition     = var.access_logs_expiration_days >= 90
    error_message = "access_logs_expiration_days must be at least 90 (Glacier's minimum storage duration)."
  }
}

variable "lake_noncurrent_expiration_days" {
  description = "Days an overwritten or deleted data-lake object stays recoverable as a noncurrent version before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.lake_noncurrent_expiration_days >= 1
    error_message = "lake_noncurrent_expiration_days must be at least 1."
  }
}

variable "report_retention_days" {
  description = "Object Lock retention of compliance reports (49 CFR 395.8(k): 6 months)."
  type        = number
  default     = 183

  validation {
    condition     = var.report_retention_days >= 183
    error_message = "report_retention_days must be at least 183 (six months, 49 CFR 395.8(k))."
  }
}

variable "report_object_lock_mode" {
  description = "Object Lock mode of the reports bucket and of every report the handlers write (REPORT_OBJECT_LOCK_MODE): COMPLIANCE in prod (nobody can shorten it), GOVERNANCE in dev and staging (principals with s3:BypassGovernanceRetention can, so the environment can be torn down)."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.report_object_lock_mode)
    error_message = "report_object_lock_mode must be COMPLIANCE or GOVERNANCE."
  }

  validation {
    condition     = var.env != "prod" || var.report_object_lock_mode == "COMPLIANCE"
    error_message = "prod keeps its records of duty status in COMPLIANCE mode (49 CFR 395.8(k)): report_object_lock_mode must be COMPLIANCE when env = prod."
  }
}

variable "diagnostics_firehose_name" {
  description = "Firehose delivery stream name (null: <project>-<env>-diagnostics-archive)."
  type        = string
  default     = null
}

variable "buffer_interval_s" {
  description = "Firehose buffer interval in seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.buffer_interval_s >= 60 && var.buffer_interval_s <= 900
    error_message = "buffer_interval_s must be between 60 and 900."
  }
}

variable "buffer_size_mb" {
  description = "Firehose buffer size in MiB (>= 64 because of Parquet conversion and dynamic partitioning)."
  type        = number
  default     = 64

  validation {
    condition     = var.buffer_size_mb >= 64 && var.buffer_size_mb <= 128
    error_message = "buffer_size_mb must be between 64 and 128."
  }
}

variable "data_format_conversion_enabled" {
  description = "Convert the JSON records to Parquet (schema from the Glue table) before writing to S3."
  type        = bool
  default     = true
}

variable "crawler_name" {
  description = "Glue crawler name (null: <project>-<env>-diagnostics-crawler)."
  type        = string
  default     = null
}

variable "glue_database_name" {
  description = "Glue catalog database (null: <project>_<env>_telemetry). The request's second database_name, renamed to avoid the clash with Aurora's."
  type        = string
  default     = null
}

variable "crawler_schedule" {
  description = "Glue crawler schedule (nightly)."
  type        = string
  default     = "cron(0 2 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.crawler_schedule))
    error_message = "crawler_schedule must be a cron(...) expression."
  }
}

variable "workgroup_name" {
  description = "Athena workgroup name (null: <project>-<env>-analytics)."
  type        = string
  default     = null
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query bytes-scanned limit of the Athena workgroup (Athena cancels a query past it; $5 per TB scanned). Default 200 GiB (about $1 a query): two months of the prod lake's Parquet, so partition-pruned queries pass and an accidental full scan stops."
  type        = number
  default     = 214748364800

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "athena_bytes_scanned_cutoff must be at least 10 MB (Athena's minimum)."
  }
}

variable "output_bucket" {
  description = "Athena query results bucket (null: <project>-<env>-athena-results-<account id>)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

###############################################################################
# Data sources
###############################################################################

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# Zones pinned by name (a, b, c of the region) so the set never grows silently when AWS adds one.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "zone-name"
    values = [for suffix in ["a", "b", "c"] : "${data.aws_region.current.name}${suffix}"]
  }
}

###############################################################################
# Locals: naming, tags, per-environment capacity
###############################################################################

locals {
  prefix     = "${var.project_name}-${var.env}"
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  azs        = slice(data.aws_availability_zones.available.names, 0, length(var.private_subnet_cidrs))

  tags = merge(var.common_tags, {
    Project     = var.project_name
    Environment = var.env
    Owner       = var.owner
    CostCenter  = var.cost_center
    ManagedBy   = "terraform"
  })

  # Capacities that are not variables of their own: event source mapping tuning and alarm
  # thresholds scale with the environment. Keys are identical in every environment.
  capacity = {
    dev = {
      kinesis_batch_size       = 100
      kinesis_batching_window  = 1
      parallelization_factor   = 1
      sqs_batch_size           = 10
      sqs_batching_window      = 1
      queue_age_alarm_s        = 300
      dynamodb_throttle_alarms = 5
    }
    staging = {
      kinesis_batch_size       = 200
      kinesis_batching_window  = 1
      parallelization_factor   = 2
      sqs_batch_size           = 10
      sqs_batching_window      = 1
      queue_age_alarm_s        = 300
      dynamodb_throttle_alarms = 5
    }
    prod = {
      kinesis_batch_size       = 500
      kinesis_batching_window  = 1
      parallelization_factor   = 4
      sqs_batch_size           = 10
      sqs_batching_window      = 1
      queue_age_alarm_s        = 300
      dynamodb_throttle_alarms = 25
    }
  }
  cap = local.capacity[var.env]

  # Kinesis streams: one for_each over a common configuration.
  streams = {
    diagnostics = { name = coalesce(var.diagnostics_stream_name, "${local.prefix}-diagnostics"), shards = var.diagnostics_shard_count }
    hos         = { name = coalesce(var.hos_stream_name, "${local.prefix}-hos"), shards = var.hos_shard_count }
    gps         = { name = coalesce(var.gps_stream_name, "${local.prefix}-gps"), shards = var.gps_shard_count }
  }

  # DynamoDB tables: logical key -> name, keys, stream/TTL/GSI flags (docs/contracts.md).
  tables = {
    diagnostics = {
      name   = coalesce(var.diagnostics_table, "${local.prefix}-vehicle_diagnostics")
      hash   = "vehicle_id", hash_type = "S", range = "timestamp", range_type = "N"
      stream = true, ttl = true, geohash_gsi = false
    }
    thresholds = {
      name   = coalesce(var.thresholds_table, "${local.prefix}-alert_thresholds")
      hash   = "scope", hash_type = "S", range = "metric", range_type = "S"
      stream = false, ttl = false, geohash_gsi = false
    }
    predictions = {
      name   = coalesce(var.predictions_table, "${local.prefix}-predicted_failures")
      hash   = "vehicle_id", hash_type = "S", range = "predicted_at", range_type = "N"
      stream = false, ttl = false, geohash_gsi = false
    }
    driver_logs = {
      name   = coalesce(var.driver_logs_table, "${local.prefix}-driver_logs")
      hash   = "driver_id", hash_type = "S", range = "event_time", range_type = "N"
      stream = false, ttl = false, geohash_gsi = false
    }
    compliance_rules = {
      name   = coalesce(var.compliance_rules_table, "${local.prefix}-compliance_rules")
      hash   = "rule_set", hash_type = "S", range = "rule_code", range_type = "S"
      stream = false, ttl = false, geohash_gsi = false
    }
    locations = {
      name   = coalesce(var.locations_table, "${local.prefix}-vehicle_locations")
      hash   = "vehicle_id", hash_type = "S", range = "timestamp", range_type = "N"
      stream = false, ttl = true, geohash_gsi = true
    }
    geofences = {
      name   = coalesce(var.geofences_table, "${local.prefix}-geofences")
      hash   = "geofence_id", hash_type = "S", range = null, range_type = null
      stream = false, ttl = false, geohash_gsi = false
    }
    compliance_status = {
      name   = coalesce(var.compliance_status_table, "${local.prefix}-compliance_status")
      hash   = "driver_id", hash_type = "S", range = "report_date", range_type = "S"
      stream = false, ttl = false, geohash_gsi = false
    }
  }

  # Capacity mode per table (table_billing_modes, else billing_mode) and, for PROVISIONED tables,
  # the autoscaling bounds (table_capacity, else rcu/wcu fixed).
  table_billing = { for key, table in local.tables : key => lookup(var.table_billing_modes, key, var.billing_mode) }
  table_capacity = {
    for key, mode in local.table_billing : key => lookup(var.table_capacity, key, {
      read_min = var.rcu, read_max = var.rcu, write_min = var.wcu, write_max = var.wcu
    }) if mode == "PROVISIONED"
  }
  # One scalable target + target-tracking policy per (provisioned table or its GSI) x (read, write).
  dynamodb_scaling = merge([
    for key, capacity in local.table_capacity : merge([
      for scope in concat(["table"], local.tables[key].geohash_gsi ? ["index"] : []) : {
        for io in ["read", "write"] : "${key}-${scope}-${io}" => {
          table     = key
          scope     = scope
          dimension = "dynamodb:${scope}:${io == "read" ? "Read" : "Write"}CapacityUnits"
          metric    = "DynamoDB${io == "read" ? "Read" : "Write"}CapacityUtilization"
          min       = io == "read" ? capacity.read_min : capacity.write_min
          max       = io == "read" ? capacity.read_max : capacity.write_max
        }
      }
    ]...)
  ]...)

  topics = {
    alerts      = coalesce(var.alerts_topic, "${local.prefix}-vehicle-alerts")
    maintenance = coalesce(var.maintenance_topic, "${local.prefix}-maintenance-required")
    violations  = coalesce(var.violations_topic, "${local.prefix}-hos-violations")
    summary     = coalesce(var.summary_topic, "${local.prefix}-compliance-summary")
    geofence    = coalesce(var.geofence_topic, "${local.prefix}-geofence-alerts")
    coaching    = coalesce(var.coaching_topic, "${local.prefix}-driver-coaching")
    ops         = "${local.prefix}-ops-alarms"
  }

  # Work queues, each with its own DLQ (maxReceiveCount 5).
  queues = {
    maintenance = coalesce(var.maintenance_queue, "${local.prefix}-maintenance_alerts")
    driver      = coalesce(var.driver_queue, "${local.prefix}-driver_notifications")
    fleet       = coalesce(var.fleet_queue, "${local.prefix}-fleet_manager_queue")
    training    = coalesce(var.training_queue, "${local.prefix}-driver_training_queue")
  }

  # vehicle-alerts fan-out with severity filter policies (docs/contracts.md).
  alert_subscriptions = {
    maintenance = ["high", "critical"]
    driver      = ["warning", "high", "critical"]
    fleet       = ["info", "warning", "high", "critical"]
  }

  # HTTPS subscriptions for the external fleet-operations system.
  https_subscriptions = {
    alerts      = ["critical"]
    maintenance = null
    summary     = null
    geofence    = null
    ops         = null
  }

  buckets = {
    reports  = coalesce(var.reports_bucket, "${local.prefix}-compliance-reports-${local.account_id}")
    datalake = coalesce(var.data_lake_bucket, "${local.prefix}-data-lake-${local.account_id}")
    athena   = coalesce(var.output_bucket, "${local.prefix}-athena-results-${local.account_id}")
    logs     = "${local.prefix}-access-logs-${local.account_id}"
    # DOT reporting work files (driver manifests, map run results, failures reports): no Object Lock,
    # expired by its own lifecycle rule (aws_s3_bucket_lifecycle_configuration.dot_work; audit B9, D4).
    dot_work = "${local.prefix}-dot-work-${local.account_id}"
  }

  lifecycle_transitions = {
    for key in keys(local.buckets) : key => key == "datalake" ? [
      { days = var.lifecycle_archive_days, storage_class = "GLACIER_IR" },
      { days = var.lake_query_window_days, storage_class = "GLACIER" },
    ] : key == "athena" ? [] : [{ days = var.lifecycle_archive_days, storage_class = "GLACIER" }]
  }
  # What expires (audit D5), per bucket: current objects after `current` days, noncurrent versions
  # `noncurrent` days after they became noncurrent (with versioning, an expired object only becomes
  # noncurrent). Athena results are re-run rather than kept; access logs expire after their retention;
  # the lake's overwritten or deleted objects stay recoverable for a while. Reports never expire: Object
  # Lock keeps the legal record, and the lifecycle only archives it.
  lifecycle_expirations = {
    athena   = { current = var.athena_results_expiration_days, noncurrent = 1 }
    logs     = { current = var.access_logs_expiration_days, noncurrent = 1 }
    datalake = { current = null, noncurrent = var.lake_noncurrent_expiration_days }
    reports  = { current = null, noncurrent = null }
  }

  cluster_identifier       = coalesce(var.cluster_identifier, "${local.prefix}-aurora")
  predictive_endpoint_name = coalesce(var.predictive_endpoint_name, "${local.prefix}-failure-predictor")
  # No aws_sagemaker_endpoint data source exists in provider 5.x: the ARN is built from the
  # partition/region/account data sources (SageMaker lower-cases endpoint names in ARNs).
  predictive_endpoint_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:endpoint/${lower(local.predictive_endpoint_name)}"
  firehose_name           = coalesce(var.diagnostics_firehose_name, "${local.prefix}-diagnostics-archive")
  glue_database_name      = coalesce(var.glue_database_name, replace("${local.prefix}_telemetry", "-", "_"))
  crawler_name            = coalesce(var.crawler_name, "${local.prefix}-diagnostics-crawler")
  workgroup_name          = coalesce(var.workgroup_name, "${local.prefix}-analytics")
  lambda_artifacts_dir    = coalesce(var.lambda_artifacts_dir, "${path.module}/../build/lambda")
  redis_id                = "${local.prefix}-redis"
}

###############################################################################
# KMS: one customer-managed key per environment encrypts all vehicle data at rest
###############################################################################

data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109:Key policy: "*" is this key only and the root statement is the standard delegation to IAM.
  # checkov:skip=CKV_AWS_111:Key policy: "*" is this key only; writes are constrained by principals and conditions.
  # checkov:skip=CKV_AWS_356:Key policy: in a key policy Resource "*" means the key the policy is attached to.
  # Key administration and use by principals of this account that IAM allows to (IAM policies
  # below grant each role only Decrypt/GenerateDataKey). In a key policy "*" means this key.
  statement {
    sid = "AccountAdministration"
    actions = [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
      "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
      "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
      "kms:GenerateDataKey*", "kms:CreateGrant",
    ]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  # Step Functions log delivery for the CMK-encrypted state machine (vended logs) decrypts with the key.
  statement {
    sid       = "StepFunctionsLogDelivery"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "ServicePublishers"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "${local.prefix} vehicle data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_protection ? 30 : 7
  policy                  = data.aws_iam_policy_document.kms.json
}

# The DOT work bucket's own key: only the roles that read or write DOT work files (dot_report's and the
# DOT state machine's) are granted it, so no other function can read the day's driver manifest.
data "aws_iam_policy_document" "dot_work_kms" {
  # checkov:skip=CKV_AWS_109:Key policy: "*" is this key only and the root statement is the standard delegation to IAM.
  # checkov:skip=CKV_AWS_111:Key policy: "*" is this key only; use is granted to two roles by their IAM policies.
  # checkov:skip=CKV_AWS_356:Key policy: in a key policy Resource "*" means the key the policy is attached to.
  statement {
    sid = "AccountAdministration"
    actions = [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
      "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
      "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
      "kms:GenerateDataKey*", "kms:CreateGrant",
    ]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "dot_work" {
  description             = "${local.prefix} DOT reporting work files"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_protection ? 30 : 7
  policy                  = data.aws_iam_policy_document.dot_work_kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.prefix}-data"
  target_key_id = aws_kms_key.main.key_id
}

###############################################################################
# Network: VPC over two AZs, public subnets with NAT, private subnets for everything else
###############################################################################

resource "aws_vpc" "main" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "${local.prefix}-vpc" }
}

# Lock down the default security group: nothing may use it by accident.
resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  count             = length(var.public_subnet_cidrs)
  vpc_id            = aws_vpc.main.id
  cidr_block        = var.public_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index % length(local.azs)]

  tags = { Name = "${local.prefix}-public-${count.index}", Tier = "public" }
}

resource "aws_subnet" "private" {
  count             = length(var.private_subnet_cidrs)
  vpc_id            = aws_vpc.main.id
  cidr_block        = var.private_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = { Name = "${local.prefix}-private-${count.index}", Tier = "private" }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${local.prefix}-igw" }
}

resource "aws_eip" "nat" {
  count  = var.enable_nat_gateway ? length(var.public_subnet_cidrs) : 0
  domain = "vpc"
  tags   = { Name = "${local.prefix}-nat-${count.index}" }

  depends_on = [aws_internet_gateway.main]
}

resource "aws_nat_gateway" "main" {
  count         = var.enable_nat_gateway ? length(var.public_subnet_cidrs) : 0
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = { Name = "${local.prefix}-nat-${count.index}" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${local.prefix}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route_table_association" "public" {
  count          = length(var.public_subnet_cidrs)
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  count  = length(var.private_subnet_cidrs)
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${local.prefix}-private-${count.index}" }
}

resource "aws_route" "private_nat" {
  count                  = var.enable_nat_gateway ? length(var.private_subnet_cidrs) : 0
  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main[count.index % length(aws_nat_gateway.main)].id
}

resource "aws_route_table_association" "private" {
  count          = length(var.private_subnet_cidrs)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# VPC flow logs (rejected and accepted traffic) for network forensics.
resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/${var.project_name}/${var.env}/vpc-flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${local.prefix}-vpc-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "write-flow-logs"
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteFlowLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
    }]
  })
}

resource "aws_flow_log" "main" {
  vpc_id          = aws_vpc.main.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn    = aws_iam_role.flow_logs.arn

  # The service checks the role's permissions when it creates this: wait for the inline policy (audit A4).
  depends_on = [aws_iam_role_policy.flow_logs]
}

# Security groups: each opens only the port its peer needs.
resource "aws_security_group" "lambda" {
  name        = "${local.prefix}-lambda"
  description = "Lambda functions in the private subnets"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${local.prefix}-lambda" }
}

resource "aws_security_group" "redis" {
  name        = "${local.prefix}-redis"
  description = "ElastiCache Redis, reachable from the Lambda functions only"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${local.prefix}-redis" }
}

resource "aws_security_group" "aurora" {
  name        = "${local.prefix}-aurora"
  description = "Aurora PostgreSQL, reachable from the Lambda functions only"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${local.prefix}-aurora" }
}

resource "aws_security_group" "endpoints" {
  name        = "${local.prefix}-endpoints"
  description = "Interface VPC endpoints, HTTPS from the Lambda functions"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${local.prefix}-endpoints" }
}

resource "aws_security_group_rule" "lambda_to_redis" {
  type                     = "egress"
  description              = "Redis (TLS) from Lambda"
  security_group_id        = aws_security_group.lambda.id
  source_security_group_id = aws_security_group.redis.id
  protocol                 = "tcp"
  from_port                = 6379
  to_port                  = 6379
}

resource "aws_security_group_rule" "lambda_to_aurora" {
  type                     = "egress"
  description              = "PostgreSQL from Lambda"
  security_group_id        = aws_security_group.lambda.id
  source_security_group_id = aws_security_group.aurora.id
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
}

resource "aws_security_group_rule" "lambda_https" {
  type              = "egress"
  description       = "HTTPS to VPC endpoints, S3/DynamoDB gateway endpoints and the external telematics/FMCSA APIs via NAT"
  security_group_id = aws_security_group.lambda.id
  cidr_blocks       = ["0.0.0.0/0"]
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_security_group_rule" "redis_from_lambda" {
  type                     = "ingress"
  description              = "Redis from Lambda"
  security_group_id        = aws_security_group.redis.id
  source_security_group_id = aws_security_group.lambda.id
  protocol                 = "tcp"
  from_port                = 6379
  to_port                  = 6379
}

resource "aws_security_group_rule" "aurora_from_lambda" {
  type                     = "ingress"
  description              = "PostgreSQL from Lambda"
  security_group_id        = aws_security_group.aurora.id
  source_security_group_id = aws_security_group.lambda.id
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
}

resource "aws_security_group_rule" "endpoints_from_lambda" {
  type                     = "ingress"
  description              = "HTTPS from Lambda to interface endpoints"
  security_group_id        = aws_security_group.endpoints.id
  source_security_group_id = aws_security_group.lambda.id
  protocol                 = "tcp"
  from_port                = 443
  to_port                  = 443
}

# Keep AWS API traffic inside the VPC.
resource "aws_vpc_endpoint" "gateway" {
  for_each          = toset(["dynamodb", "s3"])
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  tags              = { Name = "${local.prefix}-${each.key}" }
}

resource "aws_vpc_endpoint" "interface" {
  # What the VPC functions call (tests/infra/test_static.py checks the handlers' clients against it):
  # sns, sqs, sagemaker.runtime, secretsmanager. kinesis-streams is the request's (R35): no handler
  # calls Kinesis, its mappings read outside the VPC. No kms (the services call KMS for the
  # functions), logs (Lambda ships logs outside the VPC) or states (no handler calls Step Functions).
  for_each            = toset(["kinesis-streams", "sns", "sqs", "sagemaker.runtime", "secretsmanager"])
  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  tags                = { Name = "${local.prefix}-${each.key}" }
}

###############################################################################
# Kinesis Data Streams: diagnostics, hos, gps (one for_each, common configuration)
###############################################################################

resource "aws_kinesis_stream" "this" {
  for_each = local.streams

  name             = each.value.name
  shard_count      = var.stream_mode == "PROVISIONED" ? each.value.shards : null
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_key.main.arn

  shard_level_metrics = ["IncomingBytes", "IncomingRecords", "IteratorAgeMilliseconds", "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded"]

  stream_mode_details {
    stream_mode = var.stream_mode
  }

  tags = { Name = each.value.name, Kind = each.key }
}

###############################################################################
# DynamoDB tables
###############################################################################

resource "aws_dynamodb_table" "this" {
  for_each = local.tables

  name             = each.value.name
  billing_mode     = local.table_billing[each.key]
  read_capacity    = local.table_billing[each.key] == "PROVISIONED" ? local.table_capacity[each.key].read_min : null
  write_capacity   = local.table_billing[each.key] == "PROVISIONED" ? local.table_capacity[each.key].write_min : null
  hash_key         = each.value.hash
  range_key        = each.value.range
  stream_enabled   = each.value.stream
  stream_view_type = each.value.stream ? "NEW_IMAGE" : null

  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = each.value.hash
    type = each.value.hash_type
  }

  dynamic "attribute" {
    for_each = each.value.range == null ? [] : [1]
    content {
      name = each.value.range
      type = each.value.range_type
    }
  }

  dynamic "attribute" {
    for_each = each.value.geohash_gsi ? [1] : []
    content {
      name = "geohash"
      type = "S"
    }
  }

  # Spatial lookups: "which vehicles are in this geohash cell, newest first".
  dynamic "global_secondary_index" {
    for_each = each.value.geohash_gsi ? [1] : []
    content {
      name            = "geohash-index"
      hash_key        = "geohash"
      range_key       = "timestamp"
      projection_type = "ALL"
      read_capacity   = local.table_billing[each.key] == "PROVISIONED" ? local.table_capacity[each.key].read_min : null
      write_capacity  = local.table_billing[each.key] == "PROVISIONED" ? local.table_capacity[each.key].write_min : null
    }
  }

  # 30-day automatic cleanup of high-volume telemetry: the writer sets ttl_attribute to the
  # record timestamp + 30 days (epoch seconds).
  dynamic "ttl" {
    for_each = each.value.ttl ? [1] : []
    content {
      enabled        = var.ttl_enabled
      attribute_name = var.ttl_attribute
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }

  # Autoscaling owns the provisioned capacity once the table exists (the values above are its start).
  lifecycle {
    ignore_changes = [read_capacity, write_capacity]
  }

  tags = { Name = each.value.name }
}

# Target tracking for the PROVISIONED tables and their GSIs (DynamoDB uses its service-linked role).
resource "aws_appautoscaling_target" "dynamodb" {
  for_each = local.dynamodb_scaling

  service_namespace  = "dynamodb"
  resource_id        = each.value.scope == "table" ? "table/${aws_dynamodb_table.this[each.value.table].name}" : "table/${aws_dynamodb_table.this[each.value.table].name}/index/geohash-index"
  scalable_dimension = each.value.dimension
  min_capacity       = each.value.min
  max_capacity       = each.value.max
}

resource "aws_appautoscaling_policy" "dynamodb" {
  for_each = local.dynamodb_scaling

  name               = "${local.prefix}-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.dynamodb[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.dynamodb[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.dynamodb[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.dynamodb_autoscaling_target
    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}

###############################################################################
# ElastiCache Redis: rolling windows (sorted sets), GEO index, dashboard hashes
###############################################################################

# AUTH token: generated by Secrets Manager and written into the secret as a write-only argument from
# an ephemeral value, so it is in neither the plan nor the state (audit A5/C3). Rotate by raising
# redis_auth_token_version: Terraform writes a new random token into the secret and re-runs the
# redis_auth deploy step, which puts it on the replication group with the ROTATE strategy (old and
# new token both valid; clients re-read the secret on an auth error, handlers/common/redis_client.py).
ephemeral "aws_secretsmanager_random_password" "redis" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "redis_auth" {
  # checkov:skip=CKV2_AWS_57:Rotation is the redis_auth deploy step (ModifyReplicationGroup ROTATE), driven by redis_auth_token_version, not a rotation Lambda schedule.
  name                    = "${local.prefix}/redis/auth-token"
  description             = "AUTH token of the ${local.prefix} Redis replication group"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = var.deletion_protection ? 30 : 0
}

resource "aws_secretsmanager_secret_version" "redis_auth" {
  secret_id                = aws_secretsmanager_secret.redis_auth.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.redis.random_password
  secret_string_wo_version = var.redis_auth_token_version
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${local.prefix}-redis"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_elasticache_replication_group" "redis" {
  # checkov:skip=CKV_AWS_31:Transit encryption is on and AUTH is enforced; the token is set by the redis_auth deploy step (ModifyReplicationGroup ROTATE from Secrets Manager), not by auth_token, which would put it in the state.
  replication_group_id       = local.redis_id
  description                = "${local.prefix} telemetry windows, GEO index and dashboard counters"
  engine                     = "redis"
  engine_version             = var.engine_version
  node_type                  = var.node_type
  num_cache_clusters         = var.num_cache_clusters
  port                       = 6379
  parameter_group_name       = "default.redis7"
  subnet_group_name          = aws_elasticache_subnet_group.redis.name
  security_group_ids         = [aws_security_group.redis.id]
  automatic_failover_enabled = true
  multi_az_enabled           = true
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  kms_key_id                 = aws_kms_key.main.arn
  snapshot_retention_limit   = var.snapshot_retention_limit
  snapshot_window            = "03:00-04:00"
  maintenance_window         = "sun:05:00-sun:06:00"
  auto_minor_version_upgrade = true
  # Node-type and version changes wait for the maintenance window where the environment is protected
  # (prod, staging: no failover in the middle of the day, audit E10); dev applies at once.
  apply_immediately = !var.deletion_protection
  # No auth_token here: the argument is not write-only, so it would put the token in the state. The
  # redis_auth deploy step sets it from the secret (ROTATE enables AUTH on a TLS group), see below.
}

###############################################################################
# Aurora PostgreSQL Serverless v2: maintenance_schedule, vehicle_history, fuel_analytics
###############################################################################

resource "aws_db_subnet_group" "aurora" {
  name       = "${local.prefix}-aurora"
  subnet_ids = aws_subnet.private[*].id
}

# Query logging: DDL statements and anything slower than one second.
resource "aws_rds_cluster_parameter_group" "aurora" {
  name        = "${local.cluster_identifier}-params"
  family      = "aurora-postgresql${split(".", var.aurora_engine_version)[0]}"
  description = "${local.prefix} Aurora PostgreSQL parameters"

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  # In-transit encryption enforced by the server, not only offered (audit C1).
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
}

resource "aws_rds_cluster" "aurora" {
  # checkov:skip=CKV_AWS_162:The handlers authenticate with the RDS-managed secret over verify-full TLS; IAM database authentication would be a second, unused way in (audit C6).
  # checkov:skip=CKV2_AWS_8:Automated backups (backup_retention_days) and final snapshots cover recovery; an AWS Backup vault is an account-level decision.
  cluster_identifier                  = local.cluster_identifier
  db_cluster_parameter_group_name     = aws_rds_cluster_parameter_group.aurora.name
  engine                              = "aurora-postgresql"
  engine_mode                         = "provisioned"
  engine_version                      = var.aurora_engine_version
  database_name                       = var.database_name
  master_username                     = var.master_username
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = aws_kms_key.main.arn
  db_subnet_group_name                = aws_db_subnet_group.aurora.name
  vpc_security_group_ids              = [aws_security_group.aurora.id]
  storage_encrypted                   = true
  kms_key_id                          = aws_kms_key.main.arn
  backup_retention_period             = var.backup_retention_days
  preferred_backup_window             = "03:00-04:00"
  preferred_maintenance_window        = "sun:05:00-sun:06:00"
  copy_tags_to_snapshot               = true
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = !var.deletion_protection
  final_snapshot_identifier           = "${local.cluster_identifier}-final"
  iam_database_authentication_enabled = false # handlers authenticate with the managed secret; no rds-db:connect grant exists (audit C6)
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  apply_immediately                   = !var.deletion_protection

  serverlessv2_scaling_configuration {
    min_capacity = var.min_capacity
    max_capacity = var.max_capacity
  }

  # auto_minor_version_upgrade moves the cluster past aurora_engine_version; planning it back would be
  # a downgrade RDS refuses (audit A3). The pinned version only chooses what a new cluster starts at.
  lifecycle {
    ignore_changes = [engine_version]
  }

  # The export log group exists first, with retention and the stack key (audit C5).
  depends_on = [aws_cloudwatch_log_group.aurora_postgresql]
}

resource "aws_cloudwatch_log_group" "aurora_postgresql" {
  name              = "/aws/rds/cluster/${local.cluster_identifier}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# Writer + one reader in a second AZ in every environment (same topology); ACUs scale per env.
# Nothing reads from the reader: every handler connects to the writer endpoint (DB_HOST). It is kept
# as the failover target (Multi-AZ: a failover promotes it in about 30 s instead of recreating the
# writer), in promotion tier 2 so that, idle, it runs at min_capacity: Serverless v2 readers in
# tiers 0-1 scale with the writer, which doubled the compute bill (audit D3, make capacity ENV=prod).
resource "aws_rds_cluster_instance" "aurora" {
  count                        = 2
  identifier                   = "${local.cluster_identifier}-${count.index}"
  promotion_tier               = count.index == 0 ? 0 : 2
  cluster_identifier           = aws_rds_cluster.aurora.id
  engine                       = aws_rds_cluster.aurora.engine
  engine_version               = aws_rds_cluster.aurora.engine_version
  instance_class               = var.instance_class
  db_subnet_group_name         = aws_db_subnet_group.aurora.name
  publicly_accessible          = false
  auto_minor_version_upgrade   = true
  performance_insights_enabled = true
  copy_tags_to_snapshot        = true

  performance_insights_kms_key_id = aws_kms_key.main.arn
  monitoring_interval             = 60
  monitoring_role_arn             = aws_iam_role.rds_monitoring.arn

  # The service checks the role's permissions when it creates this: wait for the inline policy (audit A4).
  depends_on = [aws_iam_role_policy.rds_monitoring]
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

# Enhanced monitoring: the RDS agent writes OS metrics to the RDSOSMetrics log group.
resource "aws_iam_role" "rds_monitoring" {
  name               = "${local.prefix}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
}

resource "aws_iam_role_policy" "rds_monitoring" {
  name = "enhanced-monitoring"
  role = aws_iam_role.rds_monitoring.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "OsMetricsLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:PutRetentionPolicy"]
        Resource = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:RDSOSMetrics"]
      },
      {
        Sid      = "OsMetricsStreams"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"]
        Resource = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:RDSOSMetrics:log-stream:*"]
      },
    ]
  })
}

###############################################################################
# SNS topics (KMS) and subscriptions
###############################################################################

resource "aws_sns_topic" "this" {
  for_each          = local.topics
  name              = each.value
  kms_master_key_id = aws_kms_key.main.arn
  tags              = { Name = each.value }
}

data "aws_iam_policy_document" "ops_topic" {
  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this["ops"].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "ops" {
  arn    = aws_sns_topic.this["ops"].arn
  policy = data.aws_iam_policy_document.ops_topic.json
}

# vehicle-alerts -> SQS work queues, filtered on the severity message attribute.
resource "aws_sns_topic_subscription" "alerts_to_queue" {
  for_each             = local.alert_subscriptions
  topic_arn            = aws_sns_topic.this["alerts"].arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.work[each.key].arn
  raw_message_delivery = false
  filter_policy        = jsonencode({ severity = each.value })
  filter_policy_scope  = "MessageAttributes"

  depends_on = [aws_sqs_queue_policy.work]
}

# External fleet-operations system (HTTPS). vehicle-alerts sends only critical ones.
resource "aws_sns_topic_subscription" "https" {
  for_each                        = local.https_subscriptions
  topic_arn                       = aws_sns_topic.this[each.key].arn
  protocol                        = "https"
  endpoint                        = var.alert_https_endpoint
  filter_policy                   = each.value == null ? null : jsonencode({ severity = each.value })
  confirmation_timeout_in_minutes = 1
  endpoint_auto_confirms          = false
}

resource "aws_sns_topic_subscription" "violations_to_report" {
  topic_arn = aws_sns_topic.this["violations"].arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.this["hos_report"].arn
}

resource "aws_sns_topic_subscription" "coaching_to_dispatcher" {
  topic_arn = aws_sns_topic.this["coaching"].arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.this["coaching"].arn
}

resource "aws_lambda_permission" "sns" {
  for_each = {
    hos_report = "violations"
    coaching   = "coaching"
  }
  statement_id  = "AllowSNS-${each.value}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.key].function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.this[each.value].arn
}

###############################################################################
# SQS: work queues with DLQs and redrive; one DLQ per function
###############################################################################

resource "aws_sqs_queue" "work_dlq" {
  for_each                  = local.queues
  name                      = "${each.value}-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.main.arn
  tags                      = { Name = "${each.value}-dlq" }
}

resource "aws_sqs_queue" "work" {
  for_each                   = local.queues
  name                       = each.value
  visibility_timeout_seconds = var.visibility_timeout
  message_retention_seconds  = var.retention_seconds
  receive_wait_time_seconds  = 20
  kms_master_key_id          = aws_kms_key.main.arn
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.work_dlq[each.key].arn
    maxReceiveCount     = 5
  })
  tags = { Name = each.value }
}

data "aws_iam_policy_document" "work_queue" {
  for_each = local.queues

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.work[each.key].arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = contains(keys(local.alert_subscriptions), each.key) ? [1] : []
    content {
      sid       = "AllowVehicleAlertsTopic"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.work[each.key].arn]
      principals {
        type        = "Service"
        identifiers = ["sns.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_sns_topic.this["alerts"].arn]
      }
    }
  }
}

resource "aws_sqs_queue_policy" "work" {
  for_each  = local.queues
  queue_url = aws_sqs_queue.work[each.key].id
  policy    = data.aws_iam_policy_document.work_queue[each.key].json
}

resource "aws_sqs_queue" "function_dlq" {
  for_each                  = local.functions
  name                      = "${local.prefix}-${each.key}-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.main.arn
  tags                      = { Name = "${local.prefix}-${each.key}-dlq" }
}

###############################################################################
# S3: compliance reports (Object Lock), data lake, Athena results, access logs
###############################################################################

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_144:Single-region deployment; versioning + Object Lock protect the data, the DR region is an organisation decision.
  # checkov:skip=CKV2_AWS_62:Nothing consumes object events: the pipeline is stream-driven (Kinesis, SNS, SQS).
  for_each            = local.buckets
  bucket              = each.value
  object_lock_enabled = each.key == "reports"
  force_destroy       = !var.deletion_protection
  tags                = { Name = each.value }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.buckets
  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

# SSE-KMS everywhere except the access-logs bucket: S3 server access log delivery supports only
# SSE-S3 (AES256) on the target bucket, and that bucket holds request metadata, no vehicle data.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = each.key == "logs" ? "AES256" : "aws:kms"
      kms_master_key_id = each.key == "logs" ? null : each.key == "dot_work" ? aws_kms_key.dot_work.arn : aws_kms_key.main.arn
    }
    bucket_key_enabled = each.key != "logs"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = { for k, v in local.buckets : k => v if k != "dot_work" } # dot_work expires (below)
  bucket   = aws_s3_bucket.this[each.key].id

  rule {
    id     = "archive-and-expire"
    status = "Enabled"
    filter {}

    # The data lake stays Athena-readable for lake_query_window_days: Glacier Instant Retrieval
    # after lifecycle_archive_days (Athena reads it), Glacier Flexible Retrieval (Athena cannot)
    # only after the window. Reports and access logs go to Glacier after lifecycle_archive_days;
    # Athena results expire before that (lifecycle_expirations).
    dynamic "transition" {
      for_each = local.lifecycle_transitions[each.key]
      content {
        days          = transition.value.days
        storage_class = transition.value.storage_class
      }
    }

    # Noncurrent versions that expire are not archived first.
    dynamic "noncurrent_version_transition" {
      for_each = local.lifecycle_expirations[each.key].noncurrent == null ? local.lifecycle_transitions[each.key] : []
      content {
        noncurrent_days = noncurrent_version_transition.value.days
        storage_class   = noncurrent_version_transition.value.storage_class
      }
    }

    dynamic "expiration" {
      for_each = local.lifecycle_expirations[each.key].current == null ? [] : [local.lifecycle_expirations[each.key].current]
      content {
        days = expiration.value
      }
    }

    dynamic "noncurrent_version_expiration" {
      for_each = local.lifecycle_expirations[each.key].noncurrent == null ? [] : [local.lifecycle_expirations[each.key].noncurrent]
      content {
        noncurrent_days = noncurrent_version_expiration.value
      }
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  lifecycle {
    precondition {
      condition     = var.lake_query_window_days > var.lifecycle_archive_days
      error_message = "lake_query_window_days must exceed lifecycle_archive_days (the lake leaves Athena-readable storage only after the window)."
    }
    # S3 refuses an expiration that is not later than the rule's transitions.
    precondition {
      condition     = var.access_logs_expiration_days > var.lifecycle_archive_days
      error_message = "access_logs_expiration_days must exceed lifecycle_archive_days (access logs move to Glacier first)."
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# DOT work files are inputs and outputs of one run: expired after dot_work_retention_days (a re-run or an
# investigation of a failed day reads them within that window), never archived.
resource "aws_s3_bucket_lifecycle_configuration" "dot_work" {
  bucket = aws_s3_bucket.this["dot_work"].id

  rule {
    id     = "expire-dot-work-files"
    status = "Enabled"
    filter {}

    expiration {
      days = var.dot_work_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# DOT records must stay unaltered for six months (49 CFR 395.8(k)).
resource "aws_s3_bucket_object_lock_configuration" "reports" {
  bucket = aws_s3_bucket.this["reports"].id
  rule {
    default_retention {
      mode = var.report_object_lock_mode
      days = var.report_retention_days
    }
  }
  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "S3ServerAccessLogs"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this["logs"].arn}/s3/*"]
      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  policy   = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_logging" "this" {
  for_each      = { for k, v in local.buckets : k => v if k != "logs" }
  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.this["logs"].id
  target_prefix = "s3/${each.key}/"

  depends_on = [aws_s3_bucket_policy.this]
}

###############################################################################
# Lambda: one layer (dependencies) + one zip (handlers package), 13 functions
###############################################################################

locals {
  functions = {
    processor          = { module = "diagnostics_processor", memory = var.processor_memory, description = "Validates OBD-II/J1939 diagnostics from Kinesis and writes vehicle_diagnostics" }
    anomaly            = { module = "anomaly_detector", memory = var.anomaly_memory, description = "Thresholds + Redis rolling-window trends on the diagnostics table stream; publishes vehicle-alerts" }
    maintenance        = { module = "maintenance_scheduler", memory = var.maintenance_memory, description = "Creates Aurora maintenance_schedule work orders from maintenance_alerts" }
    driver_notifier    = { module = "driver_notifier", memory = var.driver_notifier_memory, description = "Sends in-cab warnings through the external telematics API" }
    fleet              = { module = "fleet_dashboard", memory = var.fleet_memory, description = "Updates Redis dashboard alert counters" }
    predictive         = { module = "predictive_maintenance", memory = var.predictive_memory, description = "Aurora history + SageMaker predictions; high-confidence ones to maintenance-required" }
    hos                = { module = "hos_processor", memory = var.hos_memory, description = "Evaluates DOT hours-of-service rules per duty-status change" }
    hos_report         = { module = "hos_report_writer", memory = var.hos_memory, description = "Writes violation reports to the Object Lock compliance bucket" }
    location           = { module = "location_tracker", memory = var.location_memory, description = "vehicle_locations (geohash), Redis GEO index, geofence checks" }
    fuel               = { module = "fuel_analytics", memory = var.fuel_memory, description = "MPG/efficiency into Aurora fuel_analytics; coaching recommendations" }
    coaching           = { module = "coaching_dispatcher", memory = var.coaching_memory, description = "Queues driver training material from driver-coaching" }
    dot_report         = { module = "dot_reporting", memory = var.hos_memory, description = "DOT reporting workflow tasks (gather, render_pdf, upload, update_status, publish_summary)" }
    firehose_transform = { module = "firehose_transformer", memory = var.processor_memory, description = "Firehose record transformation and date/vehicle_type partition keys" }
  }

  function_names = { for k, f in local.functions : k => "${local.prefix}-${replace(k, "_", "-")}" }
  # Built from the names (the format Lambda returns) so the state machine definition is known at plan
  # time: make preflight reads the Map's MaxConcurrency and its target function from the plan.
  function_arns = { for k, name in local.function_names : k => "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${name}" }

  db_secret_arn = aws_rds_cluster.aurora.master_user_secret[0].secret_arn
  # Aurora refuses plain connections (rds.force_ssl); clients verify the server certificate and host
  # name against the RDS CA bundle the package carries (make rds-ca; harness.build) (audit C1).
  db_tls = { sslmode = "verify-full", root_cert = "handlers/certs/rds-global-bundle.pem" }

  lambda_env = {
    ENV                               = var.env
    PROJECT_NAME                      = var.project_name
    LOG_LEVEL                         = var.env == "prod" ? "INFO" : "DEBUG"
    DIAGNOSTICS_TABLE                 = aws_dynamodb_table.this["diagnostics"].name
    THRESHOLDS_TABLE                  = aws_dynamodb_table.this["thresholds"].name
    PREDICTIONS_TABLE                 = aws_dynamodb_table.this["predictions"].name
    DRIVER_LOGS_TABLE                 = aws_dynamodb_table.this["driver_logs"].name
    COMPLIANCE_RULES_TABLE            = aws_dynamodb_table.this["compliance_rules"].name
    LOCATIONS_TABLE                   = aws_dynamodb_table.this["locations"].name
    GEOFENCES_TABLE                   = aws_dynamodb_table.this["geofences"].name
    COMPLIANCE_STATUS_TABLE           = aws_dynamodb_table.this["compliance_status"].name
    ALERTS_TOPIC_ARN                  = aws_sns_topic.this["alerts"].arn
    MAINTENANCE_TOPIC_ARN             = aws_sns_topic.this["maintenance"].arn
    VIOLATIONS_TOPIC_ARN              = aws_sns_topic.this["violations"].arn
    SUMMARY_TOPIC_ARN                 = aws_sns_topic.this["summary"].arn
    GEOFENCE_TOPIC_ARN                = aws_sns_topic.this["geofence"].arn
    COACHING_TOPIC_ARN                = aws_sns_topic.this["coaching"].arn
    TRAINING_QUEUE_URL                = aws_sqs_queue.work["training"].id
    REDIS_HOST                        = aws_elasticache_replication_group.redis.primary_endpoint_address
    REDIS_PORT                        = "6379"
    REDIS_TLS                         = "true"
    REDIS_AUTH_SECRET_ARN             = aws_secretsmanager_secret.redis_auth.arn
    DB_HOST                           = aws_rds_cluster.aurora.endpoint
    DB_PORT                           = "5432"
    DB_NAME                           = var.database_name
    DB_SECRET_ARN                     = local.db_secret_arn
    DB_SSLMODE                        = local.db_tls.sslmode
    DB_SSL_ROOT_CERT                  = local.db_tls.root_cert
    SAGEMAKER_ENDPOINT_NAME           = local.predictive_endpoint_name
    TELEMATICS_API_URL                = local.external_api_function_urls["TELEMATICS_API_URL"]
    PDF_API_URL                       = local.external_api_function_urls["PDF_API_URL"]
    REPORTS_BUCKET                    = aws_s3_bucket.this["reports"].bucket
    DEAD_LETTER_BUCKET                = aws_s3_bucket.this["datalake"].bucket
    DOT_WORK_BUCKET                   = aws_s3_bucket.this["dot_work"].bucket
    REPORT_RETENTION_DAYS             = tostring(var.report_retention_days)
    REPORT_OBJECT_LOCK_MODE           = var.report_object_lock_mode
    REPORT_TIME_ZONES                 = join(",", var.fleet_time_zones)
    PREDICTION_CONFIDENCE_THRESHOLD   = "0.8"
    PREDICTION_FIRST_SCORE_SPREAD_MIN = "8"
    DIAGNOSTICS_TTL_DAYS              = "30"
    LOCATIONS_TTL_DAYS                = "30"
  }

  kinesis_read_actions  = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"]
  consumer_read_actions = ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
  ddb_read_actions      = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"]
  ddb_write_actions     = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"]
  sqs_consume_actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]

  # Grant targets: every resource a role may be granted, keyed like the Lambda environment variable that
  # names it to the handler (DRIVER_LOGS_TABLE, REDIS_AUTH_SECRET_ARN ...) so the statements read as what
  # the code uses; DLQ_URL is each function's own DLQ. Policies render ARNs from these keys, and the
  # iam_grants output shows the keys in the plan, where the ARNs are still unknown (make preflight).
  grant_targets = merge(
    { for k, t in aws_dynamodb_table.this : "${upper(k)}_TABLE" => t.arn },
    { for k, t in aws_sns_topic.this : "${upper(k)}_TOPIC_ARN" => t.arn },
    { for k, q in aws_sqs_queue.work : "${upper(k)}_QUEUE" => q.arn },
    { for k, st in aws_kinesis_stream.this : "${upper(k)}_STREAM" => st.arn },
    { for k, c in aws_kinesis_stream_consumer.this : "${upper(k)}_STREAM_CONSUMER" => c.arn },
    {
      DIAGNOSTICS_TABLE_STREAM = aws_dynamodb_table.this["diagnostics"].stream_arn
      TRAINING_QUEUE_URL       = aws_sqs_queue.work["training"].arn
      REDIS_AUTH_SECRET_ARN    = aws_secretsmanager_secret.redis_auth.arn
      DB_SECRET_ARN            = local.db_secret_arn
      SAGEMAKER_ENDPOINT_NAME  = local.predictive_endpoint_arn
      REPORTS_BUCKET           = aws_s3_bucket.this["reports"].arn
      REPORTS_BUCKET_OBJECTS   = "${aws_s3_bucket.this["reports"].arn}/*"
      DEAD_LETTER_OBJECTS      = "${aws_s3_bucket.this["datalake"].arn}/dead-letter/*"
      DOT_WORK_BUCKET          = aws_s3_bucket.this["dot_work"].arn
      DOT_WORK_BUCKET_OBJECTS  = "${aws_s3_bucket.this["dot_work"].arn}/*"
      KMS_KEY                  = aws_kms_key.main.arn
      DOT_WORK_KEY             = aws_kms_key.dot_work.arn
    },
  )

  stmt_redis_secret = { sid = "RedisAuthToken", actions = ["secretsmanager:GetSecretValue"], targets = ["REDIS_AUTH_SECRET_ARN"] }
  stmt_db_secret    = { sid = "AuroraCredentials", actions = ["secretsmanager:GetSecretValue"], targets = ["DB_SECRET_ARN"] }
  stmt_diag_stream  = { sid = "ReadDiagnosticsStream", actions = local.kinesis_read_actions, targets = ["DIAGNOSTICS_STREAM"] }

  # Every function: its own DLQ (send_to_dlq, async failures) and the stack key, which encrypts every
  # queue, topic, table, stream, bucket and secret it touches (Decrypt to read, GenerateDataKey to write).
  base_statements = [
    { sid = "OwnDeadLetterQueue", actions = ["sqs:SendMessage", "sqs:GetQueueAttributes"], targets = ["DLQ_URL"] },
    # A rejected record too large for an SQS message is kept whole in S3 (claim check, handlers.common.dlq).
    { sid = "DeadLetterClaimChecks", actions = ["s3:PutObject"], targets = ["DEAD_LETTER_OBJECTS"] },
    { sid = "UseDataKey", actions = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], targets = ["KMS_KEY"] },
  ]

  # Least privilege: what each function may do beyond logs, its DLQ, VPC ENIs, X-Ray and the key; make
  # preflight finds a call without its grant and a grant no call or event source uses (audit C4).
  function_statements = {
    processor = [
      local.stmt_diag_stream,
      { sid = "WriteDiagnostics", actions = local.ddb_write_actions, targets = ["DIAGNOSTICS_TABLE"] },
    ]
    anomaly = [
      { sid = "ReadDiagnosticsTableStream", actions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], targets = ["DIAGNOSTICS_TABLE_STREAM"] },
      { sid = "ReadThresholds", actions = local.ddb_read_actions, targets = ["THRESHOLDS_TABLE"] },
      local.stmt_redis_secret,
      { sid = "PublishAlerts", actions = ["sns:Publish"], targets = ["ALERTS_TOPIC_ARN"] },
    ]
    maintenance = [
      { sid = "ConsumeMaintenanceQueue", actions = local.sqs_consume_actions, targets = ["MAINTENANCE_QUEUE"] },
      local.stmt_db_secret,
    ]
    driver_notifier = [
      { sid = "ConsumeDriverQueue", actions = local.sqs_consume_actions, targets = ["DRIVER_QUEUE"] },
    ]
    fleet = [
      { sid = "ConsumeFleetQueue", actions = local.sqs_consume_actions, targets = ["FLEET_QUEUE"] },
      local.stmt_redis_secret,
    ]
    predictive = [
      local.stmt_diag_stream,
      { sid = "ReadOwnStreamConsumer", actions = local.consumer_read_actions, targets = ["PREDICTIVE_STREAM_CONSUMER"] },
      local.stmt_db_secret,
      { sid = "InvokePredictor", actions = ["sagemaker:InvokeEndpoint"], targets = ["SAGEMAKER_ENDPOINT_NAME"] },
      { sid = "WritePredictions", actions = local.ddb_write_actions, targets = ["PREDICTIONS_TABLE"] },
      { sid = "PublishMaintenance", actions = ["sns:Publish"], targets = ["MAINTENANCE_TOPIC_ARN"] },
    ]
    hos = [
      { sid = "ReadHosStream", actions = local.kinesis_read_actions, targets = ["HOS_STREAM"] },
      { sid = "ReadRules", actions = local.ddb_read_actions, targets = ["COMPLIANCE_RULES_TABLE"] },
      { sid = "WriteDriverLogs", actions = local.ddb_write_actions, targets = ["DRIVER_LOGS_TABLE"] },
      # get_redis(): the drivers-seen set and the violation markers (audit B1).
      local.stmt_redis_secret,
      { sid = "PublishViolations", actions = ["sns:Publish"], targets = ["VIOLATIONS_TOPIC_ARN"] },
    ]
    hos_report = [
      { sid = "WriteReports", actions = ["s3:PutObject", "s3:GetObject", "s3:PutObjectRetention"], targets = ["REPORTS_BUCKET_OBJECTS"] },
      # HeadObject of a report not yet written: without ListBucket S3 answers 403, not 404.
      { sid = "ProbeReports", actions = ["s3:ListBucket"], targets = ["REPORTS_BUCKET"] },
    ]
    location = [
      { sid = "ReadGpsStream", actions = local.kinesis_read_actions, targets = ["GPS_STREAM"] },
      { sid = "WriteLocations", actions = local.ddb_write_actions, targets = ["LOCATIONS_TABLE"] },
      { sid = "ReadGeofences", actions = local.ddb_read_actions, targets = ["GEOFENCES_TABLE"] },
      local.stmt_redis_secret,
      { sid = "PublishGeofenceAlerts", actions = ["sns:Publish"], targets = ["GEOFENCE_TOPIC_ARN"] },
      # unassigned-driving events go on the hos-violations topic (handlers/unassigned_driving.py)
      { sid = "PublishUnassignedDriving", actions = ["sns:Publish"], targets = ["VIOLATIONS_TOPIC_ARN"] },
    ]
    fuel = [
      local.stmt_diag_stream,
      { sid = "ReadOwnStreamConsumer", actions = local.consumer_read_actions, targets = ["FUEL_STREAM_CONSUMER"] },
      local.stmt_db_secret,
      local.stmt_redis_secret,
      { sid = "PublishCoaching", actions = ["sns:Publish"], targets = ["COACHING_TOPIC_ARN"] },
    ]
    coaching = [
      { sid = "SendTraining", actions = ["sqs:SendMessage", "sqs:GetQueueAttributes"], targets = ["TRAINING_QUEUE_URL"] },
      # get_redis(): the coaching idempotency markers (audit B1).
      local.stmt_redis_secret,
    ]
    dot_report = [
      local.stmt_db_secret,
      # get_redis(): gather reads the drivers the HOS processor saw that day (audit B1).
      local.stmt_redis_secret,
      { sid = "ReadDriverLogs", actions = local.ddb_read_actions, targets = ["DRIVER_LOGS_TABLE"] },
      { sid = "WriteComplianceStatus", actions = local.ddb_write_actions, targets = ["COMPLIANCE_STATUS_TABLE"] },
      { sid = "WriteReports", actions = ["s3:PutObject", "s3:GetObject", "s3:PutObjectRetention"], targets = ["REPORTS_BUCKET_OBJECTS"] },
      # HeadObject of a report not yet written: without ListBucket S3 answers 403, not 404.
      { sid = "ProbeReports", actions = ["s3:ListBucket"], targets = ["REPORTS_BUCKET"] },
      { sid = "PublishSummary", actions = ["sns:Publish"], targets = ["SUMMARY_TOPIC_ARN"] },
      # gather writes the manifest; publish_summary reads it and the map run's result files and writes
      # the failures report (the work bucket, encrypted with its own key).
      { sid = "DotWorkFiles", actions = ["s3:PutObject", "s3:GetObject"], targets = ["DOT_WORK_BUCKET_OBJECTS"] },
      { sid = "UseDotWorkKey", actions = ["kms:Decrypt", "kms:GenerateDataKey"], targets = ["DOT_WORK_KEY"] },
    ]
    firehose_transform = []
  }

  # Stream mappings retry a failed batch until its oldest record is 6 h old, however many attempts that
  # takes: a dependency outage (Redis, Aurora, an AWS endpoint: the handlers fail the whole invocation)
  # shorter than that is ridden out with nothing discarded. 3 attempts / 1 h discarded whole batches to
  # a metadata-only destination after a Redis outage of a minute. Poison records never reach this (the
  # handlers dead-letter them with their content); bisect still isolates a record that crashes or
  # times out the function, which then waits out the 6 h alone. 6 h < the 24 h minimum stream
  # retention, so a discarded batch can still be re-read from its stream (docs/contracts.md).
  stream_retry = {
    bisect_batch_on_function_error = true
    maximum_retry_attempts         = -1
    maximum_record_age_in_seconds  = 21600
  }

  kinesis_mappings = {
    processor  = "diagnostics"
    predictive = "diagnostics"
    fuel       = "diagnostics"
    hos        = "hos"
    location   = "gps"
  }

  sqs_mappings = {
    maintenance     = "maintenance"
    driver_notifier = "driver"
    fleet           = "fleet"
  }
}

resource "aws_lambda_layer_version" "deps" {
  layer_name          = "${local.prefix}-deps"
  description         = "Third-party dependencies of the handlers (requirements/lambda.txt)"
  filename            = "${local.lambda_artifacts_dir}/deps-layer.zip"
  source_code_hash    = filebase64sha256("${local.lambda_artifacts_dir}/deps-layer.zip")
  compatible_runtimes = [var.runtime]
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  for_each           = local.functions
  name               = "${local.function_names[each.key]}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each          = local.functions
  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.functions
  name     = "least-privilege"
  role     = aws_iam_role.lambda[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["${aws_cloudwatch_log_group.lambda[each.key].arn}:*"]
        },
        {
          Sid    = "VpcNetworkInterfaces"
          Effect = "Allow"
          Action = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
          Resource = concat(
            ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*", aws_security_group.lambda.arn],
            aws_subnet.private[*].arn,
          )
        },
        {
          # These Describe calls and X-Ray writes do not support resource-level permissions.
          Sid      = "DescribeAndTrace"
          Effect   = "Allow"
          Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTraceSegments", "xray:PutTelemetryRecords"]
          Resource = ["*"]
        },
      ],
      [
        for s in concat(local.base_statements, local.function_statements[each.key]) : {
          Sid      = s.sid
          Effect   = "Allow"
          Action   = s.actions
          Resource = [for t in s.targets : t == "DLQ_URL" ? aws_sqs_queue.function_dlq[each.key].arn : local.grant_targets[t]]
        }
      ],
    )
  })
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  function_name                  = local.function_names[each.key]
  description                    = each.value.description
  role                           = aws_iam_role.lambda[each.key].arn
  runtime                        = var.runtime
  handler                        = "handlers.${each.value.module}.handler"
  filename                       = "${local.lambda_artifacts_dir}/functions.zip"
  source_code_hash               = filebase64sha256("${local.lambda_artifacts_dir}/functions.zip")
  layers                         = [aws_lambda_layer_version.deps.arn]
  memory_size                    = each.value.memory
  timeout                        = var.timeout_s[each.key]
  reserved_concurrent_executions = var.reserved_concurrency[each.key]
  kms_key_arn                    = aws_kms_key.main.arn
  architectures                  = ["x86_64"]

  # checkov:skip=CKV_AWS_272:Artifacts are built reproducibly by make build and pinned by source_code_hash; no AWS Signer profile in this stack.

  environment {
    variables = merge(local.lambda_env, {
      POWERTOOLS_SERVICE_NAME = each.key
      DLQ_URL                 = aws_sqs_queue.function_dlq[each.key].id
    })
  }

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.lambda.id]
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.function_dlq[each.key].arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.lambda[each.key].name
  }

  depends_on = [aws_iam_role_policy.lambda]
}

# Enhanced fan-out (audit E4): the diagnostics stream has four readers (processor, predictive, fuel,
# Firehose). Shared throughput allows 5 GetRecords calls/s per shard and each standard reader makes
# one per second, so four readers leave no room for catch-up or a fifth. Predictive and fuel read
# through their own consumers (SubscribeToShard, 2 MiB/s per shard each, not counted against the
# shared limit): 2 of the 5 shared reads/s remain in use (processor and Firehose).
locals {
  stream_consumers = {
    predictive = "diagnostics"
    fuel       = "diagnostics"
  }
}

resource "aws_kinesis_stream_consumer" "this" {
  for_each   = local.stream_consumers
  name       = "${local.prefix}-${replace(each.key, "_", "-")}"
  stream_arn = aws_kinesis_stream.this[each.value].arn
}

# Kinesis consumers: parallelization per shard, batching window, bisect on error, bounded
# retries and record age, failed batches to the function's DLQ, partial batch responses.
resource "aws_lambda_event_source_mapping" "kinesis" {
  for_each = local.kinesis_mappings

  function_name                      = aws_lambda_function.this[each.key].arn
  event_source_arn                   = contains(keys(local.stream_consumers), each.key) ? aws_kinesis_stream_consumer.this[each.key].arn : aws_kinesis_stream.this[each.value].arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = local.cap.kinesis_batch_size
  maximum_batching_window_in_seconds = local.cap.kinesis_batching_window
  parallelization_factor             = local.cap.parallelization_factor
  bisect_batch_on_function_error     = local.stream_retry.bisect_batch_on_function_error
  maximum_retry_attempts             = local.stream_retry.maximum_retry_attempts
  maximum_record_age_in_seconds      = local.stream_retry.maximum_record_age_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.function_dlq[each.key].arn
    }
  }
}

# DynamoDB stream of vehicle_diagnostics -> anomaly detector.
resource "aws_lambda_event_source_mapping" "diagnostics_table" {
  function_name                      = aws_lambda_function.this["anomaly"].arn
  event_source_arn                   = aws_dynamodb_table.this["diagnostics"].stream_arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = local.cap.kinesis_batch_size
  maximum_batching_window_in_seconds = local.cap.kinesis_batching_window
  parallelization_factor             = local.cap.parallelization_factor
  bisect_batch_on_function_error     = local.stream_retry.bisect_batch_on_function_error
  maximum_retry_attempts             = local.stream_retry.maximum_retry_attempts
  maximum_record_age_in_seconds      = local.stream_retry.maximum_record_age_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  # TTL deletes (~3,900/s from day 30 in prod, audit E5) never invoke the function: Lambda keeps a
  # record only when it has no userIdentity.type; TTL's REMOVE records carry
  # {type = "Service", principalId = "dynamodb.amazonaws.com"}. Filtered records are not billed.
  filter_criteria {
    filter {
      pattern = jsonencode(local.anomaly_keep_pattern)
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.function_dlq["anomaly"].arn
    }
  }
}

locals {
  # Lambda event filtering pattern of the anomaly mapping (tests/runtime/test_ttl_filter.py matches it
  # with the local poller against a TTL delete and a user write).
  anomaly_keep_pattern = { userIdentity = { type = [{ exists = false }] } }
}

# SQS consumers: failed messages return to the queue and go to its DLQ after 5 receives.
resource "aws_lambda_event_source_mapping" "sqs" {
  for_each = local.sqs_mappings

  # ARNs built from the names (the formats AWS returns), so the plan shows which queue feeds which
  # function: make preflight compares the queue's visibility timeout with the consumer's timeout.
  function_name                      = local.function_arns[each.key]
  event_source_arn                   = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.queues[each.value]}"
  batch_size                         = local.cap.sqs_batch_size
  maximum_batching_window_in_seconds = local.cap.sqs_batching_window
  function_response_types            = ["ReportBatchItemFailures"]

  depends_on = [aws_lambda_function.this, aws_sqs_queue.work]
}

###############################################################################
# Deploy steps: functions Terraform invokes after apply (schema migrations, the Redis AUTH token)
###############################################################################

# Not part of the data path: invoked synchronously by aws_lambda_invocation below (and by
# `make migrate`), never by an event source. Both run in the private subnets: the migrator reaches
# Aurora there (audit B7: no tunnel or bastion), the token step reaches the ElastiCache API via NAT.
locals {
  deploy_steps = {
    schema_migrator = { module = "schema_migrator", memory = 256, timeout = 300, description = "Applies handlers/migrations to Aurora (schema_migrations ledger with checksums); run after apply and by make migrate" }
    redis_auth      = { module = "redis_auth_rotator", memory = 128, timeout = 60, description = "Puts the Redis AUTH token of Secrets Manager on the replication group (ROTATE)" }
  }
  deploy_step_env = {
    schema_migrator = {
      DB_HOST          = aws_rds_cluster.aurora.endpoint
      DB_PORT          = "5432"
      DB_NAME          = var.database_name
      DB_SECRET_ARN    = local.db_secret_arn
      DB_SSLMODE       = local.db_tls.sslmode
      DB_SSL_ROOT_CERT = local.db_tls.root_cert
    }
    redis_auth = {
      REDIS_AUTH_SECRET_ARN      = aws_secretsmanager_secret.redis_auth.arn
      REDIS_REPLICATION_GROUP_ID = aws_elasticache_replication_group.redis.id
    }
  }
  # Every step reads a secret encrypted with the stack key (Decrypt only: no step writes encrypted data).
  deploy_step_base_statements = [{ sid = "UseDataKey", actions = ["kms:Decrypt", "kms:DescribeKey"], targets = ["KMS_KEY"] }]
  deploy_step_statements = {
    schema_migrator = [local.stmt_db_secret]
    redis_auth = [
      local.stmt_redis_secret,
      { sid = "SetAuthToken", actions = ["elasticache:ModifyReplicationGroup"], targets = ["REDIS_REPLICATION_GROUP_ID"] },
    ]
  }
  deploy_step_targets = {
    DB_SECRET_ARN              = local.db_secret_arn
    REDIS_AUTH_SECRET_ARN      = aws_secretsmanager_secret.redis_auth.arn
    REDIS_REPLICATION_GROUP_ID = aws_elasticache_replication_group.redis.arn
    KMS_KEY                    = aws_kms_key.main.arn
  }
  deploy_step_names = { for k, step in local.deploy_steps : k => "${local.prefix}-${replace(k, "_", "-")}" }
}

resource "aws_iam_role" "deploy_step" {
  for_each           = local.deploy_steps
  name               = "${local.deploy_step_names[each.key]}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_cloudwatch_log_group" "deploy_step" {
  for_each          = local.deploy_steps
  name              = "/aws/lambda/${local.deploy_step_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_iam_role_policy" "deploy_step" {
  for_each = local.deploy_steps
  name     = "least-privilege"
  role     = aws_iam_role.deploy_step[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["${aws_cloudwatch_log_group.deploy_step[each.key].arn}:*"]
        },
        {
          Sid    = "VpcNetworkInterfaces"
          Effect = "Allow"
          Action = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
          Resource = concat(
            ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*", aws_security_group.lambda.arn],
            aws_subnet.private[*].arn,
          )
        },
        {
          # These Describe calls do not support resource-level permissions.
          Sid      = "DescribeNetwork"
          Effect   = "Allow"
          Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
          Resource = ["*"]
        },
      ],
      [
        for st in concat(local.deploy_step_base_statements, local.deploy_step_statements[each.key]) : {
          Sid      = st.sid
          Effect   = "Allow"
          Action   = st.actions
          Resource = [for t in st.targets : local.deploy_step_targets[t]]
        }
      ],
    )
  })
}

resource "aws_lambda_function" "deploy_step" {
  for_each = local.deploy_steps

  # checkov:skip=CKV_AWS_272:Artifacts are built reproducibly by make build and pinned by source_code_hash; no AWS Signer profile in this stack.
  # checkov:skip=CKV_AWS_116:Invoked synchronously by Terraform (aws_lambda_invocation) or make migrate: a failure fails the apply, there is no asynchronous event to dead-letter.
  # checkov:skip=CKV_AWS_115:Run once per apply; no reservation taken from the account's pool (the migrator serializes on an advisory lock).
  # checkov:skip=CKV_AWS_50:Deploy steps run once per apply; X-Ray adds nothing there.
  function_name    = local.deploy_step_names[each.key]
  description      = each.value.description
  role             = aws_iam_role.deploy_step[each.key].arn
  runtime          = var.runtime
  handler          = "handlers.${each.value.module}.handler"
  filename         = "${local.lambda_artifacts_dir}/functions.zip"
  source_code_hash = filebase64sha256("${local.lambda_artifacts_dir}/functions.zip")
  layers           = [aws_lambda_layer_version.deps.arn]
  memory_size      = each.value.memory
  timeout          = each.value.timeout
  kms_key_arn      = aws_kms_key.main.arn
  architectures    = ["x86_64"]

  environment {
    variables = merge(local.deploy_step_env[each.key], {
      ENV                     = var.env
      PROJECT_NAME            = var.project_name
      POWERTOOLS_SERVICE_NAME = each.key
    })
  }

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.lambda.id]
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.deploy_step[each.key].name
  }

  depends_on = [aws_iam_role_policy.deploy_step]
}

# Run after apply. The migrator re-runs whenever the package (which carries handlers/migrations)
# changes; it is idempotent, so a run without a new migration is a no-op. The token step re-runs when
# redis_auth_token_version changes. The results (names of migrations, the group id) hold no secret.
resource "aws_lambda_invocation" "deploy_step" {
  for_each = var.run_deploy_steps ? local.deploy_steps : {}

  function_name = aws_lambda_function.deploy_step[each.key].function_name
  input         = jsonencode({ step = each.key })
  triggers = {
    run = each.key == "redis_auth" ? tostring(var.redis_auth_token_version) : aws_lambda_function.deploy_step[each.key].source_code_hash
  }

  depends_on = [aws_rds_cluster_instance.aurora, aws_secretsmanager_secret_version.redis_auth, aws_elasticache_replication_group.redis]
}

###############################################################################
# API Gateway: mock of the external telematics (in-cab messaging) and FMCSA PDF APIs
###############################################################################

locals {
  # The mock exists only where the functions call it: wherever external_api_urls is unset (dev,
  # staging, and every environment on the local emulator, whose runtime serves the stage's routes
  # from harness.mock_api). prod on AWS must set the real URLs (validated on external_api_urls), so
  # it never deploys this unauthenticated public API, its log group or the account's API Gateway
  # CloudWatch role, which only the mock's stage logging needs (audit C2).
  mock_external_api = var.external_api_urls == null
  # What the functions' TELEMATICS_API_URL and PDF_API_URL are: the mock's stage URL plus each API's
  # base path, else the vendors' URLs as given.
  external_api_function_urls = local.mock_external_api ? {
    for setting, base in local.external_api_bases : setting => "${aws_api_gateway_stage.external[0].invoke_url}${base}"
    } : {
    TELEMATICS_API_URL = var.external_api_urls.telematics
    PDF_API_URL        = var.external_api_urls.pdf
  }
}

resource "aws_api_gateway_rest_api" "external" {
  count       = local.mock_external_api ? 1 : 0
  name        = "${local.prefix}-external-telematics"
  description = "Mock of the third-party telematics and FMCSA report APIs"

  lifecycle {
    create_before_destroy = true
  }

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

locals {
  # The routes the handlers call (POST <base>/<path>), keyed by the full resource path; each Lambda
  # environment URL below is the stage URL plus its base (external_api_bases). driver_notifier posts
  # TELEMATICS_API_URL/v1/notifications, dot_reporting posts PDF_API_URL/v1/rod-pdf and needs a PDF
  # back (audit B3; make preflight compares the handlers' paths with these).
  external_api_bases = {
    TELEMATICS_API_URL = ""
    PDF_API_URL        = "/fmcsa"
  }
  api_mocks = {
    "v1/notifications" = { content_type = "application/json", response = "{\"status\": \"queued\"}", status = "202" }
    # The smallest well-formed PDF: render_pdf checks the %PDF- signature.
    "fmcsa/v1/rod-pdf" = { content_type = "application/pdf", response = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF", status = "200" }
  }
  # Every resource path the routes need, by depth (API Gateway resources nest one path part each).
  api_paths = distinct(flatten([for path in keys(local.api_mocks) : [
    for i in range(1, length(split("/", path)) + 1) : join("/", slice(split("/", path), 0, i))
  ]]))
  api_paths_l1 = { for p in local.api_paths : p => p if local.mock_external_api && length(split("/", p)) == 1 }
  api_paths_l2 = { for p in local.api_paths : p => p if local.mock_external_api && length(split("/", p)) == 2 }
  api_paths_l3 = { for p in local.api_paths : p => p if local.mock_external_api && length(split("/", p)) == 3 }
  # The routes the mock serves (none where it is not deployed).
  api_mock_routes = { for path, mock in local.api_mocks : path => mock if local.mock_external_api }
  api_resource_ids = merge(
    { for p, r in aws_api_gateway_resource.l1 : p => r.id },
    { for p, r in aws_api_gateway_resource.l2 : p => r.id },
    { for p, r in aws_api_gateway_resource.l3 : p => r.id },
  )
}

resource "aws_api_gateway_resource" "l1" {
  for_each    = local.api_paths_l1
  rest_api_id = aws_api_gateway_rest_api.external[0].id
  parent_id   = aws_api_gateway_rest_api.external[0].root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_resource" "l2" {
  for_each    = local.api_paths_l2
  rest_api_id = aws_api_gateway_rest_api.external[0].id
  parent_id   = aws_api_gateway_resource.l1[dirname(each.key)].id
  path_part   = basename(each.key)
}

resource "aws_api_gateway_resource" "l3" {
  for_each    = local.api_paths_l3
  rest_api_id = aws_api_gateway_rest_api.external[0].id
  parent_id   = aws_api_gateway_resource.l2[dirname(each.key)].id
  path_part   = basename(each.key)
}

resource "aws_api_gateway_method" "mock" {
  for_each      = local.api_mock_routes
  rest_api_id   = aws_api_gateway_rest_api.external[0].id
  resource_id   = local.api_resource_ids[each.key]
  http_method   = "POST"
  authorization = "NONE"
  # checkov:skip=CKV_AWS_59:Mock of a third-party API with no data behind it; the real APIs authenticate their callers.
  # checkov:skip=CKV2_AWS_53:Mock accepts any body by design; request validation belongs to the real API.
}

resource "aws_api_gateway_integration" "mock" {
  for_each    = local.api_mock_routes
  rest_api_id = aws_api_gateway_rest_api.external[0].id
  resource_id = local.api_resource_ids[each.key]
  http_method = aws_api_gateway_method.mock[each.key].http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = "{\"statusCode\": ${each.value.status}}"
  }
}

resource "aws_api_gateway_method_response" "mock" {
  for_each    = local.api_mock_routes
  rest_api_id = aws_api_gateway_rest_api.external[0].id
  resource_id = local.api_resource_ids[each.key]
  http_method = aws_api_gateway_method.mock[each.key].http_method
  status_code = each.value.status
}

resource "aws_api_gateway_integration_response" "mock" {
  for_each    = local.api_mock_routes
  rest_api_id = aws_api_gateway_rest_api.external[0].id
  resource_id = local.api_resource_ids[each.key]
  http_method = aws_api_gateway_method.mock[each.key].http_method
  status_code = aws_api_gateway_method_response.mock[each.key].status_code
  response_templates = {
    (each.value.content_type) = each.value.response
  }

  depends_on = [aws_api_gateway_integration.mock]
}

resource "aws_api_gateway_deployment" "external" {
  count       = local.mock_external_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.external[0].id

  triggers = {
    # Configuration inputs and ids only (no attributes the API computes), so re-plans are clean.
    redeployment = sha1(jsonencode({
      mocks        = local.api_mocks
      resources    = values(local.api_resource_ids)
      methods      = [for m in aws_api_gateway_method.mock : m.id]
      integrations = [for i in aws_api_gateway_integration.mock : i.id]
    }))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration_response.mock]
}

resource "aws_cloudwatch_log_group" "api" {
  count             = local.mock_external_api ? 1 : 0
  name              = "/${var.project_name}/${var.env}/api-gateway/external-telematics"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# API Gateway writes execution and access logs with the account's CloudWatch role (one per account and
# region): without it the stage's logging settings fail at apply (audit A1). Every environment sets the
# same role shape; in a shared account the last apply wins, which is harmless. Only the mock's stage
# logs through it, so it exists only with the mock.
data "aws_iam_policy_document" "apigw_assume" {
  count = local.mock_external_api ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "apigw_cloudwatch" {
  count              = local.mock_external_api ? 1 : 0
  name               = "${local.prefix}-apigw-cloudwatch"
  assume_role_policy = data.aws_iam_policy_document.apigw_assume[0].json
}

resource "aws_iam_role_policy" "apigw_cloudwatch" {
  count = local.mock_external_api ? 1 : 0
  name  = "push-to-cloudwatch-logs"
  role  = aws_iam_role.apigw_cloudwatch[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # AmazonAPIGatewayPushToCloudWatchLogs, scoped to this API's execution logs and its access log group.
        Sid    = "WriteApiLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"]
        Resource = [
          "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.external[0].id}/*",
          "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.external[0].id}/*:*",
          aws_cloudwatch_log_group.api[0].arn,
          "${aws_cloudwatch_log_group.api[0].arn}:*",
        ]
      },
      {
        Sid      = "DescribeLogGroups"
        Effect   = "Allow"
        Action   = ["logs:DescribeLogGroups"]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_api_gateway_account" "this" {
  count               = local.mock_external_api ? 1 : 0
  cloudwatch_role_arn = aws_iam_role.apigw_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy.apigw_cloudwatch]
}

resource "aws_api_gateway_stage" "external" {
  count                = local.mock_external_api ? 1 : 0
  rest_api_id          = aws_api_gateway_rest_api.external[0].id
  deployment_id        = aws_api_gateway_deployment.external[0].id
  stage_name           = var.env
  xray_tracing_enabled = true
  # checkov:skip=CKV_AWS_120:Caching a mock that returns canned responses buys nothing.
  # checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to a backend; a MOCK integration has none.
  # checkov:skip=CKV2_AWS_29:WAF is for the real public API, not this mock.

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api[0].arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", method = "$context.httpMethod", path = "$context.resourcePath", status = "$context.status", latency = "$context.responseLatency" })
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "external" {
  count       = local.mock_external_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.external[0].id
  stage_name  = aws_api_gateway_stage.external[0].stage_name
  method_path = "*/*"
  # checkov:skip=CKV_AWS_225:No caching on a mock (see the stage), so there is no cache to encrypt.

  settings {
    metrics_enabled    = true
    logging_level      = "INFO"
    data_trace_enabled = false
  }

  depends_on = [aws_api_gateway_account.this]
}

# The mock's singletons gained `count` (deployed only where the functions call it): existing states
# keep their objects.
moved {
  from = aws_api_gateway_rest_api.external
  to   = aws_api_gateway_rest_api.external[0]
}

moved {
  from = aws_api_gateway_deployment.external
  to   = aws_api_gateway_deployment.external[0]
}

moved {
  from = aws_cloudwatch_log_group.api
  to   = aws_cloudwatch_log_group.api[0]
}

moved {
  from = aws_iam_role.apigw_cloudwatch
  to   = aws_iam_role.apigw_cloudwatch[0]
}

moved {
  from = aws_iam_role_policy.apigw_cloudwatch
  to   = aws_iam_role_policy.apigw_cloudwatch[0]
}

moved {
  from = aws_api_gateway_account.this
  to   = aws_api_gateway_account.this[0]
}

moved {
  from = aws_api_gateway_stage.external
  to   = aws_api_gateway_stage.external[0]
}

moved {
  from = aws_api_gateway_method_settings.external
  to   = aws_api_gateway_method_settings.external[0]
}

###############################################################################
# DOT reporting: Step Functions workflow, run daily by EventBridge
###############################################################################

resource "aws_cloudwatch_log_group" "sfn" {
  name              = "/aws/vendedlogs/states/${local.prefix}-dot-reporting"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

data "aws_iam_policy_document" "sfn_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "sfn" {
  name               = "${local.prefix}-dot-reporting-sfn"
  assume_role_policy = data.aws_iam_policy_document.sfn_assume.json
}

locals {
  # The DOT state machine role, by target like function_statements (rendered below, shown by iam_grants).
  sfn_grant_targets = {
    DOT_REPORT_FUNCTION = local.function_arns["dot_report"]
    DOT_REPORT_VERSIONS = "${local.function_arns["dot_report"]}:*"
    DOT_MACHINE         = local.dot_machine_arn
    DOT_EXECUTIONS      = "${local.dot_execution_arn_prefix}/*"
    DOT_MANIFESTS       = "${aws_s3_bucket.this["dot_work"].arn}/${local.dot_work_prefix}/date=*/manifest.json"
    DOT_MAP_RUN_RESULTS = "${aws_s3_bucket.this["dot_work"].arn}/${local.dot_results_prefix}/*"
    KMS_KEY             = aws_kms_key.main.arn
    DOT_WORK_KEY        = aws_kms_key.dot_work.arn
    NO_RESOURCE_LEVEL   = "*"
  }
  sfn_statements = [
    { sid = "InvokeDotReportTasks", actions = ["lambda:InvokeFunction"], targets = ["DOT_REPORT_FUNCTION", "DOT_REPORT_VERSIONS"], condition = null },
    # The distributed Map runs each batch of drivers as a child execution of this state machine.
    { sid = "RunDistributedMapChildren", actions = ["states:StartExecution"], targets = ["DOT_MACHINE"], condition = null },
    # Child executions of a map run are named <state machine>/<map run label>:<id>.
    { sid = "ManageDistributedMapChildren", actions = ["states:DescribeExecution", "states:StopExecution"], targets = ["DOT_EXECUTIONS"], condition = null },
    # ItemReader: the driver manifest written by gather (dot-reports/work/date=<d>/manifest.json).
    { sid = "ReadDriverManifest", actions = ["s3:GetObject"], targets = ["DOT_MANIFESTS"], condition = null },
    # ResultWriter: the map run's manifest and result files (multipart for large result files).
    { sid = "WriteMapRunResults", actions = ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"], targets = ["DOT_MAP_RUN_RESULTS"], condition = null },
    # The work bucket is SSE-KMS with its own key (bucket keys): read the manifest, write results.
    { sid = "UseDotWorkKey", actions = ["kms:Decrypt", "kms:GenerateDataKey"], targets = ["DOT_WORK_KEY"], condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } } },
    # The state machine itself is encrypted with the stack key (encryption_configuration): Step Functions
    # decrypts its definition and execution data with the role's credentials, under this context (audit B2).
    { sid = "UseStateMachineKey", actions = ["kms:Decrypt", "kms:GenerateDataKey"], targets = ["KMS_KEY"], condition = { StringEquals = { "kms:EncryptionContext:aws:states:stateMachineArn" = local.dot_machine_arn } } },
    # Log delivery of a CMK-encrypted state machine: the data key for the vended log stream.
    { sid = "EncryptDeliveredLogs", actions = ["kms:GenerateDataKey"], targets = ["KMS_KEY"], condition = { StringEquals = { "kms:ViaService" = "logs.${local.region}.amazonaws.com" } } },
    # CloudWatch Logs delivery APIs and X-Ray writes do not support resource-level permissions.
    { sid = "LogDeliveryAndTracing", actions = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"], targets = ["NO_RESOURCE_LEVEL"], condition = null },
  ]
}

resource "aws_iam_role_policy" "sfn" {
  name = "least-privilege"
  role = aws_iam_role.sfn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      for s in local.sfn_statements : merge(
        { Sid = s.sid, Effect = "Allow", Action = s.actions, Resource = [for t in s.targets : local.sfn_grant_targets[t]] },
        s.condition == null ? {} : { Condition = s.condition },
      )
    ]
  })
}

locals {
  # Gather -> DISTRIBUTED Map over the driver manifest (ItemReader) in shards of dot_map_batch_size drivers
  # (ItemBatcher: one child execution per shard) -> in a child, an inline Map: ReportDriver per driver
  # (one Lambda call: gather the day, render the PDF, store PDF + ELD file, compliance_status) ->
  # ResultWriter (the per-driver results, to the work bucket) -> PublishSummary.
  # Each Task invokes dot_report with {"step": <name>, "input": <state>} (handlers/dot_reporting.py):
  #   gather          driver ids only (Aurora drivers + the HOS processor's Redis set of the day), written
  #                   as the manifest to the work bucket; the state keeps {report_date, bucket, key, count}
  #   report_driver   one driver, far inside the function's timeout: the PDF API call gets what the
  #                   invocation has left (context.get_remaining_time_in_millis())
  #   publish_summary counts from the ResultWriter files; failed drivers (and manifest drivers with no
  #                   result) go to the failures report and to compliance_status as report_failed
  # Per-driver failure isolation: ReportDriver retries the handler's own errors and timeouts
  # (States.TaskFailed covers any error the function raises, Sandbox.Timedout, Runtime.OutOfMemory,
  # Lambda.Unknown; States.Timeout the Task's own limit) and Lambda's throttling, with backoff and jitter;
  # then its Catch turns the failure into the driver's result {status = "failed", error}, so the shard and
  # the day complete for everyone else. A wiring bug (StepInputError) is never retried.
  # Why DISTRIBUTED: at 234,000 drivers an inline Map cannot work (a state's input/output is capped at
  # 256 KB, an execution's history at 25,000 events). Each child has its own history (dot_map_batch_size
  # drivers x ~6 events), and the ResultWriter keeps the per-driver results out of the parent's state.
  # STANDARD children (not EXPRESS): a shard calls the PDF API dot_map_batch_size times with retries, which
  # can exceed Express's 5-minute cap, and a child's history stays inspectable for a compliance audit.
  # ToleratedFailurePercentage = 100: a failed child (its drivers then have no result) must not stop the
  # other shards; publish_summary finds its drivers missing against the manifest and records them.
  # Parallelism: dot_map_max_concurrency children x dot_map_driver_concurrency drivers each = PDF API
  # calls and dot_report invocations in flight, within reserved_concurrency["dot_report"].
  dot_machine_name           = "${local.prefix}-dot-reporting"
  dot_machine_arn            = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.dot_machine_name}"
  dot_execution_arn_prefix   = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.dot_machine_name}"
  dot_work_prefix            = "dot-reports/work"
  dot_results_prefix         = "${local.dot_work_prefix}/map-runs"
  dot_map_batch_size         = var.dot_map_batch_size
  dot_map_max_concurrency    = var.dot_map_max_concurrency
  dot_map_driver_concurrency = var.dot_map_driver_concurrency
  # A hung invocation is cut by the Task (States.Timeout) a little after Lambda's own timeout would be.
  dot_task_timeout_s = var.timeout_s["dot_report"] + 30

  dot_retry = [
    # A step given a state it cannot use is a wiring bug: fail at once.
    { ErrorEquals = ["StepInputError"], MaxAttempts = 0 },
    # Throttling (reserved concurrency below the Map's parallelism for a moment): long, jittered backoff.
    { ErrorEquals = ["Lambda.TooManyRequestsException"], IntervalSeconds = 2, MaxAttempts = 8, BackoffRate = 2, MaxDelaySeconds = 60, JitterStrategy = "FULL" },
    # Lambda service errors, the handler's own errors and timeouts (the function's and the Task's).
    {
      ErrorEquals     = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.Unknown", "Sandbox.Timedout", "States.Timeout", "States.TaskFailed"]
      IntervalSeconds = 2
      MaxAttempts     = 3
      BackoffRate     = 2
      MaxDelaySeconds = 30
      JitterStrategy  = "FULL"
    },
  ]

  dot_task = {
    for s in [{ state = "Gather", step = "gather" }, { state = "PublishSummary", step = "publish_summary" }, { state = "ReportDriver", step = "report_driver" }] : s.state => {
      Type     = "Task"
      Resource = "arn:${local.partition}:states:::lambda:invoke"
      Parameters = {
        FunctionName = local.function_arns["dot_report"]
        Payload = {
          step      = s.step
          "input.$" = "$"
        }
      }
      OutputPath     = "$.Payload"
      TimeoutSeconds = local.dot_task_timeout_s
      Retry          = local.dot_retry
    }
  }

  dot_definition = {
    Comment = "Daily DOT hours-of-service reporting (49 CFR 395)"
    StartAt = "Gather"
    States = {
      Gather = merge(local.dot_task["Gather"], {
        # The start time pins "yesterday" (the schedule's input) to the day the execution was started for.
        Parameters = {
          FunctionName = local.function_arns["dot_report"]
          Payload = {
            step                     = "gather"
            "input.$"                = "$"
            "execution_started_at.$" = "$$.Execution.StartTime"
          }
        }
        Catch = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "ReportFailed" }]
        Next  = "ReportDrivers"
      })
      ReportDrivers = {
        Type = "Map"
        ItemReader = {
          Resource     = "arn:${local.partition}:states:::s3:getObject"
          ReaderConfig = { InputType = "JSON" }
          Parameters   = { "Bucket.$" = "$.bucket", "Key.$" = "$.key" }
        }
        ItemBatcher                = { MaxItemsPerBatch = local.dot_map_batch_size }
        MaxConcurrency             = local.dot_map_max_concurrency
        ToleratedFailurePercentage = 100
        Label                      = "DotDrivers"
        ItemProcessor = {
          ProcessorConfig = { Mode = "DISTRIBUTED", ExecutionType = "STANDARD" }
          StartAt         = "ReportShard"
          States = {
            # A child's input is {"Items": [{driver_id, report_date}, ...]}: one inline iteration per driver.
            ReportShard = {
              Type           = "Map"
              ItemsPath      = "$.Items"
              ItemSelector   = { "driver_id.$" = "$$.Map.Item.Value.driver_id", "report_date.$" = "$$.Map.Item.Value.report_date" }
              MaxConcurrency = local.dot_map_driver_concurrency
              ItemProcessor = {
                ProcessorConfig = { Mode = "INLINE" }
                StartAt         = "ReportDriver"
                States = {
                  ReportDriver = merge(local.dot_task["ReportDriver"], {
                    Catch = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "DriverFailed" }]
                    End   = true
                  })
                  # The driver's result after its retries: recorded, not raised (publish_summary).
                  DriverFailed = {
                    Type = "Pass"
                    Parameters = {
                      "driver_id.$"   = "$.driver_id"
                      "report_date.$" = "$.report_date"
                      status          = "failed"
                      "error.$"       = "$.error"
                    }
                    End = true
                  }
                }
              }
              End = true
            }
          }
        }
        ResultWriter = {
          Resource   = "arn:${local.partition}:states:::s3:putObject"
          Parameters = { Bucket = aws_s3_bucket.this["dot_work"].bucket, Prefix = local.dot_results_prefix }
        }
        ResultPath = "$.map_run"
        Catch      = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "ReportFailed" }]
        Next       = "PublishSummary"
      }
      PublishSummary = merge(local.dot_task["PublishSummary"], {
        Catch = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "ReportFailed" }]
        End   = true
      })
      ReportFailed = {
        Type  = "Fail"
        Error = "DotReportingFailed"
        Cause = "A DOT reporting step failed; see the execution history and the dot-report log group."
      }
    }
  }
}

resource "aws_sfn_state_machine" "dot_reporting" {
  name       = local.dot_machine_name
  role_arn   = aws_iam_role.sfn.arn
  type       = "STANDARD"
  definition = jsonencode(local.dot_definition)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.sfn.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = aws_kms_key.main.arn
    kms_data_key_reuse_period_seconds = 300
  }

  # The definition names dot_report by its ARN string, not the resource: keep the function and the
  # role's grants (KMS, log delivery) in place before Step Functions validates them (audit A4).
  depends_on = [aws_lambda_function.this, aws_iam_role_policy.sfn]
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  name               = "${local.prefix}-dot-reporting-schedule"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json
}

resource "aws_iam_role_policy" "events" {
  name = "start-dot-reporting"
  role = aws_iam_role.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "StartDotReporting"
        Effect   = "Allow"
        Action   = ["states:StartExecution"]
        Resource = [aws_sfn_state_machine.dot_reporting.arn]
      },
      {
        # The state machine is encrypted with the stack key: starting an execution encrypts its input
        # with a data key under the state machine's encryption context.
        Sid       = "EncryptExecutionInput"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey"]
        Resource  = [aws_kms_key.main.arn]
        Condition = { StringEquals = { "kms:EncryptionContext:aws:states:stateMachineArn" = local.dot_machine_arn } }
      },
    ]
  })
}

resource "aws_cloudwatch_event_rule" "dot_reporting" {
  name                = "${local.prefix}-dot-reporting-daily"
  description         = "Daily DOT compliance reporting"
  schedule_expression = var.compliance_schedule_expression
}

resource "aws_cloudwatch_event_target" "dot_reporting" {
  rule     = aws_cloudwatch_event_rule.dot_reporting.name
  arn      = aws_sfn_state_machine.dot_reporting.arn
  role_arn = aws_iam_role.events.arn
  input    = jsonencode({ trigger = "schedule", report_date = "yesterday" })

  # The service checks the role's permissions when it creates this: wait for the inline policy (audit A4).
  depends_on = [aws_iam_role_policy.events]
}

###############################################################################
# Archival: Firehose -> S3 data lake (Parquet, date/vehicle_type partitions) -> Glue -> Athena
###############################################################################

resource "aws_glue_catalog_database" "telemetry" {
  name        = local.glue_database_name
  description = "${local.prefix} telemetry data lake"
}

resource "aws_glue_catalog_table" "diagnostics" {
  name          = "diagnostics"
  database_name = aws_glue_catalog_database.telemetry.name
  table_type    = "EXTERNAL_TABLE"
  description   = "Diagnostics records written by Firehose as Parquet"

  parameters = {
    classification        = "parquet"
    "parquet.compression" = "SNAPPY"
    EXTERNAL              = "TRUE"
  }

  partition_keys {
    name = "date"
    type = "string"
  }

  partition_keys {
    name = "vehicle_type"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.this["datalake"].bucket}/diagnostics/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters            = { "serialization.format" = "1" }
    }

    # The Firehose transformer (handlers/firehose_transformer.py) emits one flat row per record:
    # identifiers, one column per OBD-II/J1939 signal and the DTC keys. vehicle_type is the
    # partition key (from the path), so it is not repeated as a column.
    dynamic "columns" {
      for_each = concat(
        [["record_id", "string"], ["vehicle_id", "string"], ["vin", "string"], ["fleet_id", "string"],
        ["driver_id", "string"], ["ts", "string"], ["ts_ms", "bigint"]],
        [for signal in ["engine_rpm", "coolant_temp_c", "fuel_level_pct", "vehicle_speed_kph", "engine_load_pct",
        "throttle_pct", "battery_v", "odometer_km", "engine_hours", "fuel_used_l", "fuel_rate_lph"] : [signal, "double"]],
        [["dtc_codes", "array<string>"], ["dtc_count", "int"]],
      )
      content {
        name = columns.value[0]
        type = columns.value[1]
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "firehose" {
  name              = "/aws/kinesisfirehose/${local.firehose_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_stream" "firehose" {
  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.firehose.name
}

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  name               = "${local.prefix}-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
}

resource "aws_iam_role_policy" "firehose" {
  name = "least-privilege"
  role = aws_iam_role.firehose.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "ReadDiagnosticsStream", Effect = "Allow", Action = local.kinesis_read_actions, Resource = [aws_kinesis_stream.this["diagnostics"].arn] },
      { Sid = "WriteDataLake", Effect = "Allow", Action = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"], Resource = [aws_s3_bucket.this["datalake"].arn, "${aws_s3_bucket.this["datalake"].arn}/*"] },
      { Sid = "Transform", Effect = "Allow", Action = ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"], Resource = [aws_lambda_function.this["firehose_transform"].arn, "${aws_lambda_function.this["firehose_transform"].arn}:*"] },
      { Sid = "ParquetSchema", Effect = "Allow", Action = ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"], Resource = ["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog", aws_glue_catalog_database.telemetry.arn, aws_glue_catalog_table.diagnostics.arn] },
      { Sid = "UseDataKey", Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = [aws_kms_key.main.arn] },
      { Sid = "WriteErrors", Effect = "Allow", Action = ["logs:PutLogEvents"], Resource = ["${aws_cloudwatch_log_group.firehose.arn}:*"] },
    ]
  })
}

resource "aws_kinesis_firehose_delivery_stream" "diagnostics" {
  name        = local.firehose_name
  destination = "extended_s3"

  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.this["diagnostics"].arn
    role_arn           = aws_iam_role.firehose.arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = aws_s3_bucket.this["datalake"].arn
    kms_key_arn         = aws_kms_key.main.arn
    buffering_interval  = var.buffer_interval_s
    buffering_size      = var.buffer_size_mb
    prefix              = "diagnostics/date=!{partitionKeyFromLambda:date}/vehicle_type=!{partitionKeyFromLambda:vehicle_type}/"
    error_output_prefix = "errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/"

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = aws_cloudwatch_log_stream.firehose.name
    }

    dynamic_partitioning_configuration {
      enabled        = true
      retry_duration = 300
    }

    processing_configuration {
      enabled = true

      processors {
        type = "Lambda"

        parameters {
          parameter_name  = "LambdaArn"
          parameter_value = "${aws_lambda_function.this["firehose_transform"].arn}:$LATEST"
        }
        # BufferSizeInMBs / BufferIntervalInSeconds stay at their defaults (1 MiB, 60 s): the
        # provider drops default-valued processor parameters on read, so setting them would make
        # every plan show a diff.
      }
    }

    data_format_conversion_configuration {
      enabled = var.data_format_conversion_enabled

      input_format_configuration {
        deserializer {
          open_x_json_ser_de {}
        }
      }

      output_format_configuration {
        serializer {
          parquet_ser_de {
            compression = "SNAPPY"
          }
        }
      }

      schema_configuration {
        database_name = aws_glue_catalog_database.telemetry.name
        table_name    = aws_glue_catalog_table.diagnostics.name
        role_arn      = aws_iam_role.firehose.arn
        region        = local.region
      }
    }
  }

  # The service checks the role's permissions when it creates this: wait for the inline policy (audit A4).
  depends_on = [aws_iam_role_policy.firehose]
}

resource "aws_glue_security_configuration" "crawler" {
  name = "${local.prefix}-crawler"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = aws_kms_key.main.arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = aws_kms_key.main.arn
    }
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = aws_kms_key.main.arn
    }
  }
}

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "crawler" {
  name               = "${local.prefix}-crawler"
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

resource "aws_iam_role_policy" "crawler" {
  name = "least-privilege"
  role = aws_iam_role.crawler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "ReadDataLake", Effect = "Allow", Action = ["s3:GetObject", "s3:ListBucket"], Resource = [aws_s3_bucket.this["datalake"].arn, "${aws_s3_bucket.this["datalake"].arn}/diagnostics/*"] },
      { Sid = "UpdateCatalog", Effect = "Allow", Action = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition", "glue:GetSecurityConfiguration"], Resource = ["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog", aws_glue_catalog_database.telemetry.arn, aws_glue_catalog_table.diagnostics.arn] },
      { Sid = "UseDataKey", Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"], Resource = [aws_kms_key.main.arn] },
      { Sid = "WriteCrawlerLogs", Effect = "Allow", Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"], Resource = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/crawlers*"] },
    ]
  })
}

# Nightly: registers the new date/vehicle_type partitions of the Firehose table without
# touching its schema (the table is the contract of the Parquet conversion).
resource "aws_glue_crawler" "diagnostics" {
  name                   = local.crawler_name
  database_name          = aws_glue_catalog_database.telemetry.name
  role                   = aws_iam_role.crawler.arn
  schedule               = var.crawler_schedule
  security_configuration = aws_glue_security_configuration.crawler.name

  catalog_target {
    database_name = aws_glue_catalog_database.telemetry.name
    tables        = [aws_glue_catalog_table.diagnostics.name]
  }

  schema_change_policy {
    update_behavior = "LOG"
    delete_behavior = "LOG"
  }

  configuration = jsonencode({
    Version = 1
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
    }
  })

  # The service checks the role's permissions when it creates this: wait for the inline policy (audit A4).
  depends_on = [aws_iam_role_policy.crawler]
}

resource "aws_athena_workgroup" "analytics" {
  name          = local.workgroup_name
  description   = "Ad-hoc fleet analytics over the data lake"
  force_destroy = !var.deletion_protection

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${aws_s3_bucket.this["athena"].bucket}/results/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.main.arn
      }
    }
  }

  tags = { Name = local.workgroup_name }
}

###############################################################################
# Monitoring: metric filters and the eight alarms, all publishing to ops-alarms
###############################################################################

locals {
  metric_namespace = "${var.project_name}/${var.env}"

  # Aurora PostgreSQL max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000); a
  # Serverless v2 ACU is ~2 GiB, so at max_capacity the ceiling is about ACU * 225 connections.
  aurora_max_connections = min(5000, floor(var.max_capacity * 2147483648 / 9531392))

  alarm_streams = { for k, s in local.streams : k => coalesce(s.shards, 1) }

  # Member cache clusters of the replication group (<group>-001 ... as ElastiCache names them).
  redis_members = { for i in range(var.num_cache_clusters) : format("n%d", i + 1) => format("%s-%03d", local.redis_id, i + 1) }
  # Queues some function of this stack consumes (the SQS age alarm watches only these).
  consumed_queues = { for k, name in local.queues : k => name if contains(values(local.sqs_mappings), k) }
}

# The functions log JSON lines; {"event": "hos_violation", ...} per detected violation and
# {"event": "prediction", "confidence": ...} per model prediction.
resource "aws_cloudwatch_log_metric_filter" "hos_violations" {
  name           = "${local.prefix}-hos-violations"
  log_group_name = aws_cloudwatch_log_group.lambda["hos"].name
  pattern        = "{ $.event = \"hos_violation\" }"

  metric_transformation {
    name          = "HosViolations"
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_log_metric_filter" "predictions" {
  name           = "${local.prefix}-predictions"
  log_group_name = aws_cloudwatch_log_group.lambda["predictive"].name
  pattern        = "{ $.event = \"prediction\" }"

  metric_transformation {
    name          = "Predictions"
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_log_metric_filter" "high_confidence_predictions" {
  name           = "${local.prefix}-high-confidence-predictions"
  log_group_name = aws_cloudwatch_log_group.lambda["predictive"].name
  pattern        = "{ ($.event = \"prediction\") && ($.confidence > 0.8) }"

  metric_transformation {
    name          = "HighConfidencePredictions"
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
  }
}

# 1. Kinesis shard capacity. A shard takes 1 MiB/s and 1,000 records/s of writes; at 80% of either
#    for 5 minutes producers are one burst away from WriteProvisionedThroughputExceeded, time enough
#    to reshard (UpdateShardCount) before data is throttled. GPS (300 B records) reaches the record
#    limit at 19% of the byte limit, so bytes alone would never fire for it (audit E3).
resource "aws_cloudwatch_metric_alarm" "kinesis_incoming_bytes" {
  alarm_name          = "${local.prefix}-kinesis-shard-capacity"
  alarm_description   = "A stream's IncomingBytes or IncomingRecords above 80% of its shards' write capacity (1 MiB/s, 1,000 records/s per shard)"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  threshold           = 80
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]

  dynamic "metric_query" {
    for_each = { for pair in setproduct(keys(local.alarm_streams), ["bytes", "records"]) : "${pair[1]}_${pair[0]}" => pair }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/Kinesis"
        metric_name = metric_query.value[1] == "bytes" ? "IncomingBytes" : "IncomingRecords"
        period      = 60
        stat        = "Sum"
        dimensions  = { StreamName = aws_kinesis_stream.this[metric_query.value[0]].name }
      }
    }
  }

  dynamic "metric_query" {
    for_each = local.alarm_streams
    content {
      id         = "util_${metric_query.key}"
      expression = "100 * MAX([FILL(bytes_${metric_query.key}, 0) / (${metric_query.value} * 1048576 * 60), FILL(records_${metric_query.key}, 0) / (${metric_query.value} * 1000 * 60)])"
      label      = "${metric_query.key} write utilisation % (bytes or records, whichever is higher)"
    }
  }

  metric_query {
    id          = "max_util"
    expression  = "MAX([${join(", ", [for k in keys(local.alarm_streams) : "util_${k}"])}])"
    label       = "Highest stream write utilisation %"
    return_data = true
  }
}

# 2. Anomaly detector p95 duration. p95 (not average) catches the slow tail that holds up the
#    DynamoDB stream shard; 80% of the timeout leaves room to act before batches time out,
#    retry and alerts arrive late.
resource "aws_cloudwatch_metric_alarm" "anomaly_duration_p95" {
  alarm_name          = "${local.prefix}-anomaly-duration-p95"
  alarm_description   = "Anomaly detector p95 duration above 80% of its timeout"
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = aws_lambda_function.this["anomaly"].function_name }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.timeout_s["anomaly"] * 1000 * 0.8
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]
}

# 3. DynamoDB throughput exceeded on the two hot tables (diagnostics: 3,900 writes/s, locations:
#    7,800 writes/s in prod). A handful of throttles is absorbed by SDK retries; a sustained count
#    per minute means a hot partition or exhausted capacity and growing iterator age.
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name          = "${local.prefix}-dynamodb-throughput-exceeded"
  alarm_description   = "Read/write throttle events on vehicle_diagnostics and vehicle_locations"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  threshold           = local.cap.dynamodb_throttle_alarms
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]

  dynamic "metric_query" {
    for_each = {
      dw = ["diagnostics", "WriteThrottleEvents"]
      dr = ["diagnostics", "ReadThrottleEvents"]
      lw = ["locations", "WriteThrottleEvents"]
      lr = ["locations", "ReadThrottleEvents"]
    }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value[1]
        period      = 60
        stat        = "Sum"
        dimensions  = { TableName = aws_dynamodb_table.this[metric_query.value[0]].name }
      }
    }
  }

  # DynamoDB publishes a throttle metric only in minutes with throttles: without FILL, a minute with
  # write throttles and no read throttles would add up to no value, and the alarm would never fire.
  metric_query {
    id          = "throttles"
    expression  = "FILL(dw, 0) + FILL(dr, 0) + FILL(lw, 0) + FILL(lr, 0)"
    label       = "Throttle events per minute"
    return_data = true
  }
}

# 4. Redis memory. Sorted-set windows and the GEO index grow with the fleet; above 80% of
#    maxmemory eviction starts to drop rolling windows (wrong trend detection) and replication
#    buffers need headroom, so scale the node type before that. The highest member is watched, not
#    node -001: after a failover the primary is another node (audit E8).
resource "aws_cloudwatch_metric_alarm" "redis_memory" {
  alarm_name          = "${local.prefix}-redis-memory"
  alarm_description   = "Redis DatabaseMemoryUsagePercentage above 80% on any node (the primary holds the most)"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  threshold           = 80
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]

  dynamic "metric_query" {
    for_each = local.redis_members
    content {
      id = "mem_${metric_query.key}"
      metric {
        namespace   = "AWS/ElastiCache"
        metric_name = "DatabaseMemoryUsagePercentage"
        period      = 300
        stat        = "Average"
        dimensions  = { CacheClusterId = metric_query.value }
      }
    }
  }

  metric_query {
    id          = "memory"
    expression  = "MAX([${join(", ", [for k in keys(local.redis_members) : "mem_${k}"])}])"
    label       = "Highest node memory usage %"
    return_data = true
  }
}

# 5. Aurora connections. Every concurrent Lambda holds one connection; at 80% of max_connections
#    at the configured max ACUs, a burst of consumers would be refused: time to add RDS Proxy,
#    raise max_capacity or lower reserved_concurrency.
resource "aws_cloudwatch_metric_alarm" "aurora_connections" {
  alarm_name          = "${local.prefix}-aurora-connections"
  alarm_description   = "Aurora DatabaseConnections above 80% of max_connections at max_capacity"
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = { DBClusterIdentifier = aws_rds_cluster.aurora.cluster_identifier }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = floor(local.aurora_max_connections * 0.8)
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]
}

# 6. SQS oldest message age. In-cab warnings and work orders are only useful within minutes:
#    an alert older than 5 minutes means a consumer is down or throttled. Only the queues a function
#    of this stack consumes: driver_training_queue is read by the external LMS at its own pace, and
#    its age would hold the alarm in ALARM and hide an outage of the other three (audit E1).
resource "aws_cloudwatch_metric_alarm" "sqs_oldest_message" {
  alarm_name          = "${local.prefix}-sqs-oldest-message-age"
  alarm_description   = "Oldest message in a work queue older than the alert SLA"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  threshold           = local.cap.queue_age_alarm_s
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]

  dynamic "metric_query" {
    for_each = local.consumed_queues
    content {
      id = "age_${metric_query.key}"
      metric {
        namespace   = "AWS/SQS"
        metric_name = "ApproximateAgeOfOldestMessage"
        period      = 60
        stat        = "Maximum"
        dimensions  = { QueueName = aws_sqs_queue.work[metric_query.key].name }
      }
    }
  }

  metric_query {
    id          = "oldest"
    expression  = "MAX([${join(", ", [for k in keys(local.consumed_queues) : "age_${k}"])}])"
    label       = "Oldest message age (s)"
    return_data = true
  }
}

# 7. Step Functions failures. The DOT workflow runs once a day; a single failed execution means
#    a day without FMCSA records, so the threshold is one.
resource "aws_cloudwatch_metric_alarm" "sfn_failures" {
  alarm_name          = "${local.prefix}-dot-reporting-failed"
  alarm_description   = "DOT reporting execution failed, timed out or was aborted"
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]

  # Each of the three is published only when it happens (FILL: one alone still adds up).
  dynamic "metric_query" {
    for_each = { failed = "ExecutionsFailed", timed_out = "ExecutionsTimedOut", aborted = "ExecutionsAborted" }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/States"
        metric_name = metric_query.value
        period      = 300
        stat        = "Sum"
        # The ARN from its parts, known at plan time: with the resource's own (unknown while the
        # machine is replaced) provider 5.100 fails the apply with "inconsistent final plan" for
        # this metric_query set.
        dimensions = { StateMachineArn = local.dot_machine_arn }
      }
    }
  }

  metric_query {
    id          = "unsuccessful"
    expression  = "FILL(failed, 0) + FILL(timed_out, 0) + FILL(aborted, 0)"
    label       = "DOT executions failed, timed out or aborted"
    return_data = true
  }

  depends_on = [aws_sfn_state_machine.dot_reporting]
}

# 8. Firehose errors. DeliveryToS3.Success is the fraction of successful PutObject calls; below
#    1 for 15 minutes means records pile up in Firehose (24 h retry limit) and the data lake
#    and Athena fall behind.
resource "aws_cloudwatch_metric_alarm" "firehose_errors" {
  alarm_name          = "${local.prefix}-firehose-delivery-errors"
  alarm_description   = "Firehose S3 delivery success ratio below 100%"
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.Success"
  dimensions          = { DeliveryStreamName = aws_kinesis_firehose_delivery_stream.diagnostics.name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]
}

###############################################################################
# Alarms that page: what loses data or time (audit E2). Families over locals maps, one alarm per
# watched resource so the page names it. All publish to ops-alarms.
###############################################################################

locals {
  # Every stream mapping: function -> its source (Kinesis or the diagnostics table stream).
  stream_mapping_functions = merge(local.kinesis_mappings, { anomaly = "diagnostics_table" })

  # Every queue that receives what failed: the work queues' DLQs (after maxReceiveCount) and each
  # function's DLQ (async failures, poison records, stream mappings' on-failure destination).
  dead_letter_queues = merge(
    { for k, name in local.queues : "work-${k}" => "${name}-dlq" },
    { for k in keys(local.functions) : "fn-${k}" => "${local.prefix}-${k}-dlq" },
  )

  # Lambda health per function: sustained errors (the batch is retried, then dead-lettered or
  # skipped) and throttles (invocations refused for concurrency: a stream falls behind, a DOT
  # driver step waits), in each of three consecutive five-minute periods: a transient failure (a
  # dependency blip, a redeploy) does not page, 15 minutes of failing batches do.
  # Not dot_report's Errors: the DOT workflow retries each driver's step on the handler's own errors,
  # and a driver that still fails is recorded (failures.json, compliance_status) and announced by the
  # critical compliance summary; its retried errors alone are no page.
  lambda_health = {
    for pair in setproduct(keys(local.functions), ["Errors", "Throttles"]) : "${pair[0]}-${lower(pair[1])}" => { function = pair[0], metric = pair[1] }
    if !(pair[0] == "dot_report" && pair[1] == "Errors")
  }

  alarm_settings = {
    iterator_age_ms      = 600000 # 10 min behind: far inside maximum_record_age_in_seconds (1 h), when records would be dropped
    redis_engine_cpu_pct = 80     # the single primary's engine thread binds first (audit section 3)
    aurora_cpu_pct       = 80
  }
}

# Iterator age per stream mapping: how far the function lags behind its stream. Growing age means
# records approach maximum_record_age_in_seconds and would be skipped to the on-failure destination.
resource "aws_cloudwatch_metric_alarm" "iterator_age" {
  for_each = local.stream_mapping_functions

  alarm_name          = "${local.prefix}-${each.key}-iterator-age"
  alarm_description   = "${each.key} is more than ${local.alarm_settings.iterator_age_ms / 60000} min behind its ${each.value} stream"
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = local.function_names[each.key] }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.iterator_age_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_health" {
  for_each = local.lambda_health

  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = "${each.value.function}: ${each.value.metric} in each of the last 3 five-minute periods"
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = local.function_names[each.value.function] }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]
}

# A message in a DLQ is data that did not reach its destination: one is enough to page.
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = local.dead_letter_queues

  alarm_name          = "${local.prefix}-dlq-${each.key}"
  alarm_description   = "${each.value} holds messages: records that failed processing wait for an operator"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]

  depends_on = [aws_sqs_queue.work_dlq, aws_sqs_queue.function_dlq]
}

# Redis engine CPU: every command runs on the primary's one engine thread (~120K commands/s in prod);
# at 80% latency climbs and the stream consumers fall behind. Highest member, to follow failovers.
resource "aws_cloudwatch_metric_alarm" "redis_engine_cpu" {
  alarm_name          = "${local.prefix}-redis-engine-cpu"
  alarm_description   = "Redis EngineCPUUtilization above ${local.alarm_settings.redis_engine_cpu_pct}% on any node"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  threshold           = local.alarm_settings.redis_engine_cpu_pct
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]

  dynamic "metric_query" {
    for_each = local.redis_members
    content {
      id = "cpu_${metric_query.key}"
      metric {
        namespace   = "AWS/ElastiCache"
        metric_name = "EngineCPUUtilization"
        period      = 60
        stat        = "Average"
        dimensions  = { CacheClusterId = metric_query.value }
      }
    }
  }

  metric_query {
    id          = "engine_cpu"
    expression  = "MAX([${join(", ", [for k in keys(local.redis_members) : "cpu_${k}"])}])"
    label       = "Highest node engine CPU %"
    return_data = true
  }
}

# Aurora CPU: Serverless v2 scales ACUs with load, so sustained high CPU means it is at max_capacity
# (or a query went bad) and inserts from the history and fuel consumers will slow down.
resource "aws_cloudwatch_metric_alarm" "aurora_cpu" {
  alarm_name          = "${local.prefix}-aurora-cpu"
  alarm_description   = "Aurora CPUUtilization above ${local.alarm_settings.aurora_cpu_pct}% for 10 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBClusterIdentifier = aws_rds_cluster.aurora.cluster_identifier }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.aurora_cpu_pct
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this["ops"].arn]
  ok_actions          = [aws_sns_topic.this["ops"].arn]
}

###############################################################################
# Outputs
###############################################################################

output "kinesis_stream_arns" {
  description = "Kinesis stream ARNs by kind."
  value       = { for k, s in aws_kinesis_stream.this : k => s.arn }
}

output "kinesis_stream_names" {
  description = "Kinesis stream names by kind."
  value       = { for k, s in aws_kinesis_stream.this : k => s.name }
}

output "dynamodb_table_names" {
  description = "DynamoDB table names by logical name."
  value       = { for k, t in aws_dynamodb_table.this : k => t.name }
}

output "dynamodb_table_arns" {
  description = "DynamoDB table ARNs by logical name."
  value       = { for k, t in aws_dynamodb_table.this : k => t.arn }
}

output "diagnostics_table_stream_arn" {
  description = "Stream ARN of vehicle_diagnostics."
  value       = aws_dynamodb_table.this["diagnostics"].stream_arn
}

output "sns_topic_arns" {
  description = "SNS topic ARNs by logical name."
  value       = { for k, t in aws_sns_topic.this : k => t.arn }
}

output "sqs_queue_urls" {
  description = "SQS work queue URLs by logical name."
  value       = { for k, q in aws_sqs_queue.work : k => q.id }
}

output "sqs_dlq_urls" {
  description = "Dead-letter queue URLs: work queues and functions."
  value = merge(
    { for k, q in aws_sqs_queue.work_dlq : "queue_${k}" => q.id },
    { for k, q in aws_sqs_queue.function_dlq : "function_${k}" => q.id },
  )
}

output "aurora_cluster_endpoint" {
  description = "Aurora writer endpoint."
  value       = aws_rds_cluster.aurora.endpoint
}

output "aurora_reader_endpoint" {
  description = "Aurora reader endpoint."
  value       = aws_rds_cluster.aurora.reader_endpoint
}

output "aurora_secret_arn" {
  description = "Secrets Manager ARN of the Aurora master credentials (managed by RDS)."
  value       = local.db_secret_arn
}

output "redis_primary_endpoint" {
  description = "Redis primary endpoint address."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "redis_reader_endpoint" {
  description = "Redis reader endpoint address."
  value       = aws_elasticache_replication_group.redis.reader_endpoint_address
}

output "redis_auth_secret_arn" {
  description = "Secrets Manager ARN of the Redis AUTH token."
  value       = aws_secretsmanager_secret.redis_auth.arn
}

output "step_function_arn" {
  description = "DOT reporting state machine ARN."
  value       = aws_sfn_state_machine.dot_reporting.arn
}

output "lambda_function_arns" {
  description = "Lambda function ARNs by key."
  value       = { for k, f in aws_lambda_function.this : k => f.arn }
}

output "lambda_function_names" {
  description = "Lambda function names by key."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "s3_bucket_names" {
  description = "S3 bucket names (reports, datalake, athena, logs)."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "firehose_arn" {
  description = "Diagnostics archive Firehose ARN."
  value       = aws_kinesis_firehose_delivery_stream.diagnostics.arn
}

output "glue_database_name" {
  description = "Glue catalog database."
  value       = aws_glue_catalog_database.telemetry.name
}

output "glue_table_name" {
  description = "Glue table of the Parquet diagnostics."
  value       = aws_glue_catalog_table.diagnostics.name
}

output "glue_crawler_name" {
  description = "Glue crawler."
  value       = aws_glue_crawler.diagnostics.name
}

output "athena_workgroup" {
  description = "Athena workgroup."
  value       = aws_athena_workgroup.analytics.name
}

output "external_api_url" {
  description = "Invoke URL of the mocked external telematics API; null where the functions call the real APIs (external_api_urls) and no mock is deployed."
  value       = one(aws_api_gateway_stage.external[*].invoke_url)
}

output "kms_key_arn" {
  description = "KMS key encrypting the stack's data."
  value       = aws_kms_key.main.arn
}

output "vpc_id" {
  description = "VPC ID."
  value       = aws_vpc.main.id
}

output "public_subnet_ids" {
  description = "Public subnet IDs."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnet IDs."
  value       = aws_subnet.private[*].id
}

output "security_group_ids" {
  description = "Security group IDs by role."
  value = {
    lambda    = aws_security_group.lambda.id
    redis     = aws_security_group.redis.id
    aurora    = aws_security_group.aurora.id
    endpoints = aws_security_group.endpoints.id
  }
}

output "sagemaker_endpoint_arn" {
  description = "ARN of the referenced SageMaker endpoint (built from data sources)."
  value       = local.predictive_endpoint_arn
}

output "iam_grants" {
  description = "What each role may do, by grant target (the Lambda environment keys: DRIVER_LOGS_TABLE, REDIS_AUTH_SECRET_ARN ...; DLQ_URL the function's own DLQ, KMS_KEY the stack key). The policies are rendered from exactly these statements; unlike their ARNs the targets are known at plan time, so make preflight compares them with every AWS call each handler makes."
  value = {
    functions = merge(
      { for k in keys(local.functions) : k => concat(local.base_statements, local.function_statements[k]) },
      { for k in keys(local.deploy_steps) : k => concat(local.deploy_step_base_statements, local.deploy_step_statements[k]) },
    )
    function_modules = merge({ for k, f in local.functions : k => f.module }, { for k, d in local.deploy_steps : k => d.module })
    # What Lambda itself reads with the role for each event source mapping (not a handler call).
    event_sources = merge(
      { for k, stream in local.kinesis_mappings : k => concat(["${upper(stream)}_STREAM"], contains(keys(local.stream_consumers), k) ? ["${upper(k)}_STREAM_CONSUMER"] : []) },
      { for k, queue in local.sqs_mappings : k => ["${upper(queue)}_QUEUE"] },
      { anomaly = ["DIAGNOSTICS_TABLE_STREAM"] },
    )
    dot_state_machine = local.sfn_statements
  }
}

output "external_api" {
  description = "The mock external API: whether it is deployed (mock; false where the functions call external_api_urls), the base path of each Lambda environment URL on its stage and the routes it serves (POST <path>)."
  value = {
    mock   = local.mock_external_api
    bases  = local.mock_external_api ? local.external_api_bases : {}
    routes = [for path in keys(local.api_mock_routes) : "POST /${path}"]
  }
}

output "external_api_function_urls" {
  description = "TELEMATICS_API_URL and PDF_API_URL as the functions get them: the mock's stage URLs (known after apply), or the vendors' URLs (external_api_urls) where no mock is deployed."
  value       = local.external_api_function_urls
}

###############################################################################
# Example variable files. Identical copies of infra/dev.tfvars, staging.tfvars and prod.tfvars
# (tests/infra checks it). Only capacities differ; the topology, stream types, HOS rules and
# reporting logic are the same in every environment.
###############################################################################

# ==== BEGIN EXAMPLE TFVARS (generated from infra/*.tfvars by python -m harness.tf.examples) ====
# ---- dev.tfvars ----
# # dev: smallest capacities, same topology as staging and prod. Disposable: no deletion
# # protection, GOVERNANCE object lock so the environment can be torn down.
# aws_region  = "us-east-1"
# env         = "dev"
# owner       = "fleet-platform"
# cost_center = "telematics-dev"
#
# deletion_protection     = false
# report_object_lock_mode = "GOVERNANCE"
#
# # dev only: a placeholder is accepted here (make preflight rejects one in staging and prod, which
# # take the real webhook at deploy time: TF_VAR_alert_https_endpoint).
# alert_https_endpoint = "https://hooks.example.com/fleettap/sns"
#
# stream_mode             = "PROVISIONED"
# diagnostics_shard_count = 1
# hos_shard_count         = 1
# gps_shard_count         = 1
# retention_hours         = 24
#
# processor_memory       = 256
# anomaly_memory         = 256
# maintenance_memory     = 256
# driver_notifier_memory = 128
# fleet_memory           = 128
# predictive_memory      = 512
# hos_memory             = 256
# location_memory        = 256
# fuel_memory            = 256
# coaching_memory        = 128
#
# # Timeouts (s), the same in every environment because they bound the code's own downstream calls
# # (make preflight reads them from the handlers): boto3 3 attempts x (3 s connect + 10 s read) ~ 42 s;
# # redis-py 8.1 default 10 retries x (2 s connect + 3 s socket) + backoff ~ 65 s (Redis users: 90);
# # the FMCSA PDF API 3 attempts x (3 s + 30 s) ~ 101 s (dot_report: 120).
# timeout_s = {
#   processor          = 60
#   anomaly            = 90
#   maintenance        = 60
#   driver_notifier    = 60
#   fleet              = 90
#   predictive         = 60
#   hos                = 90
#   hos_report         = 60
#   location           = 90
#   fuel               = 90
#   coaching           = 90
#   dot_report         = 120
#   firehose_transform = 60
# }
#
# # Reserved concurrency (make capacity ENV=dev): 1 shard x parallelization 1 = 1 per stream consumer;
# # 5 each, which also caps the local runtime's environments per function as before; dot_report 5 = the
# # DOT Map's 1 x 5; -1 = unreserved (low volume). Sum 50.
# reserved_concurrency = {
#   processor          = 5
#   anomaly            = 5
#   maintenance        = 5
#   driver_notifier    = 5
#   fleet              = 5
#   predictive         = 5
#   hos                = 5
#   hos_report         = -1
#   location           = 5
#   fuel               = 5
#   coaching           = -1
#   dot_report         = 5
#   firehose_transform = -1
# }
# lambda_account_concurrency_limit = 1000
# dot_map_max_concurrency          = 1
# dot_map_driver_concurrency       = 5
#
# # DynamoDB capacity mode per table: the same in every environment (make capacity ENV=prod prices both
# # modes: steady telemetry tables are provisioned with autoscaling, bursty and idle ones on demand);
# # dev's bounds are small.
# table_billing_modes = {
#   diagnostics = "PROVISIONED"
#   locations   = "PROVISIONED"
#   predictions = "PROVISIONED"
# }
# table_capacity = {
#   diagnostics = { read_min = 5, read_max = 50, write_min = 5, write_max = 100 }
#   locations   = { read_min = 5, read_max = 50, write_min = 5, write_max = 100 }
#   predictions = { read_min = 1, read_max = 10, write_min = 1, write_max = 10 }
# }
#
# node_type                = "cache.t4g.micro"
# num_cache_clusters       = 2
# snapshot_retention_limit = 1
#
# min_capacity          = 0.5
# max_capacity          = 2
# backup_retention_days = 1
#
# visibility_timeout     = 540
# retention_seconds      = 345600
# lifecycle_archive_days = 30
# buffer_interval_s      = 60
# buffer_size_mb         = 64
# log_retention_days     = 14
# ---- staging.tfvars ----
# # staging: production-like at about a quarter of prod's throughput (~58,500 vehicles):
# # gps 1,950 rec/s -> ceil(1.95 x 1.5) = 3 shards; diagnostics 975 rec/s, 4 readers x 0.51 MiB/s
# # / 2 MiB/s = 1.02 -> ceil(1.02 x 1.5) = 2; hos 163 rec/s peak -> 1.
# aws_region  = "us-east-1"
# env         = "staging"
# owner       = "fleet-platform"
# cost_center = "telematics-staging"
#
# deletion_protection = true
# # GOVERNANCE: staging can be torn down (principals with s3:BypassGovernanceRetention can delete
# # reports early); only prod holds records of duty status in COMPLIANCE mode.
# report_object_lock_mode = "GOVERNANCE"
#
# stream_mode             = "PROVISIONED"
# diagnostics_shard_count = 2
# hos_shard_count         = 1
# gps_shard_count         = 3
# retention_hours         = 48
#
# processor_memory       = 512
# anomaly_memory         = 512
# maintenance_memory     = 256
# driver_notifier_memory = 256
# fleet_memory           = 256
# predictive_memory      = 1024
# hos_memory             = 512
# location_memory        = 512
# fuel_memory            = 512
# coaching_memory        = 256
#
# # Timeouts (s), the same in every environment because they bound the code's own downstream calls
# # (make preflight reads them from the handlers): boto3 3 attempts x (3 s connect + 10 s read) ~ 42 s;
# # redis-py 8.1 default 10 retries x (2 s connect + 3 s socket) + backoff ~ 65 s (Redis users: 90);
# # the FMCSA PDF API 3 attempts x (3 s + 30 s) ~ 101 s (dot_report: 120).
# timeout_s = {
#   processor          = 60
#   anomaly            = 90
#   maintenance        = 60
#   driver_notifier    = 60
#   fleet              = 90
#   predictive         = 60
#   hos                = 90
#   hos_report         = 60
#   location           = 90
#   fuel               = 90
#   coaching           = 90
#   dot_report         = 120
#   firehose_transform = 60
# }
#
# # Reserved concurrency (make capacity ENV=staging): shards x parallelization 2 -> location 3x2 = 6 (8),
# # processor/predictive/fuel 2x2 = 4 (5), hos 1x2 = 2 (3), anomaly (table stream shards grow with
# # partitions) 10, SQS consumers 5; dot_report 55 >= the DOT Map's 5 x 10 = 50. Sum 106.
# reserved_concurrency = {
#   processor          = 5
#   anomaly            = 10
#   maintenance        = 5
#   driver_notifier    = 5
#   fleet              = 5
#   predictive         = 5
#   hos                = 3
#   hos_report         = -1
#   location           = 8
#   fuel               = 5
#   coaching           = -1
#   dot_report         = 55
#   firehose_transform = -1
# }
# lambda_account_concurrency_limit = 1000
# dot_map_max_concurrency          = 5
# dot_map_driver_concurrency       = 10
#
# # DynamoDB capacity mode per table (as prod): diagnostics 975 writes/s, locations 1,950 (+ 1,950 GSI),
# # predictions ~10, at the 80 % autoscaling target: 1,219 / 2,438 / 13 units; max >= 1.5x the average.
# table_billing_modes = {
#   diagnostics = "PROVISIONED"
#   locations   = "PROVISIONED"
#   predictions = "PROVISIONED"
# }
# table_capacity = {
#   diagnostics = { read_min = 10, read_max = 250, write_min = 1000, write_max = 3000 }
#   locations   = { read_min = 10, read_max = 500, write_min = 2000, write_max = 6000 }
#   predictions = { read_min = 5, read_max = 50, write_min = 10, write_max = 150 }
# }
#
# node_type                = "cache.r7g.large"
# num_cache_clusters       = 2
# snapshot_retention_limit = 3
#
# min_capacity          = 0.5
# max_capacity          = 8
# backup_retention_days = 7
#
# visibility_timeout     = 540
# retention_seconds      = 345600
# lifecycle_archive_days = 60
# buffer_interval_s      = 300
# buffer_size_mb         = 64
# log_retention_days     = 90
# ---- prod.tfvars ----
# # prod: 234,000 vehicles (docs/contracts.md "Sizing").
# # Kinesis per shard: 1,000 records/s and 1 MiB/s written, 2 MiB/s read (shared by all readers).
# # shards = ceil(max(rec/s / 1000, MiB/s / 1, readers x MiB/s / 2) x 1.5 headroom)
# #   gps:         234,000 / 30 s = 7,800 rec/s; x 300 B = 2.23 MiB/s; 1 reader (location)
# #                max(7.80, 2.23, 1 x 2.23 / 2 = 1.12) = 7.80 x 1.5 = 11.7 -> 12 shards
# #   diagnostics: 234,000 / 60 s = 3,900 rec/s; x 550 B = 2.05 MiB/s; 4 readers
# #                (processor, predictive, fuel, Firehose)
# #                max(3.90, 2.05, 4 x 2.05 / 2 = 4.09) = 4.09 x 1.5 = 6.14 -> 7 shards
# #                (the read side binds: 6 shards would leave 1.47x, under the 1.5x headroom)
# #   hos:         ~12 changes per driver-day = 32.5 rec/s average, 20x at shift change = 650 rec/s
# #                peak; x ~400 B = 0.25 MiB/s; 1 reader: max(0.65, 0.25, 0.12) x 1.5 = 0.98 -> 1;
# #                2 shards so one shift-change burst on a hot partition key cannot throttle.
# # Lambda concurrency: gps 12 shards x parallelization 4 = 48 concurrent location invocations;
# #   per-function reserved_concurrency below (sum 355 of the default 1,000 leaves 645 unreserved;
# #   raise the account limit before adding functions).
# # DynamoDB: per-table capacity modes below (provisioned + autoscaling for the steady telemetry tables).
# # Aurora: one connection per concurrent writer Lambda; 32 ACUs (~64 GiB) -> max_connections 5,000 (cap).
# aws_region  = "us-east-1"
# env         = "prod"
# owner       = "fleet-platform"
# cost_center = "telematics-prod"
#
# deletion_protection     = true
# report_object_lock_mode = "COMPLIANCE"
#
# stream_mode             = "PROVISIONED"
# diagnostics_shard_count = 7
# hos_shard_count         = 2
# gps_shard_count         = 12
# retention_hours         = 168
#
# processor_memory       = 1024
# anomaly_memory         = 1024
# maintenance_memory     = 512
# driver_notifier_memory = 512
# fleet_memory           = 512
# predictive_memory      = 2048
# hos_memory             = 1024
# location_memory        = 1024
# fuel_memory            = 1024
# coaching_memory        = 256
#
# # Timeouts (s), the same in every environment because they bound the code's own downstream calls
# # (make preflight reads them from the handlers): boto3 3 attempts x (3 s connect + 10 s read) ~ 42 s;
# # redis-py 8.1 default 10 retries x (2 s connect + 3 s socket) + backoff ~ 65 s (Redis users: 90);
# # the FMCSA PDF API 3 attempts x (3 s + 30 s) ~ 101 s (dot_report: 120).
# timeout_s = {
#   processor          = 60
#   anomaly            = 90
#   maintenance        = 60
#   driver_notifier    = 60
#   fleet              = 90
#   predictive         = 60
#   hos                = 90
#   hos_report         = 60
#   location           = 90
#   fuel               = 90
#   coaching           = 90
#   dot_report         = 120
#   firehose_transform = 60
# }
#
# # Reserved concurrency (make capacity ENV=prod): shards x parallelization 4 -> location 12x4 = 48 (60 lets
# # it catch up), processor/predictive/fuel 7x4 = 28 (35), hos 2x4 = 8 (10), anomaly 4 table partitions x 4 = 16
# # (40: the table stream's shards grow with its partitions), SQS consumers 10; dot_report 110 >= the DOT
# # Map's 10 x 10 = 100; hos_report, coaching, firehose_transform unreserved. Sum 355 + 100 <= 1,000, so
# # prod, staging (106) and dev (50) fit one default-quota account.
# reserved_concurrency = {
#   processor          = 35
#   anomaly            = 40
#   maintenance        = 10
#   driver_notifier    = 10
#   fleet              = 10
#   predictive         = 35
#   hos                = 10
#   hos_report         = -1
#   location           = 60
#   fuel               = 35
#   coaching           = -1
#   dot_report         = 110
#   firehose_transform = -1
# }
# lambda_account_concurrency_limit = 1000
# dot_map_max_concurrency          = 10
# dot_map_driver_concurrency       = 10
#
# # DynamoDB capacity mode per table (make capacity ENV=prod, capacity_planner.cost): steady telemetry
# # on demand costs ~2.8x provisioned with autoscaling at 80 % (diagnostics 3,900 writes/s, locations
# # 7,800 + 7,800 GSI): PROVISIONED for diagnostics, locations (table and GSI) and predictions (39/s);
# # driver_logs (20x at shift change), compliance_status (daily burst) and the reference tables stay on
# # demand. Minimums near the steady average / 0.8; maximums >= 1.5x the average (make capacity checks).
# table_billing_modes = {
#   diagnostics = "PROVISIONED"
#   locations   = "PROVISIONED"
#   predictions = "PROVISIONED"
# }
# table_capacity = {
#   diagnostics = { read_min = 50, read_max = 1000, write_min = 4000, write_max = 12000 }
#   locations   = { read_min = 50, read_max = 2000, write_min = 8000, write_max = 24000 }
#   predictions = { read_min = 10, read_max = 200, write_min = 50, write_max = 500 }
# }
#
# node_type                = "cache.r7g.xlarge"
# num_cache_clusters       = 3
# snapshot_retention_limit = 7
#
# min_capacity          = 2
# max_capacity          = 32
# backup_retention_days = 35
#
# visibility_timeout     = 540
# retention_seconds      = 345600
# lifecycle_archive_days = 90
# buffer_interval_s      = 300
# buffer_size_mb         = 128
# log_retention_days     = 365
# ==== END EXAMPLE TFVARS ====
