"""The applied local stack the fault-suite test runs on: the session's `local_stack` with the dev
stack applied (`tests/e2e/conftest.apply_stack`), or FLEETTAP_E2E_STACK_DIR's running stack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import migrate, terraform
from harness.config import read_stack
from tests.e2e.conftest import apply_stack


@pytest.fixture(scope="session")
def chaos_stack(request):
    reuse = os.environ.get("FLEETTAP_E2E_STACK_DIR")
    if reuse:
        info = read_stack(Path(reuse))
        if terraform.outputs("dev", info):
            migrate.apply(info.postgres_dsn)
            return info
        return apply_stack(info).info
    return apply_stack(request.getfixturevalue("local_stack")).info
