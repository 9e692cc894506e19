"""A failed apply against the local emulator carries what the emulator logged."""
from harness.terraform import EMULATOR_LOG, emulator_complaints


def test_emulator_complaints_keep_warnings_errors_and_tracebacks(tmp_path):
    log = tmp_path / EMULATOR_LOG
    log.parent.mkdir(parents=True)
    log.write_text("\n".join([
        "2026-11-25 21:00:00,000 harness.emulator INFO emulator listening",
        "2026-11-25 21:00:01,000 werkzeug ERROR Error on request:",
        "Traceback (most recent call last):",
        '  File "moto/elasticache/models.py", line 1, in create_replication_group',
        "RuntimeError: dictionary changed size during iteration",
        "2026-11-25 21:00:02,000 harness.emulator.retry_replay WARNING replayed the response",
    ]))
    said = emulator_complaints(tmp_path)
    assert "listening" not in said
    assert "Traceback" in said and "create_replication_group" in said and "RuntimeError" in said
    assert said.endswith("replayed the response")


def test_no_log_no_complaints(tmp_path):
    assert emulator_complaints(tmp_path) == ""
