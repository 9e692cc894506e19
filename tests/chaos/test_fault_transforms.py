"""What the stream faults do to the records (chaos.faults.delivery, .poison): seeded, no stack."""

from __future__ import annotations

import random
import time

import orjson
import pytest

from chaos.accounting import SentRecord
from chaos.config import ChaosConfig
from chaos.faults import CATALOG, FaultContext, Outgoing, build
from chaos.faults.delivery import shifted_copy
from chaos.faults.poison import SORTS, poison
from handlers.domain.validation import decode_and_validate


def hos_bytes(n: int, ts: str = "2026-12-05T10:00:00.000Z") -> bytes:
    return orjson.dumps(
        {
            "schema": "fleettap.telemetry/1",
            "kind": "hos",
            "record_id": f"VH-000001-h-{n}",
            "vehicle_id": "VH-000001",
            "driver_id": "DR-000001",
            "ts": ts,
            "status": "D",
        }
    )


def batches(count: int = 30) -> list[Outgoing]:
    out = []
    for n in range(count):
        data = hos_bytes(n, ts=f"2026-12-05T10:{n:02d}:00.000Z")
        out.append(Outgoing("hos", [("VH-000001", data)], [SentRecord("hos", data, f"VH-000001-h-{n}")]))
    return out


def ctx(**changes) -> FaultContext:
    return FaultContext(ChaosConfig(faults=(), **changes), random.Random(3), stack=None, state_dir=None)


def sent(fault_name: str, context: FaultContext) -> list[Outgoing]:
    return list(build(fault_name).transform(iter(batches()), context))


def test_duplicate_sends_every_batch_and_some_twice():
    out = sent("duplicate", ctx(duplicate_share=0.3))
    originals = {b.items[0][1] for b in batches()}
    assert {b.items[0][1] for b in out} == originals
    assert len(out) > len(originals)


def test_out_of_order_keeps_the_records_and_changes_the_order():
    out = sent("out-of-order", ctx())
    assert sorted(b.items[0][1] for b in out) == sorted(b.items[0][1] for b in batches())
    assert [b.items[0][1] for b in out] != [b.items[0][1] for b in batches()]


def test_late_holds_hos_back_and_adds_old_copies_for_the_dlq():
    context = ctx(late_days=8.0)
    out = sent("late", context)
    copies = [r for b in out for r in b.records if r.label == "late-8d"]
    assert copies and all(r.expect == "dlq" for r in copies)
    assert len({r.data for b in out for r in b.records}) == 30 + len(copies)
    assert context.notes


def test_a_copy_six_days_old_is_still_valid_and_distinct():
    record = SentRecord("hos", hos_bytes(1), "VH-000001-h-1")
    copy = shifted_copy(record, 6.0)
    assert copy.expect == "processed" and copy.record_id != record.record_id
    assert orjson.loads(copy.data)["ts"] == "2026-11-29T10:00:00.000Z"
    assert shifted_copy(SentRecord("hos", b"nope", None), 8) is None


@pytest.mark.parametrize("sort", SORTS)
def test_every_poison_sort_is_refused_by_the_pipelines_own_validation(sort):
    now_ms = int(time.time() * 1000)
    template = hos_bytes(1, ts=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now_ms / 1000 - 60)))
    data, _ = poison(sort, template, 1)
    result = decode_and_validate(data, now_ms=now_ms)
    assert result.reasons, f"{sort} was accepted"


def test_poison_goes_into_batches_expecting_the_dlq():
    out = sent("poison", ctx(poison_per_kind=1))
    labels = sorted(r.label for b in out for r in b.records if r.expect == "dlq")
    assert labels == sorted(f"poison:{sort}" for sort in SORTS)


def test_every_catalogued_fault_builds_and_mixes():
    for name in CATALOG:
        assert build(name).name == name
    assert build("duplicate+poison").name == "duplicate+poison"
    with pytest.raises(KeyError):
        build("duplicate+meteor")


def test_service_faults_follow_the_workloads_progress_not_the_clock():
    from chaos.faults import Fault
    from chaos.runner import Progress, _timeline

    events = []

    class Recording(Fault):
        def inject(self, ctx):
            events.append("inject")

        def heal(self, ctx):
            events.append("heal")

    progress, errors = Progress(), []
    thread = _timeline(Recording(), ctx(fault_from=0.3, fault_to=0.6, fault_hold_s=0.0), progress, errors)
    progress.advance(0.2)
    thread.join(0.3)
    assert events == []
    progress.advance(0.4)
    thread.join(0.3)
    assert events == ["inject"]
    progress.finish()  # sending ended before fault_to: healed before the drain all the same
    thread.join(5)
    assert events == ["inject", "heal"] and errors == []


def test_faults_on_effects_start_with_the_first_effect_even_after_the_sending():
    from chaos.faults import Fault
    from chaos.runner import Progress, _timeline

    events = []

    class OnEffects(Fault):
        follows_effects = True

        def inject(self, ctx):
            events.append("inject")

        def heal(self, ctx):
            events.append("heal")

    progress = Progress()
    thread = _timeline(OnEffects(), ctx(fault_hold_s=0.2), progress, [])
    progress.advance(1.0)
    progress.finish()
    thread.join(0.3)
    assert events == []  # no alert yet: nothing to fail
    progress.effects_seen.set()
    thread.join(5)
    assert events == ["inject", "heal"]


def test_execution_environments_are_found_by_the_function_in_their_code_directory(tmp_path, monkeypatch):
    import chaos.faults.runtime as runtime

    proc = tmp_path / "proc"
    argv = {
        11: ["/venv/bin/python", "-I", "/x/harness/runtime/worker_main.py", "/s/code/fleettap-dev-hos-0123abcd", "h"],
        12: ["/venv/bin/python", "-I", "/x/harness/runtime/worker_main.py", "/s/code/fleettap-dev-hos-report-01", "h"],
        13: ["/usr/bin/redis-server", "/s/redis.conf"],
    }
    (proc / "10" / "task" / "10").mkdir(parents=True)
    (proc / "10" / "task" / "10" / "children").write_text("11 12 13 ")
    for pid, args in argv.items():
        (proc / str(pid)).mkdir()
        (proc / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in args) + b"\0")
    real_path = runtime.Path
    monkeypatch.setattr(runtime, "Path", lambda p: real_path(str(p).replace("/proc", str(proc), 1)))
    assert runtime.environments(10, ("fleettap-dev-hos",)) == {11: "fleettap-dev-hos"}
