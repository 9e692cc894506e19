"""Read access to a `terraform show -json` plan document, and the context every check receives.

Contract: `Context.resources(type)` yields planned resources of that type (values = the planned,
known attributes; unknown attributes are absent); `unknown(address)` returns the after_unknown map
of a resource change; `output(name)` and `variable(name)` return planned values (None if absent).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _walk(module: dict) -> Iterator[dict]:
    stack = [module]
    while stack:
        current = stack.pop()
        yield from current.get("resources", [])
        stack.extend(current.get("child_modules", []))


@dataclass
class Context:
    env: str
    plan: dict
    repo_root: Path = REPO_ROOT
    _by_address: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        root = (self.plan.get("planned_values") or self.plan.get("values") or {}).get("root_module", {})
        self._by_address = {r["address"]: r for r in _walk(root)}
        self._changes = {c["address"]: c for c in self.plan.get("resource_changes", [])}

    def resources(self, resource_type: str, mode: str = "managed") -> Iterator[dict]:
        for resource in self._by_address.values():
            if resource["type"] == resource_type and resource.get("mode", "managed") == mode:
                yield resource

    def all_resources(self) -> Iterator[dict]:
        yield from self._by_address.values()

    def unknown(self, address: str) -> dict:
        change = self._changes.get(address, {}).get("change", {})
        return change.get("after_unknown") or {}

    def output(self, name: str):
        changes = self.plan.get("output_changes") or {}
        if name in changes:
            return changes[name].get("after")
        outputs = (self.plan.get("planned_values") or self.plan.get("values") or {}).get("outputs", {})
        return (outputs.get(name) or {}).get("value")

    def variable(self, name: str):
        return ((self.plan.get("variables") or {}).get(name) or {}).get("value")

    @property
    def infra(self) -> Path:
        return self.repo_root / "infra"

    @property
    def handlers(self) -> Path:
        return self.repo_root / "handlers"
