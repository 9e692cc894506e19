"""The edit-run loop on the deployed stack: right after an apply nothing needs applying; a changed
functions.zip reaches the running functions without Terraform (hot reload), and the next decision is
a skip again."""

from __future__ import annotations

import io
import json
import shutil
import uuid
import zipfile

from harness import terraform


def _zip_with_marker(source: bytes, marker: str) -> bytes:
    """functions.zip whose `handlers` package prints `marker` when a function's environment starts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as changed:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "handlers/__init__.py":
                data += f'\nprint("{marker}")\n'.encode()
            changed.writestr(item, data)
    return out.getvalue()


def _invoke_log(deployed_stack, function: str) -> str:
    lam = deployed_stack.client("lambda")
    name = next(
        f["FunctionName"] for f in lam.list_functions()["Functions"] if f["FunctionName"].endswith(f"-{function}")
    )
    # The answer does not matter (Powertools refuses an empty batch): the marker prints at import.
    lam.invoke(FunctionName=name, Payload=json.dumps({"Records": []}))
    log = deployed_stack.info.state_dir + f"/logs/{name}.log"
    with open(log, errors="replace") as handle:
        return handle.read()


def test_unchanged_skips_and_a_handler_change_is_hot_reloaded(deployed_stack, tmp_path, monkeypatch):
    info = deployed_stack.info
    assert terraform.ensure_applied("dev", info, apply_if_needed=False).action == "skip"

    built = terraform.artifacts_dir()
    marker = f"HOT-RELOAD-{uuid.uuid4().hex[:8]}"
    changed = tmp_path / "artifacts"
    changed.mkdir()
    shutil.copyfile(built / "deps-layer.zip", changed / "deps-layer.zip")
    (changed / "functions.zip").write_bytes(_zip_with_marker((built / "functions.zip").read_bytes(), marker))
    monkeypatch.setenv("FLEETTAP_LAMBDA_ARTIFACTS", str(changed))
    try:
        decision = terraform.ensure_applied("dev", info, apply_if_needed=False)
        assert decision.action == "hot-reload", decision
        assert decision.changed == ["functions.zip"]
        assert marker in _invoke_log(deployed_stack, "hos"), "the running function did not get the new code"
        assert terraform.ensure_applied("dev", info, apply_if_needed=False).action == "skip"
    finally:
        monkeypatch.delenv("FLEETTAP_LAMBDA_ARTIFACTS")
        restored = terraform.ensure_applied("dev", info, apply_if_needed=False)  # the original code back
    assert restored.action == "hot-reload", restored
    assert terraform.ensure_applied("dev", info, apply_if_needed=False).action == "skip"
