"""The session `local_stack` fixture gives real, reachable services."""

from __future__ import annotations

import json
import urllib.request

import boto3


def test_postgres_has_the_application_database(pg_connection, local_stack):
    row = pg_connection.execute("SELECT current_database(), current_user").fetchone()
    assert row == ("fleettap", "fleettap")
    assert local_stack.postgres_host == "127.0.0.1"


def test_redis_round_trip(redis_client):
    redis_client.set("foundation:probe", "ok", ex=30)
    assert redis_client.get("foundation:probe") == "ok"
    assert redis_client.info("server")["redis_version"].startswith("7.")


def test_boto3_reaches_the_emulator_through_the_environment(aws_env):
    sqs = boto3.client("sqs")  # no endpoint argument: AWS_ENDPOINT_URL from aws_env routes it
    url = sqs.create_queue(QueueName="foundation-probe")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [message["Body"] for message in messages] == ["hello"]
    assert aws_env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")


def test_aws_client_factory_is_bound_to_the_stack(aws_client):
    identity = aws_client("sts").get_caller_identity()
    assert identity["Account"].isdigit()


def test_stack_json_describes_the_fixture(local_stack):
    data = json.loads((__import__("pathlib").Path(local_stack.state_dir) / "stack.json").read_text())
    assert data["redis"]["port"] == local_stack.redis_port
    assert set(data["pids"]) >= {"postgres", "redis", "aws"}


def test_mock_api_health(mock_api_url):
    with urllib.request.urlopen(f"{mock_api_url}/health", timeout=5) as response:
        assert response.status == 200
