"""Hours-of-service engine: property-carrying drivers under 49 CFR Part 395 (rules of 2020-09-29) by
default, and with ``ruleset=`` passenger, Texas and California intrastate and Canadian rules (``rulesets``).

``evaluate_log(events, cycle=, time_zone=, exceptions=, as_of=)`` returns the violations of a
driver's log (rule, start/end of the over-limit driving, severity, seconds over) and the time
left as of ``as_of`` (default: the latest event). ``python -m handlers.domain.hos < log.json`` does
the same from the shell. Limits come from ``HosRules`` (``rules_from_items`` reads the
``compliance_rules`` table; ``DEFAULT_RULES`` is its seed).

Callers should pass the log from before the driver's last 10-hour rest and at least the cycle's
7 or 8 home-terminal days: what the log does not show cannot be counted.

How the log is read (see ``timeline``): a status lasts until the next change; time before the
first event is unknown (neither rest nor duty), so a log that starts mid-rest does not get credit
for rest it does not show, and a log that starts with a short rest opens the 14-hour window at its
first event; duplicates collapse and simultaneous conflicting statuses keep the most on-duty one.
Claimed exception names apply to the whole log (objects to one duty period: ``period_exceptions``);
the 16-hour exception is used for the duty period that needs it (or the current one), at most once
per 7 days unless a 34-hour restart intervenes.
"""

from .daily_totals import daily_totals
from .engine import evaluate_log
from .model import Availability, DutyEvent, DutyStatus, HosInputError, HosResult, Violation
from .rules import DEFAULT_RULES, HosRules, rules_from_items, severity_for

__all__ = [
    "Availability",
    "DEFAULT_RULES",
    "DutyEvent",
    "DutyStatus",
    "HosInputError",
    "HosResult",
    "HosRules",
    "Violation",
    "daily_totals",
    "evaluate_log",
    "rules_from_items",
    "severity_for",
]
