"""Fire a deployed EventBridge rule's targets now: `python -m harness.runtime.trigger <rule-name>`.

Reads the emulator endpoint from `<state_dir>/stack.json` (`$FLEETTAP_STATE_DIR` or `.local/`), or
`--endpoint`. Prints what was started (e.g. the Step Functions execution ARN) as JSON."""

from __future__ import annotations

import argparse
import json

from harness.runtime.cli_support import resolve_endpoint
from harness.runtime.rule_targets import fire_rule


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rule")
    parser.add_argument("--event-bus", default="default")
    parser.add_argument("--endpoint")
    parser.add_argument("--state-dir")
    args = parser.parse_args(argv)
    endpoint, region = resolve_endpoint(args.state_dir, args.endpoint)
    print(json.dumps(fire_rule(args.rule, endpoint, region, args.event_bus), indent=2))


if __name__ == "__main__":
    main()
