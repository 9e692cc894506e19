"""`make down` / `make up` keeps the stack's state (like LocalStack's PERSISTENCE=1): the emulator's
resources and data (Kinesis records, DynamoDB items, KMS keys, IAM roles), Redis keys and Postgres
rows, with the same emulator state id, so an unchanged `make sim` skips its apply afterwards.
Real processes, through `python -m harness up|down|env|status`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import psycopg
import pytest
import redis

from harness import services
from harness.config import REPO_ROOT, read_stack
from harness.deploy_fingerprint import emulator_state_id
from tests.conftest import distinct_free_ports, make_state_dir
from tests.foundation.stack_cli import run_harness, stack_environment


@pytest.fixture
def state():
    directory = make_state_dir("fleettap-persist-")
    yield directory
    services.down(directory)
    shutil.rmtree(directory, ignore_errors=True)


def clients(info):
    return info.admin_client


def test_down_and_up_keep_the_emulator_redis_and_postgres(state):
    env = stack_environment(state, distinct_free_ports(4))
    assert run_harness("up", env).returncode == 0
    info = read_stack(state)
    aws = clients(info)
    aws("kinesis").create_stream(StreamName="telemetry", ShardCount=1)
    aws("kinesis").get_waiter("stream_exists").wait(StreamName="telemetry", WaiterConfig={"Delay": 0.2})
    aws("kinesis").put_record(StreamName="telemetry", Data=b"r1", PartitionKey="VH-1")
    aws("dynamodb").create_table(
        TableName="logs",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    aws("dynamodb").put_item(TableName="logs", Item={"k": {"S": "driver-1"}})
    key = aws("kms").create_key()["KeyMetadata"]["KeyId"]
    ciphertext = aws("kms").encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
    aws("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")
    redis.Redis(host=info.redis_host, port=info.redis_port).set("window:VH-1", "3")
    with psycopg.connect(info.postgres_dsn, autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (n int)")
        connection.execute("INSERT INTO kept VALUES (7)")
    lineage = emulator_state_id(state)
    assert lineage

    down = run_harness("down", env)
    assert down.returncode == 0, down.stderr
    assert (state / "emulator" / "backends.pickle").exists()
    up = run_harness("up", env)
    assert up.returncode == 0, up.stderr

    info = read_stack(state)
    aws = clients(info)
    assert emulator_state_id(state) == lineage
    iterator = aws("kinesis").get_shard_iterator(
        StreamName="telemetry", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert [r["Data"] for r in aws("kinesis").get_records(ShardIterator=iterator)["Records"]] == [b"r1"]
    assert aws("dynamodb").get_item(TableName="logs", Key={"k": {"S": "driver-1"}})["Item"]
    assert aws("kms").decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"secret"
    assert aws("iam").get_role(RoleName="fn")["Role"]["RoleName"] == "fn"
    assert redis.Redis(host=info.redis_host, port=info.redis_port).get("window:VH-1") == b"3"
    with psycopg.connect(info.postgres_dsn) as connection:
        assert connection.execute("SELECT n FROM kept").fetchone() == (7,)

    # The shell's view of it: `eval "$(make -s env)"` and `make status` as JSON.
    exported = run_harness("env", env).stdout
    assert f"export AWS_ENDPOINT_URL={info.aws_endpoint}" in exported
    assert "export AWS_ACCESS_KEY_ID=test" in exported and "unset AWS_PROFILE" in exported
    shell = subprocess.run(
        ["bash", "-c", f'{exported}\necho "$AWS_ENDPOINT_URL $PGPORT $AWS_DEFAULT_REGION"'],
        capture_output=True,
        text=True,
    )
    assert shell.stdout.split() == [info.aws_endpoint, str(info.postgres_port), info.region]


def test_status_json_and_persistence_off(state):
    env = stack_environment(state, distinct_free_ports(4), FLEETTAP_PERSISTENCE="0")
    assert run_harness("up", env).returncode == 0
    shown = subprocess.run(
        [sys.executable, "-m", "harness", "status", "--json"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    table = json.loads(shown.stdout)
    assert table["healthy"] and {row["name"] for row in table["services"]} >= {"aws", "redis", "postgres"}
    assert json.loads((state / "emulator.json").read_text())["persistence"] is False
    assert run_harness("down", env).returncode == 0
    assert not (state / "emulator" / "backends.pickle").exists(), "FLEETTAP_PERSISTENCE=0 saves nothing"
