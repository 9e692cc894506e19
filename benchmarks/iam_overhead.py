"""Per-request cost of IAM enforcement: `python -m benchmarks.iam_overhead [--calls 2000]`.

An in-process emulator (moto server with the emulator's patches) on a free port; the same DynamoDB
PutItem, SQS SendMessage and SNS Publish calls are made through boto3 with the admin `test` key
(never authorized), and with a role session's credentials with enforcement on and off
(FLEETTAP_IAM_ENFORCEMENT, read per request), in alternating rounds so that a busy machine weighs
on every variant alike. Prints the median time per call of each variant and the time spent in the
authorization itself (`iam_enforcement.check`, timed in the server) per authorized call. The role's
policy has 12 statements, like the stack's function roles.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import time

import boto3
from moto.server import ThreadedMotoServer

from harness.emulator import iam_enforcement, patches

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clients(endpoint: str, **credentials: str) -> dict:
    session = boto3.session.Session(region_name=REGION, **credentials)
    return {name: session.client(name, endpoint_url=endpoint) for name in ("dynamodb", "sqs", "sns")}


def _calls(clients: dict, table: str, queue: str, topic: str, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        clients["dynamodb"].put_item(TableName=table, Item={"id": {"S": str(i % 50)}})
        clients["sqs"].send_message(QueueUrl=queue, MessageBody="x")
        clients["sns"].publish(TopicArn=topic, Message="x")
    return (time.perf_counter() - started) / (3 * n) * 1000


def _time_checks() -> list[float]:
    """Wrap the enforcement hook to add up the seconds it runs: [running total, authorized calls' total]."""
    spent = [0.0, 0.0]
    check = iam_enforcement.check

    def timed(response, resource="*"):
        started = time.perf_counter()
        try:
            return check(response, resource)
        finally:
            spent[0] += time.perf_counter() - started

    iam_enforcement.check = timed
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls of each of the three APIs per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    patches.apply_all()
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        admin = _clients(endpoint, aws_access_key_id="test", aws_secret_access_key="test")
        table = "bench"
        admin["dynamodb"].create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        queue = admin["sqs"].create_queue(QueueName="bench")["QueueUrl"]
        queue_arn = admin["sqs"].get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
        topic = admin["sns"].create_topic(Name="bench")["TopicArn"]
        iam = boto3.client(
            "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
        )
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        statements = [
            {"Effect": "Allow", "Action": [f"dynamodb:Get{i}"], "Resource": f"arn:aws:dynamodb:*:*:table/t{i}"}
            for i in range(9)
        ] + [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem"],
                "Resource": f"arn:aws:dynamodb:{REGION}:123456789012:table/{table}",
            },
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queue_arn["QueueArn"]},
            {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": topic},
        ]
        iam.put_role_policy(
            RoleName="bench",
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        sts = boto3.client(
            "sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
        )
        session = sts.assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
        role_clients = _clients(
            endpoint,
            aws_access_key_id=session["AccessKeyId"],
            aws_secret_access_key=session["SecretAccessKey"],
            aws_session_token=session["SessionToken"],
        )
        _calls(role_clients, table, queue, topic, 50)  # warm-up: connections, caches
        _calls(admin, table, queue, topic, 50)
        spent = _time_checks()
        results: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for label, clients, enforcement in (
                ("admin key", admin, "on"),
                ("role session, enforcement off", role_clients, "off"),
                ("role session, enforcement on", role_clients, "on"),
            ):
                os.environ["FLEETTAP_IAM_ENFORCEMENT"] = enforcement
                before = spent[0] if enforcement == "on" and clients is role_clients else None
                results.setdefault(label, []).append(_calls(clients, table, queue, topic, args.calls))
                if before is not None:
                    spent[1] += spent[0] - before
        os.environ.pop("FLEETTAP_IAM_ENFORCEMENT", None)
        medians = {label: statistics.median(values) for label, values in results.items()}
        for label, ms in medians.items():
            print(f"{label:<34} {ms:6.3f} ms per call (median of {args.rounds} rounds)")
        off, on = medians["role session, enforcement off"], medians["role session, enforcement on"]
        print(f"{'on / off':<34} {on / off:6.3f}x")
        authorized = 3 * args.calls * args.rounds
        print(f"{'authorization (check) per call':<34} {spent[1] / authorized * 1000:6.3f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
