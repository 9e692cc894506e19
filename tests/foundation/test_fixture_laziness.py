"""Tests that do not ask for the stack must not start it (unit tests stay fast and hermetic)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness.config import REPO_ROOT
from tests.conftest import make_state_dir


def run_pytest(args: list[str], tmpdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO_ROOT,
        env=dict(os.environ, TMPDIR=str(tmpdir)),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_unit_tests_start_no_services(tmp_path):
    result = run_pytest(["tests/foundation/test_config.py"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    started = [entry.name for entry in tmp_path.iterdir() if entry.name.startswith("fleettap-test-")]
    assert started == [], f"a unit-only run created stack state dirs: {started}"


def test_the_same_probe_sees_a_started_stack():
    # Guards the check above against passing vacuously: a test that asks for the fixture does get
    # a stack whose state dir is in TMPDIR. That TMPDIR must be reachable by the unprivileged
    # PostgreSQL account when running as root, hence not pytest's 0700 tmp_path.
    tmpdir = make_state_dir("fleettap-probe-")
    tmpdir.chmod(0o755)
    try:
        # The probe lives outside the tree; the repository's conftest is loaded as a plugin.
        probe = tmpdir / "test_probe.py"
        probe.write_text(
            "import os\n"
            "def test_probe(local_stack):\n"
            "    assert os.path.basename(local_stack.state_dir).startswith('fleettap-test-')\n"
            f"    assert os.path.dirname(local_stack.state_dir) == {str(tmpdir)!r}\n"
        )
        result = run_pytest(
            ["-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", str(REPO_ROOT), "-p", "tests.conftest", str(probe)],
            tmpdir,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 passed" in result.stdout
        leftovers = [entry.name for entry in tmpdir.iterdir() if entry.name.startswith("fleettap-test-")]
        assert leftovers == [], "the session fixture must remove its state dir at teardown"
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
