"""Local Lambda runtime faults: execution environments (worker processes) killed mid-batch.

The local runtime runs each execution environment as a child process of the emulator
(`harness/runtime/workers.py`: `worker_main.py <code dir named after the function> <handler>`).
- `worker-kill`: SIGKILL every environment of the stream consumers mid-batch (a sandbox crash);
  the runtime answers the invoke with Runtime.ExitError and the ESM retries.
- `function-timeout`: the functions' timeout is lowered to `TIMEOUT_S` (a redeploy of the
  configuration, as `aws lambda update-function-configuration` does), their environments are frozen
  (SIGSTOP) mid-batch, and the runtime kills them at the timeout (Sandbox.Timedout); `heal` restores
  the deployed timeouts.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from chaos.faults.base import Fault, FaultContext

CONSUMERS = ("processor", "predictive", "fuel", "hos", "location", "anomaly")
TIMEOUT_S = 6


def function_name(key: str, env: str) -> str:
    return f"fleettap-{env}-{key.replace('_', '-')}"


def _children(pid: int) -> list[int]:
    """Child pids of every thread of `pid` (each thread's children are listed under its own task)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(part) for part in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def environments(emulator_pid: int, functions: tuple[str, ...]) -> dict[int, str]:
    """Worker pid -> function name, for the emulator's execution environments of `functions`."""
    found = {}
    for pid in _children(emulator_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        script = next((i for i, arg in enumerate(argv) if arg.endswith(b"worker_main.py")), None)
        if script is None or script + 1 >= len(argv):
            continue
        base = os.path.basename(argv[script + 1].decode().rstrip("/"))  # <function name>-<code sha>
        name = base.rpartition("-")[0]  # the sha has no "-": hos-report is not hos
        if name in functions:
            found[pid] = name
    return found


def _emulator_pid(ctx: FaultContext) -> int:
    from harness import services

    record = services.running_record(ctx.state_dir, "aws")
    if record is None:
        raise RuntimeError("the emulator is not running in this stack")
    return record.pid


class WorkerKill(Fault):
    name = "worker-kill"
    description = "execution environments of the stream consumers SIGKILLed mid-batch"

    def inject(self, ctx: FaultContext) -> None:
        names = tuple(function_name(key, ctx.config.env) for key in CONSUMERS)
        killed = environments(_emulator_pid(ctx), names)
        for pid in killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        ctx.notes.append(f"killed {len(killed)} environments: {', '.join(sorted(set(killed.values())))}")


class FunctionTimeout(Fault):
    name = "function-timeout"
    description = f"consumers frozen mid-batch and killed at a {TIMEOUT_S} s timeout"

    def __init__(self) -> None:
        self.deployed: dict[str, int] = {}
        self.frozen: set[int] = set()
        self._stop = threading.Event()
        self._freezer: threading.Thread | None = None

    def inject(self, ctx: FaultContext) -> None:
        from sim import aws

        client = aws.client("lambda")
        names = tuple(function_name(key, ctx.config.env) for key in CONSUMERS)
        for name in names:
            self.deployed[name] = client.get_function_configuration(FunctionName=name)["Timeout"]
            client.update_function_configuration(FunctionName=name, Timeout=TIMEOUT_S)
        emulator = _emulator_pid(ctx)

        def freeze() -> None:  # environments cold-start with the new timeout; each is frozen once it exists
            while not self._stop.is_set():
                for pid in environments(emulator, names):
                    if pid not in self.frozen:
                        try:
                            os.kill(pid, signal.SIGSTOP)
                            self.frozen.add(pid)
                        except ProcessLookupError:
                            pass
                self._stop.wait(0.3)

        self._freezer = threading.Thread(target=freeze, name="chaos-freeze", daemon=True)
        self._freezer.start()

    def heal(self, ctx: FaultContext) -> None:
        from sim import aws

        self._stop.set()
        if self._freezer is not None:
            self._freezer.join(10)
        for pid in self.frozen:  # one still frozen had no invoke to time out: let it go on
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        client = aws.client("lambda")
        for name, timeout in self.deployed.items():
            client.update_function_configuration(FunctionName=name, Timeout=timeout)
        ctx.notes.append(
            f"froze {len(self.frozen)} environments at a {TIMEOUT_S} s timeout; deployed timeouts restored"
        )
