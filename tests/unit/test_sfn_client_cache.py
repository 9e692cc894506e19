"""harness.runtime.sfn_role caches the Step Functions interpreter's boto3 clients: one per (region,
service, execution role, destination), each with the role check registered once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness.runtime import sfn_role


class _Events:
    def __init__(self) -> None:
        self.registered: list[str] = []

    def register(self, name: str, handler) -> None:
        self.registered.append(name)


def _fake_client(service: str):
    service_model = SimpleNamespace(service_id=SimpleNamespace(hyphenize=lambda: service))
    return SimpleNamespace(meta=SimpleNamespace(events=_Events(), service_model=service_model))


@pytest.fixture(autouse=True)
def _empty_cache():
    sfn_role.forget_clients()
    yield
    sfn_role.forget_clients()


def _factory(made: list):
    def make(region: str, service: str, state_credentials=None):
        client = _fake_client(service)
        made.append((region, service, client))
        return client

    return make


def _role(name: str):
    return SimpleNamespace(role_arn=f"arn:aws:iam::123456789012:role/{name}")


def test_the_same_role_service_and_region_reuse_one_client_with_one_check():
    made: list = []
    first = sfn_role.guarded_boto_client_for(_factory(made), "us-east-1", "lambda", _role("a"))
    again = sfn_role.guarded_boto_client_for(_factory(made), "us-east-1", "lambda", _role("a"))
    assert again is first and len(made) == 1
    assert first.meta.events.registered == ["before-parameter-build.lambda.*"]


def test_another_role_service_or_region_gets_its_own_client():
    made: list = []
    clients = {
        id(sfn_role.guarded_boto_client_for(_factory(made), region, service, _role(role)))
        for region, service, role in (
            ("us-east-1", "lambda", "a"),
            ("us-east-1", "lambda", "b"),
            ("us-east-1", "s3", "a"),
            ("us-west-2", "lambda", "a"),
        )
    }
    assert len(clients) == 4 and len(made) == 4


def test_a_client_without_a_role_has_no_check_and_forget_clients_empties_the_cache():
    made: list = []
    bare = sfn_role.guarded_boto_client_for(_factory(made), "us-east-1", "sqs", None)
    assert bare.meta.events.registered == []
    sfn_role.forget_clients()
    assert sfn_role.guarded_boto_client_for(_factory(made), "us-east-1", "sqs", None) is not bare
