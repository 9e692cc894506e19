"""harness.tf.progress: `terraform apply -json` events become "N of M resources" lines."""

from harness.tf.progress import ApplyProgress


def hook(kind, addr, action, seconds=None):
    event = {"type": kind, "hook": {"resource": {"addr": addr}, "action": action}}
    if seconds is not None:
        event["hook"]["elapsed_seconds"] = seconds
    return event


def test_counts_finished_resources_against_the_plan():
    progress = ApplyProgress()
    lines = [
        progress.feed({"type": "planned_change", "change": {"resource": {"addr": "a.x"}, "action": "create"}}),
        progress.feed({"type": "change_summary", "changes": {"add": 2, "change": 1, "remove": 0, "operation": "plan"}}),
        progress.feed(hook("apply_complete", "data.aws_iam_policy_document.p", "read")),
        progress.feed(hook("apply_complete", "a.x", "create", 3)),
        progress.feed(hook("apply_complete", "a.y", "update")),
        progress.feed(hook("apply_errored", "a.z", "create")),
    ]
    assert lines[0] is None and lines[2] is None
    assert lines[1] == "plan: 2 to add, 1 to change, 0 to destroy"
    assert lines[3] == "1 of 3 resources: a.x created (3 s)"
    assert lines[4] == "2 of 3 resources: a.y updated"
    assert lines[5] == "failed: a.z"
    assert progress.summary() == "2 of 3 resources, 1 failed"


def test_errors_are_kept_and_shown_warnings_kept_quietly():
    progress = ApplyProgress()
    error = {
        "type": "diagnostic",
        "diagnostic": {"severity": "error", "summary": "creating Lambda", "detail": "AccessDenied", "address": "a.x"},
    }
    warning = {"type": "diagnostic", "diagnostic": {"severity": "warning", "summary": "deprecated"}}
    assert progress.feed(error) == "Error: creating Lambda\n  with a.x\nAccessDenied"
    assert progress.feed(warning) is None
    assert progress.errors and progress.warnings == ["Warning: deprecated"]


def test_the_silent_refresh_reports_every_fifty():
    progress = ApplyProgress()
    shown = [progress.feed({"type": "refresh_complete"}) for _ in range(100)]
    assert [line for line in shown if line] == ["refreshed 50 resources", "refreshed 100 resources"]


def test_a_failing_json_run_carries_the_error_diagnostics_and_other_output(tmp_path):
    """_run_json with a stand-in `terraform` script (the process plumbing is under test, not Terraform)."""
    import os

    import pytest

    from harness.terraform import TerraformError, _run_json

    script = tmp_path / "terraform"
    script.write_text(
        "#!/bin/sh\n"
        'echo \'{"type":"planned_change","change":{"resource":{"addr":"a.x"},"action":"create"}}\'\n'
        'echo \'{"type":"diagnostic","diagnostic":{"severity":"error","summary":"boom","detail":"AccessDenied"}}\'\n'
        "echo 'panic: provider crashed' >&2\n"
        "exit 1\n"
    )
    script.chmod(0o755)
    seen = []
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    with pytest.raises(TerraformError) as failed:
        _run_json([str(script), "apply", "-json"], tmp_path, env, 30, (0,), seen.append)
    assert [event["type"] for event in seen] == ["planned_change", "diagnostic"]
    assert "Error: boom\nAccessDenied" in str(failed.value) and "panic: provider crashed" in str(failed.value)
