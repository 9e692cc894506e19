"""`python -m harness.invoke FUNCTION [EVENT.json|-]` (`make invoke FN=... EVENT=file.json`): run one
deployed function with an event, like `sam local invoke -e`, through the emulator's Invoke (the
function's own zip, role credentials and limits, as in a scenario run).

Prints the function's response on stdout and the tail of its log on stderr. Without an event file
the event is `{}`; `make event FN=...` writes a realistic one.

Exit status: 0 the function returned, 1 it failed (FunctionError), 2 no such function or a bad event
file, 3 the stack is not up.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.invoke", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("function", help="function name, or its short name (hos, location, ...)")
    parser.add_argument("event", nargs="?", help="JSON event file ('-': stdin; default: {})")
    parser.add_argument("--env", default=None)
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    from harness.config import ConfigError, StackNotRunning, read_stack
    from harness.events import admin_client, resolve_function

    try:
        text = "{}" if not args.event else (sys.stdin.read() if args.event == "-" else open(args.event).read())
        payload = json.loads(text)
    except (OSError, ValueError) as error:
        print(f"harness.invoke: cannot read the event {args.event}: {error}", file=sys.stderr)
        return 2
    try:
        info = read_stack()
        lam = admin_client("lambda", info)
        name = resolve_function(lam, args.function, args.env)["FunctionName"]
        log = Path(info.state_dir) / "logs" / f"{name}.log"
        log_offset = log.stat().st_size if log.exists() else 0
        response = lam.invoke(
            FunctionName=name, InvocationType="RequestResponse", LogType="Tail", Payload=json.dumps(payload)
        )
    except LookupError as error:
        print(f"harness.invoke: {error.args[0]}", file=sys.stderr)
        return 2
    except (StackNotRunning, ConfigError, BotoCoreError, ClientError) as error:
        print(f"harness.invoke: {error}", file=sys.stderr)
        return 3
    body = response["Payload"].read().decode("utf-8", errors="replace")
    if response.get("LogResult"):
        print(base64.b64decode(response["LogResult"]).decode("utf-8", errors="replace"), file=sys.stderr)
    elif log.exists():  # the local runtime writes the function's log to <state>/logs/<name>.log
        with log.open("r", errors="replace") as handle:
            handle.seek(log_offset)
            print(handle.read().rstrip(), file=sys.stderr)
    try:
        print(json.dumps(json.loads(body), indent=2))
    except ValueError:
        print(body)
    if response.get("FunctionError"):
        print(f"harness.invoke: {name} failed ({response['FunctionError']})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
