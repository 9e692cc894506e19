"""``python -m handlers.domain.hos < log.json``: check a driver's log by hand.

Reads ``{"cycle", "time_zone", "exceptions", "events": [{"status", "at"}], "as_of"}`` from stdin,
prints ``{"violations": [...], "available": {...}}``; bad input prints an error on stderr, exit 2.
"""
from __future__ import annotations

import json
import sys
from typing import TextIO

from .engine import evaluate_log
from .model import HosInputError

EXIT_BAD_INPUT = 2
_KNOWN_FIELDS = {"cycle", "time_zone", "exceptions", "events", "as_of"}


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
            cycle=document.get("cycle", "70/8"),
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
