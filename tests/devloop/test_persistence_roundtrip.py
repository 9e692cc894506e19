"""harness.emulator.persistence in one process: what moto holds survives a save, a reset of every
backend (what a new emulator process starts with) and a restore, faithfully."""

from __future__ import annotations

import io
import json
import pickle
import time
import zipfile

import boto3
import pytest

from harness.emulator import persistence


@pytest.fixture
def moto(monkeypatch):
    from moto import mock_aws

    # tests/handlers/handler_stack.py may have left an endpoint in the environment: in-process only.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def restart(blob: bytes) -> dict:
    """What an emulator restart does to the backends: all gone, then the snapshot loaded."""
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    return persistence.loads(blob)


def test_streams_tables_keys_roles_queues_functions_objects_and_secrets_survive(moto):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="telemetry", ShardCount=1)
    kinesis.put_record(StreamName="telemetry", Data=b'{"v":1}', PartitionKey="VH-1")
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="logs",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    dynamodb.put_item(TableName="logs", Item={"k": {"S": "1"}, "n": {"N": "42"}})
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/data", TargetKeyId=key)
    ciphertext = kms.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kinesis:GetRecords", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="fn", PolicyName="read", PolicyDocument=json.dumps(policy))
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(e, c):\n    return 1\n")
    lam = boto3.client("lambda")
    lam.create_function(
        FunctionName="fn", Runtime="python3.12", Role=role, Handler="h.handler", Code={"ZipFile": code.getvalue()}
    )
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="fleettap-lake")
    s3.put_object(Bucket="fleettap-lake", Key="a/b.parquet", Body=b"PAR1")
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="db", SecretString='{"password": "p"}', KmsKeyId=key)

    blob = persistence.dumps("lineage-1", {("uuid-1", "shardId-000000000000"): "49"})
    header = persistence.read_header(blob)
    assert header["state_id"] == "lineage-1" and {"kinesis", "dynamodb", "kms", "iam"} <= set(header["services"])

    restored = restart(blob)

    assert restored["state_id"] == "lineage-1"
    assert restored["checkpoints"] == {("uuid-1", "shardId-000000000000"): "49"}
    iterator = kinesis.get_shard_iterator(
        StreamName="telemetry", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == [b'{"v":1}']
    assert dynamodb.get_item(TableName="logs", Key={"k": {"S": "1"}})["Item"]["n"] == {"N": "42"}
    assert dynamodb.describe_table(TableName="logs")["Table"]["LatestStreamArn"]
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"secret"
    assert kms.encrypt(KeyId="alias/data", Plaintext=b"x")["KeyId"].endswith(key)
    verified = kms.verify(KeyId=signing, Message=b"m", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert verified["SignatureValid"]
    assert iam.get_role(RoleName="fn")["Role"]["Arn"] == role
    assert json.loads(json.dumps(iam.get_role_policy(RoleName="fn", PolicyName="read")["PolicyDocument"])) == policy
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"] == "hello"
    assert lam.get_function(FunctionName="fn")["Configuration"]["Role"] == role
    assert s3.get_object(Bucket="fleettap-lake", Key="a/b.parquet")["Body"].read() == b"PAR1"
    assert json.loads(secrets.get_secret_value(SecretId="db")["SecretString"]) == {"password": "p"}
    # What is restored keeps working: a second write and another save/restore.
    dynamodb.put_item(TableName="logs", Item={"k": {"S": "2"}})
    lam.update_function_code(FunctionName="fn", ZipFile=code.getvalue())
    restart(persistence.dumps("lineage-1"))
    assert dynamodb.scan(TableName="logs")["Count"] == 2


def test_a_snapshot_of_another_moto_version_is_refused(moto, tmp_path, caplog):
    boto3.client("sqs").create_queue(QueueName="q")
    blob = persistence.dumps("x")
    stream = io.BytesIO(blob)
    header = pickle.load(stream)
    forged = pickle.dumps({**header, "moto": "0.0.1"}) + stream.read()
    with pytest.raises(ValueError, match="moto 0.0.1"):
        persistence.loads(forged)
    path = persistence.snapshot_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(forged)
    assert persistence.restore(tmp_path) is None  # logged, and the emulator starts empty
    assert "not restoring" in caplog.text


def test_save_is_atomic_and_restore_without_a_snapshot_is_none(moto, tmp_path):
    assert persistence.restore(tmp_path) is None
    boto3.client("sqs").create_queue(QueueName="q")
    path = persistence.save(tmp_path, "id")
    assert path.exists() and not path.with_suffix(".tmp").exists()
    assert persistence.read_header(path.read_bytes())["saved_at"] <= time.time()


def test_persistence_is_on_unless_turned_off(monkeypatch):
    monkeypatch.delenv(persistence.PERSISTENCE_ENV, raising=False)
    assert persistence.enabled()
    for off in ("0", "off", "false", "no"):
        monkeypatch.setenv(persistence.PERSISTENCE_ENV, off)
        assert not persistence.enabled()


def test_the_interpreters_state_machines_survive(moto):
    """The local stack runs state machines in moto's Step Functions interpreter, whose backend
    get_backend does not name (persistence.EXTRA_BACKENDS): after a restart the DOT workflow's state
    machine must still be there, or a skipped apply leaves the stack without it."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    machine = backend.create_state_machine(
        name="dot-reporting", definition=definition, roleArn="arn:aws:iam::123456789012:role/sfn"
    )
    blob = persistence.dumps("state-1")
    restored = restart(blob)
    assert "stepfunctions_parser" in restored["services"]
    again = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    assert [m.arn for m in again.state_machines] == [machine.arn]


def test_a_state_machine_that_has_run_executions_is_saved_with_their_records(moto, monkeypatch):
    """A DOT run leaves executions (with their interpreter's worker, threads and locks) in the backend:
    the snapshot must still be written, or `make down` loses the whole stack (it did: PicklingError on
    `_thread.lock`, and the next `make up` started empty)."""
    from moto.core.config import default_user_config

    # The emulator runs state machines in moto's interpreter (harness.runtime.hooks).
    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    sfn = boto3.client("stepfunctions")
    definition = json.dumps(
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        }
    )
    machine = sfn.create_state_machine(
        name="dot-reporting", definition=definition, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": [1, 2, 3]}))["executionArn"]
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.05)
    restart(persistence.dumps("state-1"))
    again = boto3.client("stepfunctions")
    assert [m["stateMachineArn"] for m in again.list_state_machines()["stateMachines"]] == [machine]
    described = again.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [1, 2, 3]
