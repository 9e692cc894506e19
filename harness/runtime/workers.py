"""Local Lambda execution environments: one long-lived child process each.

An environment is created on the first invoke (cold start), reused while idle (warm), and killed
and discarded when an invoke runs past the function's timeout or its memory (the next invoke
cold-starts a new one), which is how Lambda treats such a sandbox. The code is the function's own
zip, taken from moto's backend and extracted once per code hash.

Memory: the environment's peak resident memory (the worker process's VmHWM, what Lambda reports as
"Max Memory Used") is read while an invoke runs and when it returns; above the function's
MemorySize the invoke fails with Runtime.OutOfMemory, the environment is killed, and the function
log says so with both figures, as Lambda does when its sandbox exceeds its memory. (The figure
comes from Linux's procfs; where there is none, the cold start's log says memory is not enforced.)
"""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER_SCRIPT = Path(__file__).with_name("worker_main.py")
INIT_TIMEOUT_S = 30.0
MEMORY_POLL_S = 0.1  # how often a running invoke's peak memory is read


@dataclass(frozen=True)
class FunctionSpec:
    """What an execution environment is built from (all of it comes from the deployed function)."""

    name: str
    arn: str
    handler: str
    code_sha: str
    code_bytes: bytes = field(repr=False, compare=False)
    environment: tuple[tuple[str, str], ...]
    timeout_s: float
    memory_mb: int
    reserved_concurrency: int | None = None

    @property
    def identity(self) -> tuple:
        """Changes whenever a redeploy must replace the running environments."""
        return (self.handler, self.code_sha, self.environment, self.timeout_s, self.memory_mb)


@dataclass
class InvocationResult:
    payload: Any
    function_error: str | None  # None when the handler returned, "Unhandled" when it raised/timed out
    duration_ms: float
    cold_start: bool = False

    @property
    def failed(self) -> bool:
        return self.function_error is not None


def error_payload(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": []}


def peak_memory_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of process `pid` in MB, None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class ExecutionEnvironment:
    """One child process running one function's handler."""

    def __init__(self, spec: FunctionSpec, code_root: Path, log_path: Path) -> None:
        self.spec = spec
        self._code_root = code_root
        self._log_path = log_path
        self._process: subprocess.Popen | None = None
        self._replies: queue.Queue = queue.Queue()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _code_dir(self) -> Path:
        target = self._code_root / f"{self.spec.name}-{self.spec.code_sha[:16]}"
        if not (target / ".extracted").exists():
            tmp = target.with_name(target.name + f".tmp-{uuid.uuid4().hex[:6]}")
            with zipfile.ZipFile(io.BytesIO(self.spec.code_bytes)) as archive:
                archive.extractall(tmp)
            (tmp / ".extracted").write_text(self.spec.code_sha)
            try:
                tmp.rename(target)
            except OSError:  # another environment of the same function extracted it first
                pass
        return target

    def start(self) -> None:
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
        env.update(dict(self.spec.environment))
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = open(self._log_path, "ab", buffering=0)
        log_file.write(
            f"{_stamp()} runtime: cold start of {self.spec.name} "
            f"(memory {self.spec.memory_mb} MB noted, timeout {self.spec.timeout_s:g} s)\n".encode()
        )
        self._process = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_SCRIPT), str(self._code_dir()), self.spec.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            text=True,
            bufsize=1,
        )
        log_file.close()
        threading.Thread(target=self._read_replies, args=(self._process,), daemon=True).start()
        ready = self._next_reply(INIT_TIMEOUT_S)
        if not ready or not ready.get("ready"):
            self.kill("init did not finish")
            raise RuntimeError(f"{self.spec.name}: execution environment failed to start")
        if peak_memory_mb(self._process.pid) is None:
            with open(self._log_path, "ab") as log:
                log.write(f"{_stamp()} runtime: no /proc/<pid>/status here: memory is not enforced\n".encode())

    def _read_replies(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self._replies.put(json.loads(line))
        self._replies.put(None)

    def _next_reply(self, timeout_s: float) -> dict | None:
        try:
            return self._replies.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def invoke(self, event: Any) -> InvocationResult:
        started = time.monotonic()
        request = {
            "request_id": str(uuid.uuid4()),
            "event": event,
            "deadline_ms": int(time.time() * 1000 + self.spec.timeout_s * 1000),
            "function_arn": self.spec.arn,
        }
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill("stdin closed")
            return InvocationResult(
                error_payload("Runtime.ExitError", "execution environment exited"), "Unhandled", 0.0
            )
        reply, peak_mb = self._await_reply(self.spec.timeout_s)
        duration_ms = (time.monotonic() - started) * 1000
        if peak_mb is not None and peak_mb > self.spec.memory_mb:
            return self._out_of_memory(request["request_id"], peak_mb, duration_ms)
        if reply is None:
            timed_out = self.alive
            self.kill(f"timed out after {self.spec.timeout_s:g} s" if timed_out else "process exited")
            if timed_out:
                message = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
                return InvocationResult(error_payload("Sandbox.Timedout", message), "Unhandled", duration_ms)
            return InvocationResult(
                error_payload("Runtime.ExitError", "execution environment exited"), "Unhandled", duration_ms
            )
        if reply.get("ok"):
            return InvocationResult(reply.get("payload"), None, duration_ms)
        return InvocationResult(reply["error"], "Unhandled", duration_ms)

    def _await_reply(self, timeout_s: float) -> tuple[dict | None, float | None]:
        """The worker's reply (None at the timeout or when it exited) and its peak memory in MB;
        returns early, without a reply, as soon as the peak exceeds the function's memory."""
        deadline = time.monotonic() + timeout_s
        pid = self._process.pid
        while True:
            reply = self._next_reply(max(0.0, min(MEMORY_POLL_S, deadline - time.monotonic())))
            peak_mb = peak_memory_mb(pid)
            if reply is not None or (peak_mb is not None and peak_mb > self.spec.memory_mb):
                return reply, peak_mb
            if time.monotonic() >= deadline or not self.alive:
                return self._next_reply(0.05), peak_mb

    def _out_of_memory(self, request_id: str, peak_mb: float, duration_ms: float) -> InvocationResult:
        memory = self.spec.memory_mb
        with open(self._log_path, "ab") as log_file:
            log_file.write(
                f"{_stamp()} runtime: RequestId: {request_id} Error: Runtime exited with error: signal: killed "
                f"Runtime.OutOfMemory (Max Memory Used: {peak_mb:.0f} MB > Memory Size: {memory} MB)\n"
                f"REPORT RequestId: {request_id} Duration: {duration_ms:.1f} ms Memory Size: {memory} MB "
                f"Max Memory Used: {peak_mb:.0f} MB Status: error Error Type: Runtime.OutOfMemory\n".encode()
            )
        self.kill(f"out of memory: {peak_mb:.0f} MB used, {memory} MB configured")
        message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
        return InvocationResult(error_payload("Runtime.OutOfMemory", message), "Unhandled", duration_ms)

    def kill(self, reason: str) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        with open(self._log_path, "ab") as log_file:
            log_file.write(f"{_stamp()} runtime: environment of {self.spec.name} stopped ({reason})\n".encode())
        self._process = None


class EnvironmentPool:
    """The execution environments of one function; at most `limit` run at the same time."""

    def __init__(
        self,
        code_root: Path,
        log_dir: Path,
        limit: int,
        before_cold_start: Callable[[FunctionSpec], None] = lambda spec: None,
    ) -> None:
        self._before_cold_start = before_cold_start
        self._code_root = code_root
        self._log_dir = log_dir
        self._limit = limit
        self._idle: list[ExecutionEnvironment] = []
        self._busy = 0
        self._condition = threading.Condition()

    def invoke(self, spec: FunctionSpec, event: Any) -> InvocationResult:
        environment, cold = self._acquire(spec)
        try:
            if cold:
                try:
                    self._before_cold_start(spec)
                    environment.start()
                except RuntimeError as exc:
                    return InvocationResult(error_payload("Runtime.InitError", str(exc)), "Unhandled", 0.0, True)
            result = environment.invoke(event)
            result.cold_start = cold
            return result
        finally:
            self._release(environment)

    def _acquire(self, spec: FunctionSpec) -> tuple[ExecutionEnvironment, bool]:
        # `limit` is the machine's, not Lambda's: beyond it an invoke waits for a free environment.
        # Reserved and account concurrency are enforced before (`concurrency`), by refusing.
        limit = self._limit
        with self._condition:
            while True:
                for stale in [env for env in self._idle if env.spec.identity != spec.identity or not env.alive]:
                    self._idle.remove(stale)
                    stale.kill("redeployed" if stale.alive else "exited")
                if self._idle:
                    self._busy += 1
                    return self._idle.pop(), False
                if self._busy < limit:
                    self._busy += 1
                    return ExecutionEnvironment(spec, self._code_root, self._log_dir / f"{spec.name}.log"), True
                self._condition.wait()

    def _release(self, environment: ExecutionEnvironment) -> None:
        with self._condition:
            self._busy -= 1
            if environment.alive:
                self._idle.append(environment)
            self._condition.notify()

    def shutdown(self) -> None:
        with self._condition:
            for environment in self._idle:
                environment.kill("runtime stopped")
            self._idle.clear()


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
