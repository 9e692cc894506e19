"""python -m preflight --env dev|staging|prod [--plan-json FILE] [--target local|aws [--saved-plan]]

Without --plan-json the plan is made here (harness.terraform.show_plan: TARGET=local plans against
the running local stack, `make up`). Exit 0: no finding; 1: findings (printed); 2: no plan.
"""

from __future__ import annotations

import argparse
import json
import sys

from preflight.plan import Context
from preflight.run import report, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m preflight", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", choices=("dev", "staging", "prod"), required=True)
    parser.add_argument("--plan-json", help="`terraform show -json` of a plan (default: plan now)")
    parser.add_argument("--target", choices=("local", "aws"), default="local")
    parser.add_argument(
        "--saved-plan",
        action="store_true",
        help="TARGET=aws: check the plan `make plan` saved (the one `make apply` takes) instead of planning",
    )
    args = parser.parse_args(argv)
    if args.plan_json:
        with open(args.plan_json) as handle:
            plan = json.load(handle)
    else:
        from harness import terraform
        from harness.tf.reviewed_plan import ReviewedPlanMissing

        try:
            if args.saved_plan:
                if args.target != "aws":
                    parser.error("--saved-plan is for --target aws (a local apply plans afresh)")
                plan = terraform.show_reviewed_plan(args.env)
            else:
                plan = terraform.show_plan(args.env, target=args.target)
        except (terraform.TerraformError, ReviewedPlanMissing) as error:
            print(f"preflight: could not plan {args.env}: {error}", file=sys.stderr)
            return 2
    findings = run(Context(args.env, plan))
    print(report(args.env, findings))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
