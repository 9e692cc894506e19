"""The emulator's collector policy (harness/emulator/gc_policy.py)."""

from __future__ import annotations

import gc

import pytest

from harness.emulator import gc_policy


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch):
    def install(policy: str) -> str:
        monkeypatch.setenv(gc_policy.GC_ENV, policy)
        return gc_policy.install()

    yield install
    gc_policy.uninstall()


def _a_heap_whose_full_collection_is_slow() -> list:
    """1.5 million tracked objects (well over 10 ms to scan), built with automatic collection off so
    that the test's own gc.collect() is the one full collection that meets them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [[i] for i in range(1_500_000)]
    finally:
        if enabled:
            gc.enable()


def test_freeze_moves_the_survivors_of_a_slow_full_collection_out_of_later_ones(installed) -> None:
    assert installed("freeze") == "freeze"
    retained = _a_heap_whose_full_collection_is_slow()
    gc.collect()
    stats = gc_policy.pause_stats()
    assert stats["policy"] == "freeze" and stats["freezes"] >= 1
    assert stats["pauses"]["2"]["count"] >= 1
    assert stats["pauses"]["2"]["longest_s"] > gc_policy.FREEZE_AFTER_PAUSE_S
    assert gc.get_freeze_count() >= len(retained)
    gc_policy.uninstall()
    assert gc.get_freeze_count() == 0  # uninstall returns them to the collector


def test_default_policy_only_counts_pauses(installed) -> None:
    assert installed("default") == "default"
    retained = _a_heap_whose_full_collection_is_slow()
    gc.collect()
    stats = gc_policy.pause_stats()
    assert stats["freezes"] == 0 and gc.get_freeze_count() == 0
    assert stats["pauses"]["2"]["count"] >= 1
    del retained


def test_an_unknown_policy_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(gc_policy.GC_ENV, "sometimes")
    with pytest.raises(ValueError, match=gc_policy.GC_ENV):
        gc_policy.policy()


def test_periodic_turns_automatic_collection_off_and_collects_and_freezes_on_its_own(installed) -> None:
    assert installed("periodic") == "periodic"
    assert not gc.isenabled()
    retained = _a_heap_whose_full_collection_is_slow()
    gc_policy.collect_and_freeze()  # what its thread does every PERIODIC_COLLECT_S
    stats = gc_policy.pause_stats()
    assert stats["freezes"] >= 1 and stats["pauses"]["2"]["count"] >= 1
    assert gc.get_freeze_count() >= len(retained)
    gc_policy.uninstall()
    assert gc.isenabled() and gc.get_freeze_count() == 0
