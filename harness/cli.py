"""`python -m harness up [--stack embedded|compose] | down | status`: the local stack's front door."""

from __future__ import annotations

import argparse
import sys
import time

from harness import compose, services
from harness.config import ConfigError, StackNotRunning, read_stack, state_dir


def _warn(name: str, reason: str) -> None:
    print(f"  {name:<9} NOT STARTED: {reason}", file=sys.stderr)


def _started(name: str, seconds: float) -> None:
    print(f"  started {name:<9} healthy after {seconds:5.2f} s")


def cmd_up(args: argparse.Namespace) -> int:
    state = state_dir()
    began = time.monotonic()
    if args.stack == "compose":
        info = compose.up(state, on_skip=_warn)
    else:
        info = services.up(state, on_skip=_warn, on_started=_started)
    print(f"fleettap stack ({info.stack}) up in {time.monotonic() - began:.1f} s; state in {state}")
    print(f"  aws       {info.aws_endpoint} ({info.region})")
    print(f"  redis     {info.redis_host}:{info.redis_port}")
    print(f"  postgres  {info.postgres_host}:{info.postgres_port} db={info.postgres_dbname} user={info.postgres_user}")
    print(f"  mock_api  {info.mock_api_url}")
    print(f"  clients: read {state / 'stack.json'}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    state = state_dir()
    try:
        kind = read_stack(state).stack
    except (StackNotRunning, ConfigError):
        kind = "embedded"
    outcomes = compose.down(state) if kind == "compose" else services.down(state)
    for name, outcome in outcomes.items():
        print(f"  {name:<9} {outcome}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    rows = services.status(state_dir())
    print(f"{'service':<10}{'pid':>8}  {'port':>6}  {'state':<9}health")
    for row in rows:
        state = "running" if row.running else "stopped"
        health = "ok" if row.healthy else ("-" if not row.running else "FAILING")
        detail = f"  ({row.detail})" if row.detail else ""
        print(f"{row.name:<10}{row.pid or '-':>8}  {row.port:>6}  {state:<9}{health}{detail}")
    unhealthy = [row.name for row in rows if row.running and not row.healthy]
    return 1 if unhealthy else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the local stack (harmless when already up)")
    up.add_argument("--stack", choices=("embedded", "compose"), default="embedded")
    up.set_defaults(run=cmd_up)
    commands.add_parser("down", help="stop exactly what `up` started").set_defaults(run=cmd_down)
    commands.add_parser("status", help="table of services, pids, ports and health").set_defaults(run=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (services.ServiceError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
