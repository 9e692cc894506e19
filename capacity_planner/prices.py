"""AWS list prices the cost arithmetic uses: us-east-1, on-demand, USD, per service.

PRICES_AS_OF is the date of the price pages these figures were copied from (DynamoDB's on-demand
prices are the ones after the 2024-11-01 reduction). They are not fetched at run time: re-check them
against the AWS pricing pages or the Price List API (`aws pricing get-products`) before a budget
decision, and change the date with them. Free tiers and volume discounts (S3 beyond 50 TB, Firehose
beyond 500 TB) are ignored: at this fleet's volume they move the total by well under 1 %.
"""

from __future__ import annotations

PRICES_AS_OF = "2025-01-15"
REGION = "us-east-1"
HOURS_PER_MONTH = 730  # AWS's billing month for hourly prices
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600

# Kinesis Data Streams, provisioned mode.
KINESIS_SHARD_HOUR = 0.015
KINESIS_PUT_PAYLOAD_UNITS_PER_MILLION = 0.014  # one unit = a record's 25 KB chunk
KINESIS_PUT_PAYLOAD_UNIT_BYTES = 25 * 1024
KINESIS_EXTENDED_RETENTION_SHARD_HOUR = 0.020  # retention above 24 h, up to 7 days

# Lambda, x86_64 (the functions' architecture: tap_stack.tf sets none, so x86_64).
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUESTS_PER_MILLION = 0.20

# DynamoDB, Standard table class.
DYNAMODB_ON_DEMAND_WRITE_PER_MILLION = 0.625  # write request units
DYNAMODB_ON_DEMAND_READ_PER_MILLION = 0.125  # read request units
DYNAMODB_WCU_HOUR = 0.00065
DYNAMODB_RCU_HOUR = 0.00013
DYNAMODB_STORAGE_GB_MONTH = 0.25
DYNAMODB_PITR_GB_MONTH = 0.20

# ElastiCache for Redis OSS, on-demand node-hours.
ELASTICACHE_NODE_HOUR: dict[str, float] = {
    "cache.t4g.micro": 0.016,
    "cache.t4g.small": 0.032,
    "cache.t4g.medium": 0.065,
    "cache.t3.micro": 0.017,
    "cache.t3.small": 0.034,
    "cache.t3.medium": 0.068,
    "cache.m6g.large": 0.149,
    "cache.m6g.xlarge": 0.298,
    "cache.r6g.large": 0.206,
    "cache.r6g.xlarge": 0.411,
    "cache.r6g.2xlarge": 0.821,
    "cache.m7g.large": 0.158,
    "cache.m7g.xlarge": 0.315,
    "cache.r7g.large": 0.219,
    "cache.r7g.xlarge": 0.437,
    "cache.r7g.2xlarge": 0.873,
}

# Aurora PostgreSQL Serverless v2.
AURORA_ACU_HOUR_STANDARD = 0.12
AURORA_ACU_HOUR_IO_OPTIMIZED = 0.16
AURORA_STORAGE_GB_MONTH_STANDARD = 0.10
AURORA_STORAGE_GB_MONTH_IO_OPTIMIZED = 0.225
AURORA_IO_PER_MILLION = 0.20  # Standard only; I/O-Optimized includes I/O

# Data Firehose, Kinesis Data Streams as source.
FIREHOSE_INGEST_GB = 0.029  # each record billed rounded up to 5 KB
FIREHOSE_RECORD_BILLING_BYTES = 5 * 1024
FIREHOSE_FORMAT_CONVERSION_GB = 0.018
FIREHOSE_DYNAMIC_PARTITIONING_GB = 0.020
FIREHOSE_DYNAMIC_PARTITIONING_OBJECTS_PER_1000 = 0.005

# S3.
S3_STANDARD_GB_MONTH = 0.023
S3_GLACIER_IR_GB_MONTH = 0.004
S3_GLACIER_FLEXIBLE_GB_MONTH = 0.0036
S3_PUT_PER_1000 = 0.005
S3_GET_PER_1000 = 0.0004

# Networking.
NAT_GATEWAY_HOUR = 0.045
NAT_GATEWAY_GB = 0.045
VPC_INTERFACE_ENDPOINT_AZ_HOUR = 0.01
VPC_INTERFACE_ENDPOINT_GB = 0.01

# Athena (for the bytes-scanned cutoff's arithmetic).
ATHENA_TB_SCANNED = 5.0
