"""`python -m harness.runtime.logs [FUNCTION ...] [-n 50] [-f]` (`make logs`): the local functions'
log lines from `<state_dir>/logs/<function-name>.log`, prefixed with the function name; `-f`
keeps following (like `tail -f` over every function, new log files included)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.config import state_dir


def log_files(log_dir: Path, names: list[str], exact: bool = False) -> list[Path]:
    """The log files of the named functions: any whose name contains one of `names`, or with
    `exact`, the function of that name or short name (`hos` is fleettap-dev-hos, not -hos-report)."""
    files = sorted(log_dir.glob("*.log"))
    if names and exact:
        wanted = {name.replace("_", "-") for name in names} | set(names)
        return [f for f in files if f.stem in wanted or any(f.stem.endswith(f"-{name}") for name in wanted)]
    if names:
        files = [f for f in files if any(name in f.stem for name in names)]
    return files


def tail_lines(path: Path, count: int) -> list[str]:
    lines = path.read_text(errors="replace").splitlines()
    return lines[-count:] if count else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("functions", nargs="*", help="function names (or parts of them)")
    parser.add_argument("-n", "--lines", type=int, default=50)
    parser.add_argument("-f", "--follow", action="store_true")
    parser.add_argument("--exact", action="store_true", help="only the function of that (short) name")
    parser.add_argument("--state-dir")
    args = parser.parse_args(argv)
    log_dir = state_dir(args.state_dir) / "logs"
    files = log_files(log_dir, args.functions, args.exact)
    if not files and not args.follow:
        print(f"no function logs in {log_dir}")
        return
    offsets = {}
    for path in files:
        for line in tail_lines(path, args.lines):
            print(f"{path.stem} | {line}")
        offsets[path] = path.stat().st_size
    while args.follow:
        time.sleep(0.5)
        for path in log_files(log_dir, args.functions, args.exact):
            size = path.stat().st_size
            start = offsets.get(path, 0)
            if size > start:
                with path.open("r", errors="replace") as handle:
                    handle.seek(start)
                    for line in handle.read().splitlines():
                        print(f"{path.stem} | {line}", flush=True)
                offsets[path] = size


if __name__ == "__main__":
    main()
