"""The fault table: one row per run, printed to the console and as Markdown (docs/benchmarks.md)."""

from __future__ import annotations

from chaos.accounting import Row

COLUMNS = (
    "fault",
    "sent",
    "exactly once",
    "DLQ (reason + data)",
    "lost",
    "doubled",
    "ESM metadata-only (records)",
    "poison accepted",
    "effects missing",
    "DLQ copies",
    "holds",
)


def cells(row: Row) -> list[str]:
    return [
        row.fault,
        str(row.sent),
        str(row.exactly_once),
        str(row.dead_lettered),
        str(row.lost),
        str(row.doubled),
        str(row.metadata_only),
        str(row.poison_accepted),
        str(row.effects_missing),
        str(row.dlq_copies),
        "yes" if row.holds else "NO",
    ]


def details(row: Row) -> str:
    parts = []
    if row.lost_by:
        parts.append("lost: " + ", ".join(f"{k} {v}" for k, v in sorted(row.lost_by.items())))
    if row.doubled_by:
        parts.append("doubled: " + ", ".join(f"{k} {v}" for k, v in sorted(row.doubled_by.items())))
    parts.extend(row.notes)
    return "; ".join(parts)


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    lines.append("")
    lines += [f"- `{row.fault}`: {details(row)}" for row in rows if details(row)]
    return "\n".join(lines) + "\n"


def render(rows: list[Row], console) -> None:
    from rich.table import Table

    table = Table(title="fault suite: every record accounted for")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "fault" else "right")
    for row in rows:
        table.add_row(*cells(row), style=None if row.holds else "red")
    console.print(table)
    for row in rows:
        text = details(row)
        if text:
            console.print(f"[bold]{row.fault}[/]: {text}")
