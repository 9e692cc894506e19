"""``python -m handlers.domain.hos < log.json``: check a driver's log by hand.

Input (a JSON object on stdin; every field but ``events`` optional)::

    {"ruleset": "us-property", "cycle": "70/8", "time_zone": "America/Chicago",
     "exceptions": [...], "as_of": "...", "events": [{"status", "at", ...}]}

- ``ruleset``: ``us-property`` (default; 49 CFR 395.3), ``us-passenger`` (49 CFR 395.5),
  ``us-texas-intrastate`` (37 TAC 4.12), ``us-california-intrastate`` (13 CCR 1212.5),
  ``canada-south`` (SOR/2005-313 ss. 12-16, 24-29; days start at local midnight of ``time_zone``).
- ``cycle``: us-property and us-passenger ``60/7`` or ``70/8`` (default); Texas ``70/7``; California
  ``80/8``; canada-south ``cycle-1`` (70 h / 7 days, default) or ``cycle-2`` (120 h / 14 days). Any
  other combination is an input error.
- ``events[]``: ``status`` OFF, SB, D, ON, PC (personal conveyance: off duty, its movement is not
  driving) or YM (yard move: on duty not driving); ``at`` ISO-8601 with offset; optional ``lat``/
  ``lon`` (decimal degrees); optional ``origin`` (``driver``, ``auto`` or ``edit``): an ``edit``
  needs an ``annotation`` (49 CFR 395.30(c)(2)) and replaces the recorded events at its instant.
- ``exceptions[]``: names for the whole log (``adverse_driving``, ``short_haul_150``,
  ``sixteen_hour`` (us-property only)) or objects for one duty period:
  ``{"type": "adverse_driving", "at": instant, "note": "..."}`` and
  ``{"type": "short_haul_150", "work_reporting_location": {"lat", "lon"}}`` (checked per period).

Output: ``{"violations": [{rule, start, end, severity, over_s}], "available": {drive_s, window_s,
cycle_s, break_due_in_s}}``, plus ``exceptions_lost: [{type, duty_period_start, reason}]`` when an
exception object was claimed and ``edits: [{at, status, annotation, replaced}]`` when the log has
edits. Rule codes per rule set: us-property DRIVING_11, WINDOW_14, WINDOW_16, BREAK_30, CYCLE_60_7,
CYCLE_70_8; us-passenger DRIVING_10, ON_DUTY_15, CYCLE_60_7, CYCLE_70_8; Texas DRIVING_12, WINDOW_15,
CYCLE_70_7; California DRIVING_12, WINDOW_16, CYCLE_80_8; canada-south DRIVING_13, ON_DUTY_14,
WINDOW_16, DAY_DRIVING_13, DAY_ON_DUTY_14, DAY_OFF_10, CYCLE_1_70_7, CYCLE_2_120_14, CYCLE_2_OFF_24.
For the rule sets other than us-property, ``window_s`` is the time left before the tighter of the
elapsed-window and cumulative on-duty limits. Bad input prints an error on stderr, exit 2.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from .engine import evaluate_log
from .model import HosInputError

EXIT_BAD_INPUT = 2
_KNOWN_FIELDS = {"ruleset", "cycle", "time_zone", "exceptions", "events", "as_of"}


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    try:
        document = json.load(stdin)
        if not isinstance(document, dict):
            raise HosInputError("input must be a JSON object with an 'events' list")
        if not isinstance(document.get("events"), list):
            raise HosInputError("'events' must be a list of {status, at} objects")
        unknown = sorted(set(document) - _KNOWN_FIELDS)
        if unknown:
            raise HosInputError(f"unknown fields {unknown}; expected {sorted(_KNOWN_FIELDS)}")
        result = evaluate_log(
            document["events"],
            cycle=document.get("cycle"),
            ruleset=document.get("ruleset"),
            time_zone=document.get("time_zone", "UTC"),
            exceptions=document.get("exceptions") or (),
            as_of=document.get("as_of"),
        )
    except json.JSONDecodeError as exc:
        print(f"error: input is not valid JSON: {exc}", file=stderr)
        return EXIT_BAD_INPUT
    except HosInputError as exc:
        print(f"error: {exc}", file=stderr)
        return EXIT_BAD_INPUT
    json.dump(result.to_dict(), stdout, indent=2)
    stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
