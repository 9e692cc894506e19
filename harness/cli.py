"""`python -m harness up [--stack embedded|compose] | down | status [--json] | env | psql | redis-cli`: the local
stack's front door."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from dataclasses import asdict

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
    unhealthy = [row.name for row in rows if row.running and not row.healthy]
    if args.json:
        print(json.dumps({"services": [asdict(row) for row in rows], "healthy": not unhealthy}, indent=2))
        return 1 if unhealthy else 0
    print(f"{'service':<10}{'pid':>8}  {'port':>6}  {'state':<9}health")
    for row in rows:
        state = "running" if row.running else "stopped"
        health = "ok" if row.healthy else ("-" if not row.running else "FAILING")
        detail = f"  ({row.detail})" if row.detail else ""
        print(f"{row.name:<10}{row.pid or '-':>8}  {row.port:>6}  {state:<9}{health}{detail}")
    return 1 if unhealthy else 0


def cmd_env(args: argparse.Namespace) -> int:
    """`eval "$(make -s env)"`: export lines pointing a shell's AWS CLI and SDKs (and psql) at the
    running stack, with the admin `test` credentials Terraform and the tools use."""
    print(shell_exports(read_stack(state_dir())))
    return 0


def shell_exports(info) -> str:
    variables = dict(info.env())
    variables.update(
        {
            "PGHOST": info.postgres_host,
            "PGPORT": str(info.postgres_port),
            "PGUSER": info.postgres_user,
            "PGPASSWORD": info.postgres_password,
            "PGDATABASE": info.postgres_dbname,
            "REDIS_URL": info.redis_url,
        }
    )
    lines = ["unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in sorted(variables.items())]
    lines.append(f"# fleettap: this shell now talks to the local stack at {info.aws_endpoint}")
    return "\n".join(lines)


def cmd_psql(args: argparse.Namespace) -> int:
    """psql on the local Aurora stand-in (PostgreSQL); extra arguments go to psql."""
    info = read_stack(state_dir())
    environment = {**os.environ, "PGPASSWORD": info.postgres_password}
    argv = ["psql", "-h", info.postgres_host, "-p", str(info.postgres_port), "-U", info.postgres_user]
    return _exec(argv + ["-d", info.postgres_dbname, *args.rest], environment, "postgresql-client")


def cmd_redis_cli(args: argparse.Namespace) -> int:
    """redis-cli on the local ElastiCache stand-in; extra arguments go to redis-cli."""
    info = read_stack(state_dir())
    argv = ["redis-cli", "-h", info.redis_host, "-p", str(info.redis_port), *args.rest]
    return _exec(argv, dict(os.environ), "redis-tools")


def _exec(argv: list[str], environment: dict[str, str], package: str) -> int:
    if shutil.which(argv[0]) is None:
        print(f"error: {argv[0]} is not on PATH: apt-get install -y {package}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execvpe(argv[0], argv, environment)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the local stack (harmless when already up)")
    up.add_argument("--stack", choices=("embedded", "compose"), default="embedded")
    up.set_defaults(run=cmd_up)
    commands.add_parser("down", help="stop exactly what `up` started").set_defaults(run=cmd_down)
    status = commands.add_parser("status", help="table of services, pids, ports and health")
    status.add_argument("--json", action="store_true", help="the table as JSON")
    status.set_defaults(run=cmd_status)
    commands.add_parser("env", help="shell export lines for the running stack").set_defaults(run=cmd_env)
    for name, run in (("psql", cmd_psql), ("redis-cli", cmd_redis_cli)):
        command = commands.add_parser(name, help=f"{name} on the running stack (extra arguments are passed on)")
        command.add_argument("rest", nargs=argparse.REMAINDER)
        command.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (services.ServiceError, StackNotRunning) as error:  # exit codes: docs/contracts.md
        print(f"error: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
