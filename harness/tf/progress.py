"""Progress of `terraform apply -json`/`destroy -json`: "N of M resources" instead of raw log lines.

Terraform's machine-readable UI (https://developer.hashicorp.com/terraform/internals/machine-readable-ui)
announces each planned change (`planned_change`), the plan's totals (`change_summary` with
operation "plan"), and each resource as it finishes (`apply_complete`) or fails (`apply_errored`);
errors and warnings come as `diagnostic` messages. `ApplyProgress` folds those events into counts and
one line per finished resource, and keeps the diagnostics for the error message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COUNTED_ACTIONS = ("create", "update", "delete", "replace")


@dataclass
class ApplyProgress:
    total: int = 0
    done: int = 0
    planned: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refreshed: int = 0
    refresh_every: int = 50  # a line per this many refreshed resources (the plan's first, silent phase)

    def feed(self, event: dict) -> str | None:
        """Take one JSON event; return a line worth showing, or None."""
        kind = event.get("type")
        if kind == "refresh_complete":
            self.refreshed += 1
            return f"refreshed {self.refreshed} resources" if self.refreshed % self.refresh_every == 0 else None
        if kind == "planned_change":
            change = event.get("change") or {}
            if change.get("action") in COUNTED_ACTIONS:
                self.planned.add((change.get("resource") or {}).get("addr", ""))
                self.total = max(self.total, len(self.planned))
            return None
        if kind == "change_summary":
            changes = event.get("changes") or {}
            if changes.get("operation") == "plan":
                self.total = int(changes.get("add", 0)) + int(changes.get("change", 0)) + int(changes.get("remove", 0))
                return (
                    f"plan: {changes.get('add', 0)} to add, {changes.get('change', 0)} to change, "
                    f"{changes.get('remove', 0)} to destroy"
                )
            return None
        if kind == "apply_complete":
            hook = event.get("hook") or {}
            if hook.get("action") not in COUNTED_ACTIONS:  # data sources read during the apply
                return None
            address = (hook.get("resource") or {}).get("addr", "?")
            self.done = min(self.done + 1, self.total) if self.total else self.done + 1
            seconds = hook.get("elapsed_seconds")
            took = f" ({seconds} s)" if seconds else ""
            return f"{self.done} of {self.total} resources: {address} {_past(hook.get('action'))}{took}"
        if kind == "apply_errored":
            hook = event.get("hook") or {}
            address = (hook.get("resource") or {}).get("addr", "?")
            self.failed.append(address)
            return f"failed: {address}"
        if kind == "diagnostic":
            diagnostic = event.get("diagnostic") or {}
            text = _diagnostic_text(diagnostic)
            (self.errors if diagnostic.get("severity") == "error" else self.warnings).append(text)
            return text if diagnostic.get("severity") == "error" else None
        return None

    def summary(self) -> str:
        return f"{self.done} of {self.total} resources" + (f", {len(self.failed)} failed" if self.failed else "")


def _past(action: str | None) -> str:
    return {"create": "created", "update": "updated", "delete": "destroyed", "replace": "replaced"}.get(
        action or "", action or "done"
    )


def _diagnostic_text(diagnostic: dict) -> str:
    lines = [f"{diagnostic.get('severity', 'error').capitalize()}: {diagnostic.get('summary', '')}"]
    if diagnostic.get("address"):
        lines.append(f"  with {diagnostic['address']}")
    detail = (diagnostic.get("detail") or "").strip()
    if detail:
        lines.append(detail)
    return "\n".join(lines)
