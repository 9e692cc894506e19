"""`make clean` removes build output and the local state but keeps reports/ (the run reports and
the load/soak HTML pages people come back to)."""

from __future__ import annotations

import shlex
import subprocess

from tests.conftest import REPO_ROOT


def test_make_clean_removes_no_reports():
    dry_run = subprocess.run(
        ["make", "-n", "--no-print-directory", "clean", "FLEETTAP_STATE_DIR=/tmp/fleettap-clean-check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    removals = [line for line in dry_run.splitlines() if line.strip().startswith("rm ")]
    assert removals, dry_run
    removed = {word.rstrip("/") for line in removals for word in shlex.split(line)[1:] if not word.startswith("-")}
    assert "/tmp/fleettap-clean-check" in removed and "build" in removed
    assert not {"reports", str(REPO_ROOT / "reports"), "."} & removed
