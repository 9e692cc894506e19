"""The inside of one local Lambda execution environment (a child process).

Started by `harness.runtime.workers` as `python -I <this file> <code_dir> <handler>` so that:
- `-I` keeps the repository checkout off `sys.path`: the handler is imported from the function's
  extracted zip (`code_dir`), i.e. exactly the bytes Terraform uploaded;
- third-party packages come from the host interpreter's site-packages (the deployed layer holds
  cp312 manylinux wheels that cannot load here, see docs/benchmarks.md "Local runtime").

Protocol on the original stdout/stdin file descriptors: one JSON document per line.
Request `{"request_id", "event", "deadline_ms", "function_arn"}`, reply `{"ok": true, "payload": ...}`
or `{"ok": false, "error": {"errorMessage", "errorType", "stackTrace"}}`. Everything the handler
prints or logs goes to stderr, which the parent points at the function's log file.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback


class LambdaContext:
    """The attributes of the AWS Lambda Python context object the handlers may use."""

    def __init__(self, request_id: str, deadline_ms: int, function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler(handler_string: str):
    module_name, _, function_name = handler_string.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


def error_document(exc: BaseException) -> dict:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def max_memory_used_mb() -> int:
    """This environment's peak resident memory (VmHWM), Lambda's "Max Memory Used".

    Not getrusage's ru_maxrss: Linux keeps that across exec, so it would report the peak of the
    (much larger) parent process this worker was forked from."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:  # no procfs (not Linux): the rusage figure, in bytes there
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 * 1024)


def main() -> None:
    code_dir, handler_string = sys.argv[1], sys.argv[2]
    # Keep the protocol channel private: handler output must not corrupt it.
    protocol_out = os.fdopen(os.dup(1), "w", buffering=1)
    protocol_in = os.fdopen(os.dup(0), "r")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    logging.basicConfig(
        level=logging.WARNING,  # the Lambda Python runtime default; powertools loggers honour LOG_LEVEL
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    init_started = time.monotonic()
    init_error = None
    try:
        handler = load_handler(handler_string)
    except Exception as exc:  # reported on every invoke, as Lambda does for a failed init
        init_error = error_document(exc)
        traceback.print_exc()
    print(f"INIT_REPORT Init Duration: {(time.monotonic() - init_started) * 1000:.1f} ms", file=sys.stderr)
    protocol_out.write(json.dumps({"ready": True}) + "\n")

    for line in protocol_in:
        request = json.loads(line)
        request_id = request["request_id"]
        print(f"START RequestId: {request_id}", file=sys.stderr, flush=True)
        started = time.monotonic()
        if init_error is not None:
            reply = {"ok": False, "error": init_error}
        else:
            context = LambdaContext(request_id, request["deadline_ms"], request["function_arn"])
            try:
                payload = handler(request["event"], context)
                reply = {"ok": True, "payload": payload}
            except Exception as exc:
                traceback.print_exc()
                reply = {"ok": False, "error": error_document(exc)}
        duration_ms = (time.monotonic() - started) * 1000
        print(f"END RequestId: {request_id}", file=sys.stderr)
        max_used_mb = max_memory_used_mb()
        print(
            f"REPORT RequestId: {request_id} Duration: {duration_ms:.1f} ms "
            f"Memory Size: {os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '?')} MB "
            f"Max Memory Used: {max_used_mb} MB",
            file=sys.stderr,
            flush=True,
        )
        try:
            encoded = json.dumps(reply, default=str)
        except (TypeError, ValueError) as exc:
            encoded = json.dumps({"ok": False, "error": error_document(exc)})
        protocol_out.write(encoded + "\n")


if __name__ == "__main__":
    main()
