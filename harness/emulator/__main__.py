"""Run the embedded AWS emulator: `python -m harness.emulator --port 4566 --state-dir .local`.

Boot order matters: the emulator's patches (`harness.emulator.patches`) and the local runtime's hooks
(`harness.runtime.install`) are installed into moto's backends before the server accepts a request;
the runtime's pollers start (`harness.runtime.start`) once the server listens. With `--no-runtime`, or
when the `harness.runtime` package is not importable, the emulator serves moto + its patches only.
The server (`harness.emulator.keepalive_server`: cheroot, keep-alive) answers an SDK's retry of a
call it already executed with the first answer (`harness.emulator.retry_replay`), so a lost
response never turns a create into a conflict.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import signal
import threading
from pathlib import Path

from harness.emulator import gc_policy, iam_enforcement, patches, persistence
from harness.emulator.keepalive_server import emulator_server
from harness.emulator.patches import retention

log = logging.getLogger("harness.emulator")
STOP_TIMEOUT_S = 15.0
# Saving a large state (a soak's streams) takes seconds; harness.services waits longer for the emulator.
SAVE_TIMEOUT_S = 50.0
EMULATOR_SETTINGS = "emulator.json"


def _runtime():
    """The local runtime package, or None when it is not part of this tree."""
    if importlib.util.find_spec("harness.runtime") is None:
        return None
    import harness.runtime as runtime

    return runtime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument(
        "--no-runtime", action="store_true", help="serve moto + its patches only (no local Lambda execution / pollers)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    endpoint = f"http://{args.host}:{args.port}"

    patches.apply_all()
    log.info("garbage collection: %s (%s, harness/emulator/gc_policy.py)", gc_policy.install(), gc_policy.GC_ENV)
    log.info(
        "IAM enforcement for the functions' role credentials: %s",
        "on" if iam_enforcement.enabled() else f"OFF ({iam_enforcement.ENFORCEMENT_ENV})",
    )
    log.info(
        "local data retention: %s",
        f"{retention.local_retention_s():g} s"
        if retention.local_retention_s()
        else "off (AWS retention periods, every item kept)",
    )
    runtime = None if args.no_runtime else _runtime()
    if runtime is not None:
        runtime.install(state_dir)
    state_id = _restore_state(state_dir, runtime)

    # What the emulator keeps (FLEETTAP_LOCAL_RETENTION_S, harness/emulator/patches/retention.py), for
    # tools that judge its memory, such as the soak.
    (state_dir / EMULATOR_SETTINGS).write_text(
        json.dumps(
            {
                "local_retention_s": retention.local_retention_s(),
                "retention_env": retention.RETENTION_ENV,
                # Read by `make status`: whether function calls are authorized (harness.emulator.iam_enforcement).
                "iam_enforcement": iam_enforcement.enabled(),
                # Names the lineage of the emulator's resources (harness.emulator.persistence).
                "state_id": state_id,
                "persistence": persistence.enabled(),
            }
        )
    )

    server = emulator_server(args.host, args.port)
    server.start()
    if runtime is not None:
        runtime.start(state_dir, endpoint)
    log.info(
        "emulator listening on %s (state %s, runtime %s)", endpoint, state_dir, "on" if runtime is not None else "off"
    )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    supervisor = getattr(getattr(runtime, "_runtime", None), "supervisor", None)
    if runtime is not None and hasattr(runtime, "stop"):
        _bounded("runtime.stop", runtime.stop)
    _bounded("server.stop", server.stop)
    if persistence.enabled():
        _bounded("persistence.save", lambda: _save_state(state_dir, state_id, supervisor), SAVE_TIMEOUT_S)
    logging.shutdown()
    # Leftover non-daemon threads (pollers, workers) must not keep a stopped emulator alive.
    os._exit(0)


def _restore_state(state_dir: Path, runtime) -> str:
    """Put the saved state back (persistence on and a usable snapshot): returns its state id, or a
    new one for an emulator that starts empty."""
    if not persistence.enabled():
        persistence.snapshot_path(state_dir).unlink(missing_ok=True)  # never restore a stale one later
        return persistence.new_state_id()
    restored = persistence.restore(state_dir)
    if restored is None:
        return persistence.new_state_id()
    if runtime is not None:
        from harness.runtime import checkpoints

        checkpoints.restore(restored["checkpoints"])
    return restored["state_id"]


def _save_state(state_dir: Path, state_id: str, supervisor) -> None:
    from harness.runtime import checkpoints

    saved = checkpoints.collect(supervisor) if supervisor is not None else {}
    persistence.save(state_dir, state_id, saved)


def _bounded(name: str, function, timeout: float = STOP_TIMEOUT_S) -> None:
    """Run one shutdown step, giving up after `timeout` seconds so SIGTERM always ends the process."""

    def run() -> None:
        try:
            function()
        except Exception:  # shutting down anyway; report and go on
            log.exception("%s failed", name)

    worker = threading.Thread(target=run, name=f"stop-{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        log.warning("%s did not finish within %.0fs; exiting anyway", name, timeout)


if __name__ == "__main__":
    main()
