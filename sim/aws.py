"""AWS clients and deployed names, from configuration only: the same code talks to moto,
LocalStack or AWS. Endpoint: the one given, else AWS_ENDPOINT_URL, else AWS itself. The simulator
does not look for a local stack; the caller that knows one (scenario_runner, loadtest) passes its
endpoint or sets AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROJECT = "fleettap"
DEFAULT_ENV = "dev"
STREAM_KINDS = ("diagnostics", "hos", "gps")


def endpoint_and_region() -> tuple[str | None, str]:
    """(AWS_ENDPOINT_URL or None, AWS_DEFAULT_REGION / AWS_REGION or us-east-1)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    return endpoint, region


def client(service: str, *, endpoint: str | None = None, region: str | None = None, max_attempts: int = 3):
    """A boto3 client; the sinks do their own retries, so botocore's are kept few."""
    default_endpoint, default_region = endpoint_and_region()
    endpoint = endpoint or default_endpoint
    if endpoint and not os.environ.get("AWS_ACCESS_KEY_ID") and _is_local(endpoint):
        # The local emulator accepts any credentials; do not go looking for real ones.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region or default_region,
        config=Config(retries={"max_attempts": max_attempts, "mode": "standard"}, max_pool_connections=32),
    )


def _is_local(endpoint: str) -> bool:
    return any(host in endpoint for host in ("127.0.0.1", "localhost", "0.0.0.0"))


def project_and_env() -> tuple[str, str]:
    return (os.environ.get("FLEETTAP_PROJECT", DEFAULT_PROJECT), os.environ.get("FLEETTAP_ENV", DEFAULT_ENV))


def resource_name(name: str, project: str | None = None, env: str | None = None) -> str:
    default_project, default_env = project_and_env()
    return f"{project or default_project}-{env or default_env}-{name}"


def resolve_streams(kinesis, project: str | None = None, env: str | None = None) -> dict:
    """kind -> stream name: `<project>-<env>-<kind>` when it exists, else the one stream whose
    name ends in `-<kind>` (a stack deployed with custom names)."""
    names = list_stream_names(kinesis)
    streams = {}
    for kind in STREAM_KINDS:
        wanted = resource_name(kind, project, env)
        if wanted in names:
            streams[kind] = wanted
            continue
        candidates = [name for name in names if name.endswith(f"-{kind}")]
        if len(candidates) != 1:
            raise LookupError(f"no unique Kinesis stream for {kind!r} (wanted {wanted}; found {candidates})")
        streams[kind] = candidates[0]
    return streams


def list_stream_names(kinesis) -> list[str]:
    """All stream names. Pages by ExclusiveStartStreamName until a page adds nothing new, since
    some emulators cap a page at 10 names yet answer HasMoreStreams=false."""
    names: list[str] = []
    kwargs: dict = {}
    while True:
        page = kinesis.list_streams(**kwargs).get("StreamNames", [])
        fresh = [name for name in page if name not in names]
        if not fresh:
            return names
        names.extend(fresh)
        kwargs = {"ExclusiveStartStreamName": page[-1]}
