"""The AWS SDK configuration file of the local Lambda execution environments: parameter validation off.

Why: botocore validates every request's parameters against the service model in Python before
sending it: 3.0-3.2 ms of CPU per DynamoDB BatchWriteItem of 25 items in the handlers' processes,
1.3-1.4 ms without (docs/benchmarks.md). Locally the request then goes to the emulator, whose
request parser reads it against the same model and refuses what does not fit, so the handlers'
code is still checked on every call; on AWS the SDK's own validation stays on (this file exists only
in the local environments, Terraform and the handlers are unchanged).

What changes for a handler: an invalid parameter fails with the emulator's error (a ClientError,
e.g. ValidationException or SerializationException) rather than botocore's ParamValidationError
raised before sending. botocore reads this file for every client whose Config does not turn
validation off itself (Config(parameter_validation=True) is its default and cannot be told apart,
so the file decides for it too); no handler sets it.

`sdk_config_overrides(state_dir)` gives the environment entries (AWS_CONFIG_FILE) to add; none when
the fast paths are off (FLEETTAP_FAST_PATHS=off, `harness.emulator.fast_responses.enabled`), so the
benchmark can compare both in one run.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from harness.emulator import fast_responses

CONFIG_NAME = "lambda-aws-config"
CONFIG_TEXT = "[default]\nparameter_validation = false\n"


def sdk_config_overrides(state_dir: str | Path) -> dict[str, str]:
    """{"AWS_CONFIG_FILE": <state_dir>/lambda-aws-config} (written if missing), or {} when off."""
    if not fast_responses.enabled():
        return {}
    path = Path(state_dir) / CONFIG_NAME
    if not path.exists() or path.read_text() != CONFIG_TEXT:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file of this writer's own: the first invocations of several functions write at
        # once, and with one shared name one writer's replace found the file already moved (a 500).
        tmp = path.with_name(f"{CONFIG_NAME}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(CONFIG_TEXT)
        tmp.replace(path)
    return {"AWS_CONFIG_FILE": str(path.resolve())}
