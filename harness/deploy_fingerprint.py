"""What was last applied to the local emulator, so a run with nothing changed skips `terraform apply`.

After a successful local apply, `record` writes `<work dir>/deployed.json`: the hashes of what went
in (infra/*.tf with the emulator override, the tfvars and variables, each Lambda zip), the
emulator's `state_id` (harness.emulator.persistence: the lineage of its resources) and the
Terraform state's serial. `decide` compares the current inputs with it:

- `skip`: every input is the same, the emulator is the one applied to (or its restored
  continuation), the Terraform state was not changed since, and a cheap check finds the applied
  functions, streams, tables, queues and topics in the emulator;
- `hot-reload`: only functions.zip changed: `harness.hot_reload` updates the functions' code in place
  (UpdateFunctionCode, as `sam sync` does), no Terraform run;
- `apply`: anything else (a reason says what changed).

Nothing is trusted that cannot be checked: a missing record, an unreadable state, an emulator that
does not answer, or a resource it no longer holds each mean `apply`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECORD_FILE = "deployed.json"
EMULATOR_SETTINGS = "emulator.json"
FORMAT = 1
# Resource types whose presence the cheap check confirms, with the state attribute naming them.
CHECKED_TYPES = {
    "aws_lambda_function": "function_name",
    "aws_kinesis_stream": "name",
    "aws_dynamodb_table": "name",
    "aws_sqs_queue": "name",
    "aws_sns_topic": "arn",
    "aws_sfn_state_machine": "arn",
}


@dataclass
class Decision:
    action: str  # "skip", "hot-reload" or "apply"
    reason: str
    changed: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_texts(parts: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in parts:
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def inputs(workdir: Path, var_args: list[str], artifacts: Path, artifact_names: tuple[str, ...]) -> dict[str, str]:
    """Hash of each input of a local apply: the .tf files of the work dir (infra/*.tf and the
    emulator override), the variables (arguments, the tfvars file each names, TF_VAR_* from the
    environment) and each Lambda zip."""
    tf_files = sorted(workdir.glob("*.tf"))
    var_parts = [("arg", arg.encode()) for arg in var_args]
    for arg in var_args:
        if arg.startswith("-var-file="):
            path = Path(arg.split("=", 1)[1])
            var_parts.append((path.name, path.read_bytes() if path.exists() else b""))
    var_parts += [(name, value.encode()) for name, value in sorted(os.environ.items()) if name.startswith("TF_VAR_")]
    found = {
        "infra": _sha256_texts([(path.name, path.read_bytes()) for path in tf_files]),
        "variables": _sha256_texts(var_parts),
    }
    for name in artifact_names:
        found[name] = sha256_file(artifacts / name)
    return found


def emulator_state_id(state_dir: Path) -> str | None:
    try:
        return json.loads((Path(state_dir) / EMULATOR_SETTINGS).read_text()).get("state_id")
    except (OSError, ValueError):
        return None


def terraform_state(workdir: Path) -> dict:
    try:
        return json.loads((workdir / "terraform.tfstate").read_text())
    except (OSError, ValueError):
        return {}


def record(workdir: Path, state_dir: Path, current_inputs: dict[str, str]) -> Path:
    """Write what was just applied (call only after a successful apply)."""
    tfstate = terraform_state(workdir)
    data = {
        "format": FORMAT,
        "inputs": current_inputs,
        "state_id": emulator_state_id(state_dir),
        "tfstate": {"lineage": tfstate.get("lineage"), "serial": tfstate.get("serial")},
    }
    path = workdir / RECORD_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(temporary, path)
    return path


def forget(workdir: Path) -> None:
    (workdir / RECORD_FILE).unlink(missing_ok=True)


def read_record(workdir: Path) -> dict | None:
    try:
        data = json.loads((workdir / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("format") == FORMAT else None


def applied_names(tfstate: dict) -> dict[str, set[str]]:
    """Resource type -> names (or ARNs) of the managed resources of CHECKED_TYPES in the state."""
    names: dict[str, set[str]] = {kind: set() for kind in CHECKED_TYPES}
    for resource in tfstate.get("resources", []):
        kind = resource.get("type")
        if resource.get("mode") != "managed" or kind not in CHECKED_TYPES:
            continue
        for instance in resource.get("instances", []):
            value = (instance.get("attributes") or {}).get(CHECKED_TYPES[kind])
            if value:
                names[kind].add(value)
    return names


def missing_in_emulator(tfstate: dict, clients: Any) -> list[str]:
    """The applied resources (of CHECKED_TYPES) the emulator does not hold; `clients(service)`
    returns a boto3 client for the emulator. Six list calls (paginated), whatever the stack's size."""
    wanted = applied_names(tfstate)
    present: dict[str, set[str]] = {}
    lam = clients("lambda")
    present["aws_lambda_function"] = {
        function["FunctionName"]
        for page in lam.get_paginator("list_functions").paginate()
        for function in page["Functions"]
    }
    kinesis = clients("kinesis")
    present["aws_kinesis_stream"] = {
        name for page in kinesis.get_paginator("list_streams").paginate() for name in page["StreamNames"]
    }
    dynamodb = clients("dynamodb")
    present["aws_dynamodb_table"] = {
        name for page in dynamodb.get_paginator("list_tables").paginate() for name in page["TableNames"]
    }
    sqs = clients("sqs")
    present["aws_sqs_queue"] = {
        url.rsplit("/", 1)[-1]
        for page in sqs.get_paginator("list_queues").paginate()
        for url in page.get("QueueUrls", [])
    }
    sns = clients("sns")
    present["aws_sns_topic"] = {
        topic["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for topic in page["Topics"]
    }
    sfn = clients("stepfunctions")
    present["aws_sfn_state_machine"] = {
        machine["stateMachineArn"]
        for page in sfn.get_paginator("list_state_machines").paginate()
        for machine in page["stateMachines"]
    }
    return sorted(f"{kind} {name}" for kind, names in wanted.items() for name in names - present[kind])


def decide(
    workdir: Path, state_dir: Path, current_inputs: dict[str, str], clients: Any, reloadable: tuple[str, ...]
) -> Decision:
    """Whether a local apply can be skipped, replaced by a hot reload of `reloadable` zips, or must run."""
    previous = read_record(workdir)
    if previous is None:
        return Decision("apply", "nothing recorded as applied to this work dir")
    state_id = emulator_state_id(state_dir)
    if state_id is None or previous.get("state_id") != state_id:
        return Decision("apply", "the emulator holds another state than the one last applied to")
    tfstate = terraform_state(workdir)
    if {"lineage": tfstate.get("lineage"), "serial": tfstate.get("serial")} != previous.get("tfstate"):
        return Decision("apply", "the Terraform state changed since the last recorded apply")
    changed = sorted(
        name
        for name in set(current_inputs) | set(previous["inputs"])
        if current_inputs.get(name) != previous["inputs"].get(name)
    )
    if any(name not in reloadable for name in changed):
        return Decision("apply", f"changed since the last apply: {', '.join(changed)}", changed)
    try:
        missing = missing_in_emulator(tfstate, clients)
    except Exception as error:  # an emulator that does not answer cannot be trusted
        return Decision("apply", f"could not check the emulator's resources ({type(error).__name__}: {error})")
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return Decision("apply", f"the emulator lacks applied resources: {shown}")
    if changed:
        return Decision("hot-reload", f"only {', '.join(changed)} changed", changed)
    return Decision("skip", "infra/, the variables and the Lambda zips are unchanged and the emulator holds them")
