"""The one patch utility for moto: undoable `Patch` objects, `PatchSet` registries and the moto version guard.

A `Patch` replaces one attribute of a class, module or mapping and can put it back: `apply()` installs
the replacement (applying an applied patch is a no-op: idempotent), `undo()` restores what was there
before, or removes the attribute when the patch added it. Patches on the same attribute stack; they
must be undone in reverse order, and `undo()` refuses (RuntimeError) when another patch was applied on
top of it. `Patch.applied_patches` lists the patches currently applied, in application order.

Patches are declared with a decorator and applied later, all at once, by their `PatchSet`:

    @patch(target=Shard.get_records)
    def get_records(fn, self, last_sequence_id, limit):
        '''Gap: what moto lacks or gets wrong, and why it matters here. Fix: what the patch does.'''
        return fn(self, last_sequence_id, limit)

`target` is the function (or property) to replace; the class or module that defines it is found from
its qualified name, and the decorated function receives the original as its first argument. To add
an attribute moto does not have (or to replace one whose owner cannot be found from a function, such
as an entry of a configuration dict), name the owner and the attribute: `@patch(Owner, "name",
pass_target=False)`. A staticmethod, classmethod or property keeps its kind: the replacement is
wrapped the same way (a property's getter is replaced, its setter and deleter are kept).

Every patch is written against one moto minor version, `SUPPORTED_MOTO`. `PatchSet.apply()` checks
the installed moto once per process (`ensure_supported_moto`) and refuses another version with
`UnsupportedMotoVersion` before any patch is applied, rather than patching code it was not written for.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable, MutableMapping
from typing import Any

SUPPORTED_MOTO = "5.2."  # every patch module was written against moto 5.2.x (requirements pin 5.2.5)

_MISSING = object()
_lock = threading.RLock()
_moto_checked = False


class UnsupportedMotoVersion(RuntimeError):
    """The installed moto is not the version the patches were written for."""


def check_moto_version(version: str) -> None:
    """Raise `UnsupportedMotoVersion` unless `version` is a `SUPPORTED_MOTO` release."""
    if not version.startswith(SUPPORTED_MOTO):
        raise UnsupportedMotoVersion(
            f"the fleettap emulator patches (harness/emulator/patches) target moto {SUPPORTED_MOTO}x, "
            f"found moto {version}: they replace moto internals by name, so install moto {SUPPORTED_MOTO}x "
            f"(requirements) or port every patch module to {version} and update SUPPORTED_MOTO"
        )


def ensure_supported_moto() -> None:
    """`check_moto_version` of the installed moto, once per process (a failed check is repeated)."""
    global _moto_checked
    if _moto_checked:
        return
    import moto

    check_moto_version(moto.__version__)
    _moto_checked = True


def _read(owner: Any, name: str) -> Any:
    """The attribute as stored on `owner` itself (the raw descriptor; inherited ones excluded), or _MISSING."""
    if isinstance(owner, MutableMapping):
        return owner.get(name, _MISSING)
    return vars(owner).get(name, _MISSING) if hasattr(owner, "__dict__") else getattr(owner, name, _MISSING)


def _inherited(owner: Any, name: str) -> Any:
    """The raw attribute `owner` would use, its own or inherited (a class's bases), or _MISSING."""
    if isinstance(owner, MutableMapping):
        return owner.get(name, _MISSING)
    return inspect.getattr_static(owner, name, _MISSING)


def _write(owner: Any, name: str, value: Any) -> None:
    if isinstance(owner, MutableMapping):
        owner[name] = value
    else:
        setattr(owner, name, value)


def _remove(owner: Any, name: str) -> None:
    if isinstance(owner, MutableMapping):
        owner.pop(name, None)
    else:
        delattr(owner, name)


class Patch:
    """One undoable replacement of `owner.name` (or `owner[name]` when `owner` is a mapping).

    `new` is what to install; with `pass_target` it is a function that receives the original (as found
    when the patch is applied) as its first argument. Either way the installed value keeps the
    original's kind (staticmethod, classmethod, property getter); `self.new` is the value installed.
    """

    applied_patches: list[Patch] = []

    def __init__(
        self,
        owner: Any,
        name: str,
        new: Any,
        *,
        pass_target: bool = False,
        doc: str | None = None,
        on_apply: Callable[[], None] | None = None,
    ) -> None:
        self.owner, self.name = owner, name
        self.replacement, self.pass_target = new, pass_target
        self.doc = doc if doc is not None else getattr(new, "__doc__", None)
        self.on_apply = on_apply  # a one-off action after each apply (e.g. dropping state moto kept)
        self.new: Any = None
        self.old: Any = _MISSING
        self.is_applied = False

    def __repr__(self) -> str:
        owner = getattr(self.owner, "__qualname__", None) or getattr(self.owner, "__name__", type(self.owner).__name__)
        return f"Patch({owner}.{self.name}, {'applied' if self.is_applied else 'not applied'})"

    def apply(self) -> Patch:
        """Install the replacement; a no-op when this patch is already applied (idempotent)."""
        with _lock:
            if self.is_applied:
                return self
            old = _read(self.owner, self.name)
            original = old if old is not _MISSING else _inherited(self.owner, self.name)
            if original is _MISSING and self.pass_target:
                raise AttributeError(f"{self!r}: there is no original to pass; use pass_target=False to add it")
            self.new = _replacement(original, self.replacement, self.pass_target)
            _write(self.owner, self.name, self.new)
            self.old, self.is_applied = old, True
            Patch.applied_patches.append(self)
        if self.on_apply is not None:
            self.on_apply()
        return self

    def undo(self) -> Patch:
        """Restore the original (remove the attribute if the patch added it); a no-op when not applied."""
        with _lock:
            if not self.is_applied:
                return self
            if _read(self.owner, self.name) is not self.new:
                raise RuntimeError(
                    f"{self!r}: the attribute was replaced again after this patch was applied; "
                    "undo the later patch first"
                )
            if self.old is _MISSING:
                _remove(self.owner, self.name)
            else:
                _write(self.owner, self.name, self.old)
            self.old, self.new, self.is_applied = _MISSING, None, False
            Patch.applied_patches.remove(self)
        return self


def _defining_owner(target: Any) -> tuple[Any, str]:
    """(class or module that defines `target`, attribute name), from the function's qualified name."""
    function = target.fget if isinstance(target, property) else target
    qualname = getattr(function, "__qualname__", None)
    module_name = getattr(function, "__module__", None)
    if not qualname or not module_name or "<locals>" in qualname:
        raise TypeError(
            f"cannot tell which class defines {target!r}: pass the owner and the name, @patch(Owner, 'name')"
        )
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name


def _replacement(raw: Any, fn: Any, pass_target: bool) -> Any:
    """What to install: `fn` (given the original first when `pass_target`), in the original's kind."""
    if isinstance(raw, property):
        original: Any = raw.fget
    elif isinstance(raw, (staticmethod, classmethod)):
        original = raw.__func__
    else:
        original = raw
    function: Any = fn
    if pass_target:

        def function(*args: Any, **kwargs: Any) -> Any:
            return fn(original, *args, **kwargs)

        # Where the original lives (so a patch declared on the attribute after this one was applied still
        # finds the class that defines it) and `fn`'s docstring; no __wrapped__, so inspect.signature
        # does not report `fn`'s parameter.
        for attribute in ("__module__", "__name__", "__qualname__"):
            setattr(function, attribute, getattr(original, attribute, getattr(fn, attribute, None)))
        function.__doc__ = getattr(fn, "__doc__", None)
    if isinstance(raw, property) and not isinstance(function, property):
        return property(function, raw.fset, raw.fdel, getattr(fn, "__doc__", None))
    if isinstance(raw, staticmethod) and not isinstance(function, staticmethod):
        return staticmethod(function)
    if isinstance(raw, classmethod) and not isinstance(function, classmethod):
        return classmethod(function)
    return function


class PatchSet:
    """An ordered registry of patches that are applied and undone together."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.patches: list[Patch] = []

    def __repr__(self) -> str:
        return f"PatchSet({self.name!r}, {len(self.patches)} patches)"

    def add(self, patch: Patch) -> Patch:
        self.patches.append(patch)
        return patch

    def patch(
        self,
        target: Any,
        name: str | None = None,
        *,
        pass_target: bool = True,
        on_apply: Callable[[], None] | None = None,
    ) -> Callable[[Any], Any]:
        """Decorator registering a patch (applied by `apply()`, not at import): see the module docstring.

        `patch(Class.method)` replaces the method where it is defined; `patch(Owner, "name")` replaces
        (or adds) `Owner.name`. With `pass_target` (the default) the decorated function receives the
        original first; adding a missing attribute requires `pass_target=False`. The decorated
        object is returned unchanged; a function also gets a `.patch` attribute (its `Patch`).
        """

        def decorate(fn: Any) -> Any:
            owner, attribute = (target, name) if name is not None else _defining_owner(target)
            if pass_target and _inherited(owner, attribute) is _MISSING:
                raise AttributeError(
                    f"{owner!r} has no attribute {attribute!r} to pass to {fn!r}: use pass_target=False to add it"
                )
            registered = self.add(Patch(owner, attribute, fn, pass_target=pass_target, on_apply=on_apply))
            try:
                fn.patch = registered
            except AttributeError:  # a property or other object without a __dict__
                pass
            return fn

        return decorate

    def apply(self) -> None:
        """Check the moto version (once per process), then apply every registered patch in order."""
        ensure_supported_moto()
        with _lock:
            for registered in self.patches:
                registered.apply()

    def undo(self) -> None:
        """Undo every applied patch of this set, last applied first."""
        with _lock:
            for registered in reversed([p for p in Patch.applied_patches if p in self.patches]):
                registered.undo()


EMULATOR_PATCHES = PatchSet("emulator")
patch = EMULATOR_PATCHES.patch  # the decorator the per-service modules use
