"""One finding of a preflight check: which check, which resource, what is wrong, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    check: str
    address: str
    problem: str
    fix: str

    def render(self) -> str:
        return f"[{self.check}] {self.address}: {self.problem}\n    fix: {self.fix}"
