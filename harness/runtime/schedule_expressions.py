"""EventBridge schedule expressions: `rate(5 minutes)` and `cron(min hour day-of-month month
day-of-week year)` (UTC; `?` and `*`, lists, ranges and `/` steps; day-of-week 1-7 = SUN-SAT or
names). `L`, `W` and `#` are not supported and raise ValueError."""

from __future__ import annotations

import datetime as dt
import re

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_DOW_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTH_NAMES = {
    name: index
    for index, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_FIELDS = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, _MONTH_NAMES),
    ("weekday", 1, 7, _DOW_NAMES),
    ("year", 1970, 2199, {}),
]


def rate_seconds(expression: str) -> int | None:
    match = _RATE.match(expression.strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return amount * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]


def _parse_field(text: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    if text in ("*", "?"):
        return None  # any
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        stepped = "/" in part
        if stepped:
            part, step_text = part.split("/")
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-")
            start, end = int(names.get(a, a)), int(names.get(b, b))
        else:
            if any(flag in part for flag in "LW#"):
                raise ValueError(f"unsupported cron token {part!r}")
            start = int(names.get(part, part))
            end = high if stepped else start
        values.update(range(start, end + 1, step))
    return values


class Cron:
    def __init__(self, expression: str) -> None:
        body = expression.strip()
        if not (body.startswith("cron(") and body.endswith(")")):
            raise ValueError(f"not a cron expression: {expression}")
        parts = body[5:-1].split()
        if len(parts) != 6:
            raise ValueError(f"cron needs 6 fields: {expression}")
        self._sets = [
            _parse_field(part.upper(), low, high, names) for part, (_n, low, high, names) in zip(parts, _FIELDS)
        ]

    def matches(self, moment: dt.datetime) -> bool:
        weekday = (moment.isoweekday() % 7) + 1  # SUN=1 ... SAT=7
        values = [moment.minute, moment.hour, moment.day, moment.month, weekday, moment.year]
        return all(allowed is None or value in allowed for allowed, value in zip(self._sets, values))

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        candidate = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        for _ in range(60 * 24 * 366 * 2):
            if self.matches(candidate):
                return candidate
            candidate += dt.timedelta(minutes=1)
        raise ValueError("cron expression never fires within two years")
