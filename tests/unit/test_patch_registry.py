"""The patch utility (harness/emulator/patches/registry.py) on classes of the test's own: apply/undo,
the original passed first, kinds kept, idempotent double apply, undo order, the moto version guard."""

from __future__ import annotations

import moto
import pytest

from harness.emulator.patches import registry
from harness.emulator.patches.registry import Patch, PatchSet, UnsupportedMotoVersion, check_moto_version


class Echo:
    def say(self, word: str) -> str:
        return word

    @staticmethod
    def shout(word: str) -> str:
        return word.upper()

    @property
    def name(self) -> str:
        return "echo"


class LoudEcho(Echo):
    pass


def _patch_say(patches: PatchSet) -> None:
    @patches.patch(target=Echo.say)
    def say(fn, self, word):
        """Gap: too quiet. Fix: twice."""
        return fn(self, word) * 2


def test_apply_passes_the_original_and_undo_restores_it():
    original = Echo.__dict__["say"]
    patches = PatchSet("test")
    _patch_say(patches)
    patches.apply()
    try:
        assert Echo().say("ab") == "abab"
        assert patches.patches[0] in Patch.applied_patches
    finally:
        patches.undo()
    assert Echo.__dict__["say"] is original
    assert Echo().say("ab") == "ab"
    assert patches.patches[0] not in Patch.applied_patches


def test_double_apply_is_idempotent():
    patches = PatchSet("test")
    _patch_say(patches)
    patches.apply()
    try:
        patches.apply()
        patches.patches[0].apply()
        assert Echo().say("ab") == "abab"  # wrapped once, not "abababab"
        assert Patch.applied_patches.count(patches.patches[0]) == 1
    finally:
        patches.undo()
    assert Echo().say("ab") == "ab"


def test_staticmethod_and_property_keep_their_kind():
    patches = PatchSet("test")

    @patches.patch(target=Echo.shout)
    def shout(fn, word):
        return fn(word) + "!"

    @patches.patch(target=Echo.name)
    def name(fn, self):
        return fn(self) + "-patched"

    patches.apply()
    try:
        assert isinstance(Echo.__dict__["shout"], staticmethod)
        assert Echo.shout("hi") == Echo().shout("hi") == "HI!"
        assert isinstance(Echo.__dict__["name"], property)
        assert Echo().name == "echo-patched"
    finally:
        patches.undo()
    assert Echo.shout("hi") == "HI" and Echo().name == "echo"


def test_a_missing_attribute_is_added_and_removed_again():
    patches = PatchSet("test")

    @patches.patch(Echo, "whisper", pass_target=False)
    def whisper(self, word):
        return word.lower()

    with pytest.raises(AttributeError, match="pass_target=False"):
        patches.patch(Echo, "hum")(lambda fn, self: None)
    patches.apply()
    try:
        assert Echo().whisper("HI") == "hi"
    finally:
        patches.undo()
    assert not hasattr(Echo, "whisper")


def test_an_inherited_method_is_overridden_on_the_subclass_only():
    patches = PatchSet("test")
    patches.add(Patch(LoudEcho, "say", lambda fn, self, word: fn(self, word).upper(), pass_target=True))
    patches.apply()
    try:
        assert LoudEcho().say("hi") == "HI" and Echo().say("hi") == "hi"
    finally:
        patches.undo()
    assert "say" not in LoudEcho.__dict__


def test_a_mapping_entry_is_replaced_and_restored():
    config = {"stepfunctions": {"execute_state_machine": False}}
    patch = Patch(config, "stepfunctions", {"execute_state_machine": True})
    patch.apply()
    assert config["stepfunctions"] == {"execute_state_machine": True}
    patch.undo()
    assert config == {"stepfunctions": {"execute_state_machine": False}}


def test_stacked_patches_undo_in_reverse_order_only():
    first, second = PatchSet("first"), PatchSet("second")
    _patch_say(first)
    _patch_say(second)
    first.apply()
    second.apply()
    try:
        assert Echo().say("a") == "aaaa"
        with pytest.raises(RuntimeError, match="undo the later patch first"):
            first.undo()
        assert Echo().say("a") == "aaaa"  # the refused undo changed nothing
    finally:
        second.undo()
        first.undo()
    assert Echo().say("a") == "a"


def test_the_version_guard_refuses_another_moto(monkeypatch):
    check_moto_version("5.2.5")
    with pytest.raises(UnsupportedMotoVersion, match=r"target moto 5\.2\.x, found moto 6\.0\.1"):
        check_moto_version("6.0.1")
    with pytest.raises(UnsupportedMotoVersion):
        check_moto_version("5.20.0")

    patches = PatchSet("test")
    _patch_say(patches)
    monkeypatch.setattr(registry, "_moto_checked", False)
    monkeypatch.setattr(moto, "__version__", "6.0.1")
    with pytest.raises(UnsupportedMotoVersion):
        patches.apply()
    assert not patches.patches[0].is_applied and Echo().say("a") == "a"  # refused before any patch
