"""Capacity planner CLI: what a fleet needs vs what a tfvars file configures.

    python -m capacity_planner --env prod [--vehicles 234000] [--tfvars PATH]
        [--record-bytes diagnostics=480] [--account-concurrency 1000] [--json]

Prints one row per capacity (requirement, configured, OK/SHORT/WARN/INFO/UNSET) and exits 1 when
any row is SHORT, 2 when the tfvars file cannot be read. WARN rows (on-demand ramp-up, unknown node
type) do not fail the run: AWS absorbs them, but they deserve a look before a launch.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from capacity_planner.model import HEADROOM, CapacityReport, TelemetryRates, plan
from capacity_planner.tfvars import TfvarsError, load_tfvars, stack_capacity_locals

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VEHICLES = 234_000
_RECORD_SIZE_FIELDS = {
    "gps": "gps_record_bytes",
    "diagnostics": "diagnostics_record_bytes",
    "hos": "hos_record_bytes",
}


def _record_size(text: str) -> tuple[str, int]:
    kind, _, size = text.partition("=")
    if kind not in _RECORD_SIZE_FIELDS or not size.isdigit():
        raise argparse.ArgumentTypeError(f"expected gps|diagnostics|hos=BYTES, got {text!r}")
    return kind, int(size)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m capacity_planner", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", default="prod", help="reads infra/<env>.tfvars unless --tfvars")
    parser.add_argument("--tfvars", type=Path, help="tfvars file to check")
    parser.add_argument(
        "--stack",
        type=Path,
        default=REPO_ROOT / "infra" / "tap_stack.tf",
        help="tap_stack.tf whose locals.capacity[env] holds parallelization_factor",
    )
    parser.add_argument("--vehicles", type=int, default=DEFAULT_VEHICLES)
    parser.add_argument(
        "--record-sizes",
        choices=("contract", "measured"),
        default="contract",
        help="contract: sizes from docs/contracts.md (~300/550/400 B); measured: "
        "mean size of the simulator's records (data + partition key)",
    )
    parser.add_argument(
        "--record-bytes",
        type=_record_size,
        action="append",
        default=[],
        metavar="KIND=BYTES",
        help="override one record size",
    )
    parser.add_argument("--headroom", type=float, default=HEADROOM)
    parser.add_argument(
        "--account-concurrency", type=int, default=None, help="Lambda account concurrency limit (default 1000)"
    )
    parser.add_argument(
        "--dot-driver-seconds", type=float, default=None, help="DOT report: seconds per driver (report_driver)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--max-vehicles",
        action="store_true",
        help="also print the largest fleet this tfvars carries with nothing SHORT",
    )
    return parser


def rates_from_args(args: argparse.Namespace) -> TelemetryRates:
    overrides = {}
    if args.record_sizes == "measured":
        from capacity_planner.measure import measured_record_bytes

        overrides = {
            _RECORD_SIZE_FIELDS[kind]: size
            for kind, size in measured_record_bytes().items()
            if kind in _RECORD_SIZE_FIELDS
        }
    overrides.update({_RECORD_SIZE_FIELDS[kind]: size for kind, size in args.record_bytes})
    return TelemetryRates(vehicles=args.vehicles, **overrides)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_table(report: CapacityReport, source: str) -> str:
    """Plain-text table; rich is optional so the planner runs in a bare CI image."""
    header = ("area", "item", "required", "configured", "unit", "status")
    rows = [(c.area, c.item, _fmt(c.required), _fmt(c.configured), c.unit, c.status) for c in report.checks]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    rates = report.rates
    out = [
        f"capacity for {rates.vehicles:,} vehicles vs {source} (record bytes gps "
        f"{rates.gps_record_bytes}, diagnostics {rates.diagnostics_record_bytes}, hos {rates.hos_record_bytes})",
        line.format(*header),
        line.format(*("-" * w for w in widths)),
    ]
    out += [line.format(*row) for row in rows]
    out.append("")
    out += [
        f"{c.status:<5} {c.area}/{c.item}: {c.note}"
        for c in report.checks
        if c.status in ("SHORT", "WARN", "UNSET") and c.note
    ]
    verdict = (
        "OK: every capacity meets the requirement"
        if report.ok
        else "SHORT: "
        + ", ".join(
            f"{c.area}/{c.item} needs {_fmt(c.required)} {c.unit}, has {_fmt(c.configured)}" for c in report.short
        )
    )
    out.append(verdict)
    return "\n".join(out)


def report_as_json(report: CapacityReport, source: str) -> str:
    return json.dumps(
        {
            "source": source,
            "vehicles": report.rates.vehicles,
            "ok": report.ok,
            "streams": {k: dataclasses.asdict(v) for k, v in report.loads.items()},
            "checks": [dataclasses.asdict(c) for c in report.checks],
        },
        indent=2,
    )


def _stack_locals(stack: Path, env: str) -> dict:
    if not stack.exists():
        return {}
    capacity = stack_capacity_locals(stack.read_text(encoding="utf-8"), env)
    return {k: v for k, v in capacity.items() if k == "parallelization_factor"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    path = args.tfvars or REPO_ROOT / "infra" / f"{args.env}.tfvars"
    try:
        tfvars = load_tfvars(path)
        stack_locals = _stack_locals(args.stack, str(tfvars.get("env") or args.env))
    except (OSError, TfvarsError) as error:
        print(f"cannot read {path} / {args.stack}: {error}", file=sys.stderr)
        return 2
    # Capacities the stack keeps in locals per environment; a tfvars value of the same name wins.
    tfvars = {**stack_locals, **tfvars}
    rates = rates_from_args(args)
    report = plan(
        rates,
        tfvars,
        headroom=args.headroom,
        account_limit=args.account_concurrency,
        dot_driver_s=args.dot_driver_seconds,
    )
    print(report_as_json(report, str(path)) if args.json else render_table(report, str(path)))
    if not args.json:
        print("\n" + monthly_cost_table(args, rates, tfvars))
    if args.max_vehicles:
        largest = largest_fleet(args, rates, tfvars)
        print(f"largest fleet with nothing SHORT: {largest:,} vehicles")
    return 0 if report.ok else 1


def monthly_cost_table(args: argparse.Namespace, rates: TelemetryRates, tfvars: dict) -> str:
    """The sizing's monthly cost from list prices (capacity_planner.cost)."""
    from capacity_planner import cost, prices
    from capacity_planner.stack_facts import stack_facts

    text = args.stack.read_text(encoding="utf-8") if args.stack.exists() else ""
    env = str(tfvars.get("env") or args.env)
    facts = stack_facts(text, stack_capacity_locals(text, env) if text else {}, tfvars)
    title = (
        f"monthly cost of {env} for {rates.vehicles:,} vehicles ({prices.REGION} list prices of {prices.PRICES_AS_OF})"
    )
    return cost.render(cost.monthly_cost(rates, tfvars, facts), title)


def largest_fleet(args: argparse.Namespace, rates: TelemetryRates, tfvars: dict, ceiling: int = 10_000_000) -> int:
    """Binary search on fleet size (requirements grow monotonically with vehicles)."""

    def fits(vehicles: int) -> bool:
        return plan(
            dataclasses.replace(rates, vehicles=vehicles),
            tfvars,
            headroom=args.headroom,
            account_limit=args.account_concurrency,
        ).ok

    low, high = 0, ceiling
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


if __name__ == "__main__":
    sys.exit(main())
