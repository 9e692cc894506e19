"""Variable validation of the external endpoints (audit B6, C2): staging and prod refuse a placeholder
alert webhook, prod refuses to call the mock API; the local emulator (allow_placeholder_endpoints) may.
Runs `terraform plan` over the variable blocks of infra/tap_stack.tf alone (no provider needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

STACK = (Path(__file__).resolve().parents[2] / "infra" / "tap_stack.tf").read_text()
VARIABLES = ("env", "alert_https_endpoint", "external_api_urls", "allow_placeholder_endpoints")
URLS = '{telematics = "https://api.telematics-vendor.net", pdf = "https://eld.fmcsa-vendor.net"}'


def _block(name: str) -> str:
    match = re.search(rf'^variable "{name}" \{{.*?^\}}\n', STACK, re.M | re.S)
    assert match, f"variable {name} not found"
    return match.group(0)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory) -> Path:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH")
    directory = tmp_path_factory.mktemp("endpoint-vars")
    (directory / "main.tf").write_text("\n".join(_block(name) for name in VARIABLES))
    return directory


def _plan(directory: Path, **variables: str) -> subprocess.CompletedProcess:
    args = [f"-var={k}={v}" for k, v in variables.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_VAR_")}
    return subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variables", "refused"),
    [
        ({"env": "dev", "alert_https_endpoint": "https://hooks.example.com/x"}, None),
        ({"env": "staging", "alert_https_endpoint": "https://hooks.example.com/x"}, "real fleet-operations webhook"),
        ({"env": "staging", "alert_https_endpoint": "https://ops.acme-fleet.com/sns"}, None),
        ({"env": "prod", "alert_https_endpoint": "https://ops.acme-fleet.com/sns"}, "must not send in-cab messages"),
        ({"env": "prod", "alert_https_endpoint": "https://ops.acme-fleet.com/sns", "external_api_urls": URLS}, None),
        ({"env": "prod", "alert_https_endpoint": "https://localhost/sns", "external_api_urls": URLS}, "webhook"),
        (
            {
                "env": "prod",
                "alert_https_endpoint": "https://hooks.example.com/x",
                "allow_placeholder_endpoints": "true",
            },
            None,
        ),
    ],
)
def test_endpoint_validation(module_dir, variables, refused):
    result = _plan(module_dir, **variables)
    if refused is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0 and refused in result.stderr.replace("\n", " "), result.stderr
