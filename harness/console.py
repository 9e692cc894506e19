"""`fleettap`: one command for the project's `python -m` entry points (`[project.scripts]` in
pyproject.toml; `make install` puts it in .venv/bin).

    fleettap [--state-dir DIR] COMMAND [ARGS...]      fleettap COMMAND --help

Each command hands its arguments to the module that `make` runs (listed by `fleettap --help`), so
the options, output and exit status are that module's. `--state-dir` (before the command) sets
FLEETTAP_STATE_DIR for it: which local stack it talks to.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# command -> (module whose main(argv) runs it, arguments put before the user's, one-line help)
COMMANDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "up": ("harness.cli", ("up",), "start the local stack (make up)"),
    "down": ("harness.cli", ("down",), "stop what `up` started (make down)"),
    "status": ("harness.cli", ("status",), "services, pids, ports and health; --json (make status)"),
    "env": ("harness.cli", ("env",), 'shell exports for the stack: eval "$(fleettap env)" (make env)'),
    "psql": ("harness.cli", ("psql",), "psql on the local Postgres (make psql)"),
    "redis-cli": ("harness.cli", ("redis-cli",), "redis-cli on the local Redis (make redis-cli)"),
    "build": ("harness.build", (), "build the Lambda zips (make build)"),
    "terraform": ("harness.terraform", (), "init|plan|apply|destroy|output against the emulator or AWS"),
    "migrate": ("harness.migrate", (), "apply the Postgres migrations (make migrate)"),
    "seed": ("harness.seed", (), "write the reference data (make seed)"),
    "reset": ("harness.reset", (), "wipe run data and re-seed (make reset)"),
    "sync": ("harness.hot_reload", (), "hot reload rebuilt handler code, no apply; --watch (make sync)"),
    "invoke": ("harness.invoke", (), "run one deployed function with an event (make invoke)"),
    "event": ("harness.events", (), "write a realistic event for a function (make event)"),
    "logs": ("harness.runtime.logs", (), "function logs; -f follows (make logs)"),
    "runtime-status": ("harness.runtime.status", (), "functions, mappings and lag of the local runtime"),
    "trigger": ("harness.runtime.trigger", (), "fire a deployed EventBridge rule's targets now"),
    "query": ("harness.runtime.query", (), "SQL over the data lake; --csv/--json, -i (make query)"),
    "sim": ("scenario_runner.run", (), "run a scenario end to end; --json (make sim)"),
    "replay": ("sim.replay", (), "replay a recorded file into Kinesis (make replay)"),
    "load": ("loadtest.load", (), "load test (make load)"),
    "sweep": ("loadtest.sweep", (), "rate sweep to the sustainable rate"),
    "soak": ("loadtest.soak", (), "steady-rate soak (make soak)"),
    "capacity": ("capacity_planner.cli", (), "capacity plan against infra/<env>.tfvars (make capacity)"),
    "preflight": ("preflight.__main__", (), "static checks of the plan AWS would refuse (make preflight)"),
}


def build_parser() -> argparse.ArgumentParser:
    width = max(len(name) for name in COMMANDS)
    listing = "\n".join(f"  {name.ljust(width)}  {text}" for name, (_, _, text) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="fleettap",
        description=__doc__,
        epilog=f"commands:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state-dir", help="the local stack's state directory (default $FLEETTAP_STATE_DIR or .local)")
    parser.add_argument("command", choices=sorted(COMMANDS), metavar="COMMAND", help="one of the commands below")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the command's own arguments (COMMAND --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.state_dir:
        os.environ["FLEETTAP_STATE_DIR"] = os.path.abspath(os.path.expanduser(args.state_dir))
    module_name, prefix, _ = COMMANDS[args.command]
    module = importlib.import_module(module_name)
    sys.argv = [f"fleettap {args.command}", *prefix, *args.args]
    code = module.main([*prefix, *args.args])
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
