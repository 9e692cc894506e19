"""`python -m operations.replay --function FN [--env ENV] [--target local|aws] [--dry-run]` (make replay-failures).

FN is a function key of docs/contracts.md (`anomaly`, `driver_notifier`) or a deployed function's
full name. TARGET=local talks to the running local stack (its endpoint from `harness.config`, the
emulator's admin credentials); TARGET=aws uses boto3's normal credential chain (profile, SSO,
environment) and region. Prints one line per destination message and a summary; exit status 1
when any batch could not be replayed (it stays in the destination), 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys

import boto3
from botocore.config import Config

from operations.replay.drain import DEFAULT_VISIBILITY_S, Clients, Drain, Outcome

DEFAULT_PROJECT = "fleettap"
# The replay invokes synchronously: allow the longest Lambda timeout, and do not let botocore
# retry an invoke on its own (a retry is this tool's decision, made by leaving the message).
_CONFIG = Config(read_timeout=905, connect_timeout=10, retries={"max_attempts": 1, "mode": "standard"})


def function_name(function: str, env: str, project: str) -> str:
    """`anomaly` -> `fleettap-dev-anomaly`, `driver_notifier` -> `fleettap-dev-driver-notifier`; a name
    that already starts with `<project>-` is used as given."""
    if function.startswith(f"{project}-") or function.startswith("arn:"):
        return function
    return f"{project}-{env}-{function.replace('_', '-')}"


def make_clients(target: str, region: str | None) -> Clients:
    if target == "local":
        from harness.config import read_stack

        stack = read_stack()
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=region or stack.region
        )
        endpoint: str | None = stack.aws_endpoint
    else:
        session = boto3.session.Session(region_name=region)
        endpoint = None
        if not session.region_name:
            raise SystemExit("no AWS region: pass --region or set AWS_REGION / a profile region")

    def make(service: str):
        return session.client(service, endpoint_url=endpoint, config=_CONFIG)

    return Clients(make("lambda"), make("sqs"), make("kinesis"), make("dynamodbstreams"), session.region_name)


def _line(outcome: Outcome) -> str:
    where = outcome.batch.describe() if outcome.batch else "-"
    return f"{outcome.status:<13} {where}\n              {outcome.detail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--function", required=True, help="function key (anomaly, processor, ...) or full name")
    parser.add_argument("--env", default="dev")
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument("--region", default=None)
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed; invoke and delete nothing")
    parser.add_argument("--max-batches", type=int, default=1000)
    parser.add_argument("--visibility-timeout", type=int, default=DEFAULT_VISIBILITY_S)
    args = parser.parse_args(argv)

    name = function_name(args.function, args.env, args.project)
    drain = Drain(
        make_clients(args.target, args.region),
        name,
        dry_run=args.dry_run,
        max_batches=args.max_batches,
        visibility_s=args.visibility_timeout,
    )
    try:
        outcomes = drain.run()
    except LookupError as missing:
        print(f"replay-failures: {missing}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(_line(outcome))
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to replay"
    print(f"{name}: {summary}")
    return 1 if any(o.status in ("failed", "expired") for o in outcomes) else 0
