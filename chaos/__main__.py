"""`python -m chaos`: inject faults into the local stack while the simulator streams; print the table.

    python -m chaos                         # every fault on its own, the mixes, the HOS runs (make chaos)
    python -m chaos --faults redis-kill,poison,late@hos-violation     # "@": on another scenario
    python -m chaos --list

Exit status 0 only when every run lost nothing and doubled nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from chaos.config import ChaosConfig
from chaos.faults import CATALOG, HOS_RUNS, MIXES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--faults",
        help="comma-separated faults ('a+b' mixes them, 'a@scenario' runs on another workload); default: all",
    )
    parser.add_argument("--list", action="store_true", help="list the faults and exit")
    parser.add_argument("--scenario", default=ChaosConfig.scenario, help="workload scenario (scenarios/)")
    parser.add_argument("--full-size", action="store_true", help="the scenario's full size (default: its test size)")
    parser.add_argument("--seed", type=int, default=ChaosConfig.seed)
    parser.add_argument("--env", default=ChaosConfig.env)
    parser.add_argument("--send-span", type=float, default=ChaosConfig.send_span_s, help="wall seconds of sending")
    parser.add_argument("--hold", type=float, default=ChaosConfig.fault_hold_s, help="least seconds a fault lasts")
    parser.add_argument("--rate", type=float, default=ChaosConfig.throttle_rate, help="emulator fault rate (0..1)")
    parser.add_argument("--no-stack", action="store_true", help="use the running, applied stack as it is")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    if args.list:
        for name, cls in CATALOG.items():
            print(f"{name:18} {cls.description}")
        for run in (*MIXES, *HOS_RUNS):
            print(run)
        return 0
    faults = tuple(args.faults.split(",")) if args.faults else (*CATALOG, *MIXES, *HOS_RUNS)
    config = ChaosConfig(
        faults=faults,
        scenario=args.scenario,
        test_size=not args.full_size,
        seed=args.seed,
        env=args.env,
        send_span_s=args.send_span,
        fault_hold_s=args.hold,
        throttle_rate=args.rate,
    )
    from rich.console import Console

    from chaos import faults as catalog
    from chaos import runner, table

    for name in faults:
        catalog.build(name)  # unknown names fail before anything starts
    console = Console(stderr=True)
    if args.no_stack:
        from scenario_runner.run import use_local_stack

        use_local_stack()
    else:
        from scenario_runner.run import ensure_local_stack

        console.print("[bold]Bringing up and applying the local stack[/]")
        ensure_local_stack(args.env)
    result = runner.run_suite(config, log=console.print)
    table.render(result.rows, Console(width=max(Console().width, 170)))
    if args.markdown:
        args.markdown.write_text(table.markdown(result.rows))
    if args.json:
        rows = [
            {k: ({str(n): c for n, c in v.items()} if isinstance(v, dict) else v) for k, v in asdict(r).items()}
            for r in result.rows
        ]
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0 if all(row.holds for row in result.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
