"""A failed apply against the local emulator carries what the emulator logged."""

import os

import pytest

from harness.terraform import ARTIFACTS, EMULATOR_LOG, TerraformError, check_artifacts, emulator_complaints


def test_emulator_complaints_keep_warnings_errors_and_tracebacks(tmp_path):
    log = tmp_path / EMULATOR_LOG
    log.parent.mkdir(parents=True)
    log.write_text(
        "\n".join(
            [
                "2026-11-25 21:00:00,000 harness.emulator INFO emulator listening",
                "2026-11-25 21:00:01,000 werkzeug ERROR Error on request:",
                "Traceback (most recent call last):",
                '  File "moto/elasticache/models.py", line 1, in create_replication_group',
                "RuntimeError: dictionary changed size during iteration",
                "2026-11-25 21:00:02,000 harness.emulator.retry_replay WARNING replayed the response",
            ]
        )
    )
    said = emulator_complaints(tmp_path)
    assert "listening" not in said
    assert "Traceback" in said and "create_replication_group" in said and "RuntimeError" in said
    assert said.endswith("replayed the response")


def test_no_log_no_complaints(tmp_path):
    assert emulator_complaints(tmp_path) == ""


def test_stale_zips_are_refused_until_rebuilt(tmp_path):
    handlers, build = tmp_path / "handlers", tmp_path / "build"
    (handlers / "domain").mkdir(parents=True)
    build.mkdir()
    for name in ARTIFACTS:
        (build / name).write_bytes(b"zip")
        os.utime(build / name, (1_000, 1_000))
    (handlers / "domain" / "hos.py").write_text("# newer than the zip")
    with pytest.raises(TerraformError, match=r"older than handlers/domain/hos.py: run make build"):
        check_artifacts(build, sources=handlers)
    os.utime(handlers / "domain" / "hos.py", (500, 500))
    check_artifacts(build, sources=handlers)
    (build / ARTIFACTS[0]).unlink()
    with pytest.raises(TerraformError, match="missing"):
        check_artifacts(build, sources=handlers)
