"""The emulator's keep-alive server (cheroot) serves moto's app like werkzeug did, on kept connections."""

from __future__ import annotations

import http.client
import json
import socket
import uuid

import boto3
import pytest

from harness.emulator import fast_responses, patches
from harness.emulator.keepalive_server import KeepAliveMotoServer, emulator_server
from harness.emulator.retry_replay import ReplayingMotoServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    patches.apply_all()
    running = KeepAliveMotoServer(ip_address="127.0.0.1", port=_free_port())
    running.start()
    yield running
    running.stop()


def _client(server, service: str):
    host, port = server.get_host_and_port()
    return boto3.client(
        service,
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _target_call(connection: http.client.HTTPConnection, invocation: str) -> tuple[int, dict, str | None]:
    connection.request(
        "POST",
        "/",
        body=json.dumps({"Limit": 10000}),  # every stream: other tests of the session create theirs
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.ListStreams",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, "
            "SignedHeaders=host, Signature=x",
            "amz-sdk-invocation-id": invocation,
        },
    )
    response = connection.getresponse()
    body = json.loads(response.read())
    return response.status, body, response.getheader("Connection")


def test_one_connection_carries_many_requests(server):
    host, port = server.get_host_and_port()
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.connect()
    first_socket = connection.sock
    answers = [_target_call(connection, str(uuid.uuid4())) for _ in range(5)]
    assert all(status == 200 and "StreamNames" in body for status, body, _ in answers)
    assert {header for _, _, header in answers} != {"close"}
    assert connection.sock is first_socket  # never reopened
    connection.close()


def test_many_clients_keep_their_connections(server):
    """cheroot's default closes every connection past its tenth; the stack has dozens of clients."""
    host, port = server.get_host_and_port()
    connections = [http.client.HTTPConnection(host, port, timeout=10) for _ in range(40)]
    try:
        for round_ in range(2):
            for index, connection in enumerate(connections):
                status, _, header = _target_call(connection, f"many-{round_}-{index}-{uuid.uuid4()}")
                assert status == 200
                assert header != "close", f"connection {index} closed by the server in round {round_}"
    finally:
        for connection in connections:
            connection.close()


def test_a_retried_call_is_replayed_on_the_keep_alive_server(server):
    kinesis = _client(server, "kinesis")
    name = f"ka-{uuid.uuid4().hex[:6]}"
    host, port = server.get_host_and_port()
    connection = http.client.HTTPConnection(host, port, timeout=10)
    invocation = str(uuid.uuid4())
    status, first, _ = _target_call(connection, invocation)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    status_again, again, _ = _target_call(connection, invocation)  # same invocation id: the first answer
    assert status == status_again == 200 and again == first and name not in again["StreamNames"]
    assert name in _target_call(connection, str(uuid.uuid4()))[1]["StreamNames"]


def test_services_the_stack_uses_answer_through_it(server):
    s3 = _client(server, "s3")
    bucket = f"ka-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    body = bytes(range(256)) * 4096  # 1 MiB
    s3.put_object(Bucket=bucket, Key="k", Body=body, Metadata={"run-id": "r1"})
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == body and got["Metadata"] == {"run-id": "r1"}
    sqs = _client(server, "sqs")
    url = sqs.create_queue(QueueName=f"ka-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="ünï")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == ["ünï"]
    kinesis = _client(server, "kinesis")
    name = f"ka-{uuid.uuid4().hex[:6]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    put = kinesis.put_records(StreamName=name, Records=[{"Data": b"\x00\xff", "PartitionKey": "p"}] * 3)
    assert put["FailedRecordCount"] == 0
    missing = pytest.raises(kinesis.exceptions.ResourceNotFoundException)
    with missing:
        kinesis.describe_stream(StreamName="no-such-stream")


def test_the_fast_paths_switch_picks_the_server(monkeypatch):
    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "on")
    assert isinstance(emulator_server("127.0.0.1", 0), KeepAliveMotoServer)
    monkeypatch.setenv(fast_responses.FAST_PATHS_ENV, "off")
    assert type(emulator_server("127.0.0.1", 0)) is ReplayingMotoServer
