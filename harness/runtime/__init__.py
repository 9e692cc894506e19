"""Local execution of what `terraform apply` deployed into the emulator.

The emulator process (`python -m harness.emulator`) calls:
- `install(state_dir)` before moto serves: applies the emulator's patches (`harness.emulator.patches`,
  which the runtime relies on) and the runtime's hooks into moto (`hooks`): no synchronous
  event-source-mapping invokes, Lambda Invoke runs the uploaded zip locally, Step Functions run in
  moto's ASL interpreter, SageMaker runtime answers from `harness.model`, SNS -> Lambda events;
  and turns off werkzeug's per-request access log (`FLEETTAP_EMULATOR_ACCESS_LOG=1` keeps it);
- `start(state_dir, endpoint)` once it listens: event source mapping pollers, the EventBridge
  scheduler, Firehose delivery from Kinesis, local credentials in the functions' secrets, the
  CloudWatch alarm evaluator (`alarms`), and a status file for `python -m harness.runtime.status`;
- `stop()` on shutdown (kills the execution environments).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_runtime: LocalRuntime | None = None
_lock = threading.Lock()


def _region(state_dir: Path) -> str:
    from harness.config import read_stack_data

    region = (read_stack_data(state_dir).get("aws") or {}).get("region")
    return region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


class LocalRuntime:
    def __init__(self, state_dir: str | Path) -> None:
        from harness.runtime.invoker import LocalLambda

        self.state_dir = Path(state_dir)
        self.region = _region(self.state_dir)
        self.functions = LocalLambda(self.state_dir, None, self.region)
        self._components: list[Any] = []
        self.supervisor = None
        self.firehose = None
        self.alarms = None

    def start(self, endpoint: str) -> None:
        from harness.runtime import alarms, service_roles
        from harness.runtime.firehose import FirehoseFromKinesis
        from harness.runtime.local_secrets import LocalSecrets
        from harness.runtime.mappings import MappingSupervisor
        from harness.runtime.scheduler import RuleScheduler
        from harness.runtime.status_file import StatusWriter

        self.functions.set_endpoint(endpoint)
        service_roles.set_log_dir(self.functions.log_dir)  # refused service-role calls go to function logs
        # moto's Step Functions interpreter calls Lambda through this port (moto.settings.moto_server_port).
        os.environ["MOTO_PORT"] = endpoint.rsplit(":", 1)[1].rstrip("/")
        self.supervisor = MappingSupervisor(self.functions.invoke, endpoint, self.region)
        secrets = LocalSecrets(self.state_dir, endpoint, self.region)
        self.functions.cold_start_hooks.append(secrets.before_cold_start)
        self.alarms = alarms.start_for(self.state_dir, self.region)
        self.firehose = FirehoseFromKinesis(self.state_dir, endpoint, self.region, self.functions)
        self._components = [
            secrets,
            self.supervisor,
            RuleScheduler(self.state_dir, endpoint, self.region),
            self.firehose,
            self.alarms,
            StatusWriter(self.state_dir, self),
        ]
        for component in self._components:
            component.start()

    def stop(self) -> None:
        for component in reversed(self._components):
            try:
                component.stop()
            except Exception:
                log.exception("stopping %s failed", type(component).__name__)
        self.functions.shutdown()


def _current_functions() -> Any:
    if _runtime is None:
        raise RuntimeError("the local runtime is not installed")
    return _runtime.functions


def install(state_dir: str | Path) -> LocalRuntime:
    """Patch moto in this process (idempotent); call before the server accepts requests."""
    global _runtime
    from harness.emulator import kms_requirements, patches
    from harness.model.serving import answer_invoke_endpoint

    with _lock:
        patches.apply_all()  # first: checks the moto version the hooks are written against too
        kms_requirements.install()  # the KMS permissions and key policies authorize() also checks
        from harness.runtime import hooks

        if _runtime is None:
            _runtime = LocalRuntime(state_dir)
        hooks.install(_current_functions, answer_invoke_endpoint)
        _quiet_access_log()
        return _runtime


def _quiet_access_log() -> None:
    """werkzeug writes an INFO line for every request the emulator serves; with the pollers and
    functions that is hundreds of lines a second (and their CPU and log lock) in the process
    that serves every AWS call. Warnings and errors are still logged;
    FLEETTAP_EMULATOR_ACCESS_LOG=1 keeps the per-request lines."""
    if os.environ.get("FLEETTAP_EMULATOR_ACCESS_LOG", "") not in ("1", "true", "yes"):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)


def start(state_dir: str | Path, endpoint: str) -> LocalRuntime:
    """Start pollers and schedulers; call once the emulator listens on `endpoint`."""
    runtime = install(state_dir)
    runtime.start(endpoint)
    return runtime


def stop() -> None:
    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.stop()
            _runtime = None
