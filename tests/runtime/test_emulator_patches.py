"""Every moto patch lives in harness/emulator/patches (one registry) or harness/runtime/hooks, states
its Gap/Fix, and can be undone: apply_all() and the hooks, then undo_all() and hooks.undo(), leave
moto's classes as shipped (checked in a process of its own, so this session's emulator keeps its patches)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from harness.emulator import patches

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_every_emulator_patch_states_its_gap_and_fix():
    registered = patches.load_all().patches
    assert len(registered) >= 40  # every service module was imported and registered its patches
    missing = [repr(p) for p in registered if not p.doc or "Gap:" not in p.doc or "Fix:" not in p.doc]
    assert missing == []


def test_every_runtime_hook_states_what_it_wires():
    from harness.runtime import hooks

    assert len(hooks.RUNTIME_HOOKS.patches) == 9  # 7 + AWS/States execution counts (start, end)
    assert [repr(p) for p in hooks.RUNTIME_HOOKS.patches if not (p.doc or "").strip()] == []


ROUND_TRIP = textwrap.dedent("""
    import json
    from harness.emulator import patches
    from harness.emulator.patches.registry import _read
    from harness.runtime import hooks

    every = patches.load_all().patches + hooks.RUNTIME_HOOKS.patches
    before = [_read(p.owner, p.name) for p in every]
    patches.apply_all()
    hooks.install(lambda: None, lambda name, body: ("", "text/plain"))
    installed = [_read(p.owner, p.name) for p in every]
    patches.apply_all()  # idempotent: nothing is wrapped twice
    hooks.install(lambda: None, lambda name, body: ("", "text/plain"))
    again = [_read(p.owner, p.name) for p in every]
    hooks.undo()
    patches.undo_all()
    after = [_read(p.owner, p.name) for p in every]
    print(json.dumps({
        "count": len(every),
        "changed_by_apply": sum(b is not i for b, i in zip(before, installed)),
        "changed_by_second_apply": sum(i is not a for i, a in zip(installed, again)),
        "restored": sum(b is a for b, a in zip(before, after)),
        "still_applied": sum(p.is_applied for p in every),
    }))
""")


def test_apply_all_then_undo_all_restores_moto_as_shipped():
    import json

    done = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["changed_by_apply"] == result["count"]
    assert result["changed_by_second_apply"] == 0
    assert result["restored"] == result["count"]
    assert result["still_applied"] == 0


def test_an_account_lookup_after_a_reset_registers_its_backend_again():
    """The constant-time account lookup (patches/core.py) must not skip moto's registration after a
    reset, or the next reset would leave that service's data behind."""
    from moto.core.base_backend import BackendDict
    from moto.sqs.models import sqs_backends

    from harness.emulator.patches import core

    patches.apply_all()
    saved, saved_ids = list(BackendDict._instances), set(core._registered_backend_dicts)
    try:
        BackendDict._instances.clear()  # what a reset leaves (its own clear() of the data aside)
        core._registered_backend_dicts.clear()
        first = sqs_backends["123456789012"]
        assert any(registered is sqs_backends for registered in BackendDict._instances)
        assert sqs_backends["123456789012"] is first  # then served without moto's bookkeeping
        assert sqs_backends._id in core._registered_backend_dicts
    finally:
        BackendDict._instances[:] = saved + [b for b in BackendDict._instances if not any(b is s for s in saved)]
        core._registered_backend_dicts |= saved_ids
