"""The (action, resource ARN) pairs a request needs (harness.emulator.request_resources), per service,
checked against the ARN formats of AWS's Service Authorization Reference."""

from __future__ import annotations

from harness.emulator.request_resources import ApiRequest, resolve

ACCOUNT, REGION = "123456789012", "us-east-1"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:fleettap-dev/redis-auth-AbCdEf"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class Lookups:
    """What the emulator's state would answer (one secret, one key with an alias, one object)."""

    def secret_arn(self, account, region, secret_id):
        known = (
            SECRET_ARN,
            "fleettap-dev/redis-auth",
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:fleettap-dev/redis-auth",
        )
        return SECRET_ARN if secret_id in known else None

    def kms_key_arn(self, account, region, key_id):
        return KEY_ARN if key_id in ("alias/fleettap-dev", KEY_ARN, KEY_ARN.rsplit("/", 1)[1]) else None

    def kms_key_of_ciphertext(self, account, region, blob):
        return KEY_ARN.rsplit("/", 1)[1] if blob == "CIPHERTEXT" else None

    def s3_object_exists(self, account, bucket, key):
        return key == "present.pdf"


def needs(service, operation, params=None, **kwargs):
    request = ApiRequest(service, operation, ACCOUNT, REGION, params or {}, **kwargs)
    return resolve(request, Lookups())


def arn(service, resource):
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def test_dynamodb_tables_indexes_batches_and_transactions():
    table = arn("dynamodb", "table/driver_logs")
    assert needs("dynamodb", "PutItem", {"TableName": "driver_logs"}) == [("dynamodb:PutItem", table)]
    assert needs("dynamodb", "Query", {"TableName": "driver_logs", "IndexName": "by_day"}) == [
        ("dynamodb:Query", f"{table}/index/by_day")
    ]
    assert needs("dynamodb", "BatchWriteItem", {"RequestItems": {"a": [], "b": []}}) == [
        ("dynamodb:BatchWriteItem", arn("dynamodb", "table/a")),
        ("dynamodb:BatchWriteItem", arn("dynamodb", "table/b")),
    ]
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "a"}},
            {"Update": {"TableName": "b"}},
            {"ConditionCheck": {"TableName": "a"}},
            {"Put": {"TableName": "a"}},
        ]
    }
    assert needs("dynamodb", "TransactWriteItems", transaction) == [
        ("dynamodb:PutItem", arn("dynamodb", "table/a")),
        ("dynamodb:UpdateItem", arn("dynamodb", "table/b")),
        ("dynamodb:ConditionCheckItem", arn("dynamodb", "table/a")),
    ]
    assert needs("dynamodb", "ListTables") == [("dynamodb:ListTables", "*")]


def test_sqs_queue_url_of_any_host_is_the_queue_arn():
    assert needs("sqs", "SendMessage", {"QueueUrl": f"http://127.0.0.1:4566/{ACCOUNT}/training"}) == [
        ("sqs:SendMessage", arn("sqs", "training"))
    ]
    assert needs("sqs", "ReceiveMessage", {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/210987654321/q"}) == [
        ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:210987654321:q")
    ]
    assert needs("sqs", "GetQueueUrl", {"QueueName": "q"}) == [("sqs:GetQueueUrl", arn("sqs", "q"))]


def test_sns_topic_and_subscription():
    topic = arn("sns", "vehicle-alerts")
    assert needs("sns", "Publish", {"TopicArn": [topic]}) == [("sns:Publish", topic)]
    assert needs("sns", "Unsubscribe", {"SubscriptionArn": [f"{topic}:4f3c"]}) == [("sns:Unsubscribe", topic)]


def test_kinesis_stream_by_name_or_arn():
    stream = arn("kinesis", "stream/diagnostics")
    assert needs("kinesis", "PutRecords", {"StreamName": "diagnostics"}) == [("kinesis:PutRecords", stream)]
    assert needs("kinesis", "GetShardIterator", {"StreamARN": stream}) == [("kinesis:GetShardIterator", stream)]


def test_s3_object_lock_and_missing_keys():
    obj = "arn:aws:s3:::reports/present.pdf"
    assert needs("s3", "PutObject", s3_resource=obj) == [("s3:PutObject", obj)]
    locked = needs("s3", "PutObject", s3_resource=obj, headers={"x-amz-object-lock-retain-until-date": "2033-01-01"})
    assert locked == [("s3:PutObject", obj), ("s3:PutObjectRetention", obj)]
    assert needs("s3", "GetObject", s3_resource=obj) == [("s3:GetObject", obj)]
    assert needs("s3", "GetObject", s3_resource="arn:aws:s3:::reports/missing.pdf") == [
        ("s3:GetObject", "arn:aws:s3:::reports/missing.pdf"),
        ("s3:ListBucket", "arn:aws:s3:::reports"),
    ]
    assert needs("s3", "ListObjectsV2", s3_resource="arn:aws:s3:::reports") == [
        ("s3:ListBucket", "arn:aws:s3:::reports")
    ]


def test_secrets_manager_any_secret_id_form_is_the_full_arn():
    for secret_id in ("fleettap-dev/redis-auth", SECRET_ARN, arn("secretsmanager", "secret:fleettap-dev/redis-auth")):
        assert needs("secretsmanager", "GetSecretValue", {"SecretId": secret_id}) == [
            ("secretsmanager:GetSecretValue", SECRET_ARN)
        ]
    assert needs("secretsmanager", "GetSecretValue", {"SecretId": "nope"}) == [
        ("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:nope"))
    ]


def test_lambda_function_name_forms_and_qualifiers():
    function = arn("lambda", "function:fleettap-dev-dot-report")
    path = "/2015-03-31/functions/{}/invocations"
    assert needs("lambda", "Invoke", path=path.format("fleettap-dev-dot-report")) == [
        ("lambda:InvokeFunction", function)
    ]
    assert needs("lambda", "Invoke", path=path.format(function.replace(":", "%3A"))) == [
        ("lambda:InvokeFunction", function)
    ]
    assert needs("lambda", "Invoke", path=path.format(f"{ACCOUNT}:function:fleettap-dev-dot-report:live")) == [
        ("lambda:InvokeFunction", f"{function}:live")
    ]
    assert needs(
        "lambda", "GetFunction", {"Qualifier": ["3"]}, path="/2015-03-31/functions/fleettap-dev-dot-report"
    ) == [("lambda:GetFunction", f"{function}:3")]


def test_step_functions_machine_and_execution():
    machine = arn("states", "stateMachine:dot")
    execution = arn("states", "execution:dot:run-1")
    assert needs("states", "StartExecution", {"stateMachineArn": machine}) == [("states:StartExecution", machine)]
    assert needs("states", "DescribeExecution", {"executionArn": execution}) == [
        ("states:DescribeExecution", execution)
    ]


def test_cloudwatch_metrics_on_star_alarms_by_arn():
    assert needs("monitoring", "PutMetricData", {"Namespace": "fleettap"}) == [("cloudwatch:PutMetricData", "*")]
    assert needs("monitoring", "DescribeAlarms", {"AlarmNames": ["lag"]}) == [
        ("cloudwatch:DescribeAlarms", arn("cloudwatch", "alarm:lag"))
    ]


def test_firehose_sagemaker_glue_athena():
    assert needs("firehose", "PutRecordBatch", {"DeliveryStreamName": "lake"}) == [
        ("firehose:PutRecordBatch", arn("firehose", "deliverystream/lake"))
    ]
    assert needs("sagemaker", "InvokeEndpoint", path="/endpoints/Fleettap-Dev-Predictor/invocations") == [
        ("sagemaker:InvokeEndpoint", arn("sagemaker", "endpoint/fleettap-dev-predictor"))
    ]
    assert needs("glue", "GetTable", {"DatabaseName": "lake", "Name": "diagnostics"}) == [
        ("glue:GetTable", arn("glue", "catalog")),
        ("glue:GetTable", arn("glue", "database/lake")),
        ("glue:GetTable", arn("glue", "table/lake/diagnostics")),
    ]
    assert needs("glue", "StartCrawler", {"Name": "lake"}) == [("glue:StartCrawler", arn("glue", "crawler/lake"))]
    assert needs("athena", "StartQueryExecution", {"WorkGroup": "fleet"}) == [
        ("athena:StartQueryExecution", arn("athena", "workgroup/fleet"))
    ]


def test_kms_key_by_alias_id_or_ciphertext():
    assert needs("kms", "GenerateDataKey", {"KeyId": "alias/fleettap-dev"}) == [("kms:GenerateDataKey", KEY_ARN)]
    assert needs("kms", "Decrypt", {"CiphertextBlob": "CIPHERTEXT"}) == [("kms:Decrypt", KEY_ARN)]
    assert needs("kms", "ListKeys") == [("kms:ListKeys", "*")]


def test_an_unknown_service_or_operation_is_asked_for_on_star():
    assert needs("events", "PutEvents", {"Entries": []}) == [("events:PutEvents", "*")]
    assert needs("sts", "AssumeRole", {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}) == [
        ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/r")
    ]


def test_elasticache_replication_group_and_cluster():
    group = arn("elasticache", "replicationgroup:fleettap-dev-redis")
    assert needs("elasticache", "ModifyReplicationGroup", {"ReplicationGroupId": "fleettap-dev-redis"}) == [
        ("elasticache:ModifyReplicationGroup", group)
    ]
    assert needs("elasticache", "DescribeCacheClusters", {"CacheClusterId": "fleettap-dev-redis-001"}) == [
        ("elasticache:DescribeCacheClusters", arn("elasticache", "cluster:fleettap-dev-redis-001"))
    ]
    assert needs("elasticache", "DescribeReplicationGroups") == [("elasticache:DescribeReplicationGroups", "*")]
