"""The fault suite's smaller run, on the real local stack (`make chaos` runs every fault).

A fault-free baseline of a short engine-overheat workload, then each fault below on the same
records: every record is processed exactly once or dead-lettered with its reason and bytes, and no
side effect (alert, work order, report, notification, dashboard count) exceeds the baseline.
A fault the current handlers are known to fail is `xfail` naming the defect (issue #18): strict
where the defect shows every run, so a fix turns the test red and the mark must go.
"""

from __future__ import annotations

import pytest

from chaos import runner
from chaos.config import BASELINE, ChaosConfig

CONFIG = ChaosConfig(
    faults=(),
    scenario="engine-overheat",
    duration_s=None,  # the scenario's test size, 90 simulated minutes: the cooling failure alerts
    send_span_s=15.0,
    fault_hold_s=8.0,
    quiet_s=8.0,
    drain_timeout_s=180.0,
    poison_per_kind=1,
)

# Deterministic defects: strict xfail, so a fix turns the test red and the mark must go.
LOST_KNOWN = {
    "poison": "records over ~192 KiB cannot be dead-lettered (handlers/common/dlq.py embeds the whole "
    "record in an SQS message): the 300 KiB poison record is lost (issue #18, 'oversized records')",
}
# Not strict: seen in one run of three (duplicate: +1 maintenance-required for one vehicle and
# component; in the other two runs none). The suspected cause: predictive_maintenance publishes each
# high-confidence scoring under a new prediction_id and remembers its scoring cadence per container,
# so how many announcements a vehicle gets depends on batch boundaries and cold starts. A strict mark
# would fail at random; the lead makes this strict (or drops it) once that is settled.
DOUBLED_FLAKY = (
    "maintenance-required re-announced for the same vehicle and component under a new prediction_id "
    "in some runs when batches are redelivered or split differently (predictive_maintenance)"
)
FAULTS = ("duplicate", "poison")


@pytest.fixture(scope="module")
def rows(chaos_stack, monkeypatch_module):
    """The baseline, then each fault once; the tests below read the rows."""
    for name, value in chaos_stack.env().items():
        monkeypatch_module.setenv(name, value)
    base, effects = runner.run_fault(BASELINE, CONFIG, None)
    assert base.holds and base.exactly_once == base.sent > 0, base
    assert sum(effects.values()) > 0, "the workload must produce side effects to count doubles against"
    return {fault: runner.run_fault(fault, CONFIG, effects)[0] for fault in FAULTS}


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def _param(fault: str, reason: str | None, strict: bool = True):
    return pytest.param(fault, marks=pytest.mark.xfail(strict=strict, reason=reason)) if reason else fault


@pytest.mark.parametrize("fault", [_param(fault, LOST_KNOWN.get(fault)) for fault in FAULTS])
def test_no_record_lost(fault, rows):
    row = rows[fault]
    assert row.sent > 0 and row.exactly_once > 0
    assert row.lost == 0, f"{fault}: lost {row.lost} records: {dict(row.lost_by)}; {row.notes}"
    assert row.poison_accepted == 0, f"{fault}: {row.poison_accepted} poison records were stored"


@pytest.mark.parametrize("fault", [_param(fault, DOUBLED_FLAKY, strict=False) for fault in FAULTS])
def test_no_side_effect_doubled(fault, rows):
    row = rows[fault]
    assert row.doubled == 0, f"{fault}: doubled {row.doubled} side effects: {dict(row.doubled_by)}; {row.notes}"
