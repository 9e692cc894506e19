"""Hot reload: a rebuilt functions.zip reaches the deployed functions without a Terraform run.

    python -m harness.hot_reload [--env dev] [--watch]     (make sync, make sync WATCH=1)

Like `sam sync --code` (and `--watch`): when only the handler code changed since the last local
apply (harness.deploy_fingerprint says "hot-reload"), every function deployed from functions.zip gets
the new zip through UpdateFunctionCode, and the local runtime runs it from the next invoke on (its
execution environments are keyed by the code's hash, harness.runtime.workers). Anything else changed
(infra/, variables, the dependency layer) needs `make apply`, and is said so. `--watch` rebuilds
(`harness.build`) and reloads whenever a file under handlers/ changes.

Exit status: 0 reloaded or nothing to do, 2 usage, 3 the stack is not up or an apply is needed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from harness.config import REPO_ROOT

FUNCTIONS_ZIP = "functions.zip"
WATCHED = REPO_ROOT / "handlers"


def functions_from(tfstate: dict, zip_name: str = FUNCTIONS_ZIP) -> list[str]:
    """Names of the applied Lambda functions whose code is `zip_name`."""
    names = []
    for resource in tfstate.get("resources", []):
        if resource.get("mode") != "managed" or resource.get("type") != "aws_lambda_function":
            continue
        for instance in resource.get("instances", []):
            attributes = instance.get("attributes") or {}
            if str(attributes.get("filename") or "").endswith(f"/{zip_name}"):
                names.append(attributes["function_name"])
    return sorted(names)


def update_functions(tfstate: dict, zip_path: Path, clients: Any) -> list[str]:
    """UpdateFunctionCode for every function deployed from that zip; returns their names."""
    code = Path(zip_path).read_bytes()
    lam = clients("lambda")
    names = functions_from(tfstate, Path(zip_path).name)
    for name in names:
        lam.update_function_code(FunctionName=name, ZipFile=code)
    return names


def sync(env: str) -> tuple[str, str]:
    """Bring the deployed functions up to date with build/lambda when only the code changed.
    Returns (action, message); action is "hot-reload", "skip" or "apply" (an apply is needed)."""
    from harness import terraform

    decision = terraform.ensure_applied(env, apply_if_needed=False)
    return decision.action, decision.reason


def _sources_mtime() -> float:
    return max((path.stat().st_mtime for path in WATCHED.rglob("*.py")), default=0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.hot_reload", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", default="dev", choices=("dev", "staging", "prod"))
    parser.add_argument("--watch", action="store_true", help="rebuild and reload whenever handlers/ changes")
    args = parser.parse_args(argv)
    from harness import build
    from harness.config import ConfigError, StackNotRunning
    from harness.terraform import TerraformError

    seen = None
    while True:
        try:
            if args.watch:
                build.main([])
            action, reason = sync(args.env)
        except (StackNotRunning, ConfigError, TerraformError) as error:
            print(f"harness.hot_reload: {error}", file=sys.stderr)
            return 3
        print(f"harness.hot_reload: {action}: {reason}", file=sys.stderr)
        if action == "apply":
            print("harness.hot_reload: more than the handler code changed: run make apply", file=sys.stderr)
            if not args.watch:
                return 3
        if not args.watch:
            return 0
        seen = _sources_mtime()
        while _sources_mtime() == seen:
            time.sleep(1.0)


if __name__ == "__main__":
    sys.exit(main())
