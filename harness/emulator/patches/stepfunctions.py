"""Step Functions: the APIs the provider calls, and DISTRIBUTED Map in moto's ASL interpreter.

The interpreter patches (a port of LocalStack's interpreter, as moto's is) let the DOT reporting
workflow's DISTRIBUTED Map run locally as it does on AWS. They only change how the interpreter parses
and evaluates a definition; the definition stored and returned by DescribeStateMachine is untouched.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
    DistributedIterationComponent,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
    distributed_item_processor_worker as distributed_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import IterationWorker
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (
    ResourceEvalS3,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils.json_path import extract_json
from moto.stepfunctions.responses import StepFunctionResponse

from harness.emulator.patches.registry import patch

BATCHER_MARKER = " fleettap-item-batcher:"  # then base64(JSON): the grammar keeps escapes
MAX_EXECUTION_INPUT_BYTES = 262_144  # StartExecution `input`: 256 KiB of UTF-8


# ------------------------------------------------------------------------------------ control plane


def asl_diagnostics(definition: str) -> list[dict[str, str]]:
    """Structural ASL checks (the subset the provider relies on): JSON, StartAt, transitions."""

    def error(code: str, message: str, location: str = "/") -> dict[str, str]:
        return {"severity": "ERROR", "code": code, "message": message, "location": location}

    try:
        document = json.loads(definition)
    except (TypeError, ValueError) as exc:
        return [error("INVALID_JSON_DESCRIPTION", f"definition is not JSON: {exc}")]
    states = document.get("States") if isinstance(document, dict) else None
    if not isinstance(states, dict) or not states:
        return [error("SCHEMA_VALIDATION_FAILED", "States must be a non-empty object", "/States")]
    found = []
    if document.get("StartAt") not in states:
        found.append(
            error("MISSING_TRANSITION_TARGET", f"StartAt {document.get('StartAt')!r} is not a state", "/StartAt")
        )
    for name, state in states.items():
        targets = [state.get("Next")] + [c.get("Next") for c in state.get("Catch", []) + state.get("Choices", [])]
        targets.append(state.get("Default"))
        for target in targets:
            if target is not None and target not in states:
                found.append(error("MISSING_TRANSITION_TARGET", f"{target!r} is not a state", f"/States/{name}"))
        terminal = state.get("End") or state.get("Type") in ("Succeed", "Fail", "Choice")
        if not terminal and state.get("Next") is None:
            found.append(error("SCHEMA_VALIDATION_FAILED", "state needs Next or End", f"/States/{name}"))
    return found


@patch(StepFunctionResponse, "validate_state_machine_definition", pass_target=False)
def validate_state_machine_definition(self: StepFunctionResponse) -> Any:
    """Step Functions ValidateStateMachineDefinition: not implemented in moto.

    Gap: the provider validates every definition before CreateStateMachine/UpdateStateMachine and
    retries the 500 moto answers until its retry budget runs out, so no state machine can be created.
    Fix: answer with structural ASL diagnostics (JSON, StartAt, transition targets, Next/End).
    """
    diagnostics = asl_diagnostics(self._get_param("definition"))
    return ActionResult({"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics, "truncated": False})


@patch(StepFunctionResponse, "list_state_machine_versions", pass_target=False)
def list_state_machine_versions(self: StepFunctionResponse) -> Any:
    """Step Functions ListStateMachineVersions: not implemented in moto.

    Gap: the provider lists a state machine's versions on every read (to fill
    `state_machine_version_arn`), so the first refresh after create fails with a 500.
    Fix: answer from the versions moto already keeps per state machine (newest first, as AWS does).
    """
    machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
    versions = sorted(getattr(machine, "versions", {}).values(), key=lambda v: v.version, reverse=True)
    return ActionResult(
        {"stateMachineVersions": [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in versions]}
    )


@patch(target=StepFunctionResponse.start_execution)
def execution_input_size_limit(fn: Any, self: StepFunctionResponse) -> Any:
    """Step Functions StartExecution: an input over 256 KiB (UTF-8 bytes) is refused.

    Gap: moto starts the execution and fails it at its first state with States.DataLimitExceeded,
    where AWS refuses the call (the API's length constraint on `input`), so a caller that checks
    StartExecution's answer sees success locally. Fix: refuse it with AWS's ValidationException.
    """
    execution_input = self._get_param("input") or ""
    if len(execution_input.encode("utf-8")) > MAX_EXECUTION_INPUT_BYTES:
        raise JsonRESTError(
            "ValidationException",
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_EXECUTION_INPUT_BYTES}",
        )
    return fn(self)


# ------------------------------------------------------------------------------------ interpreter


def rewrite_definition(definition: str) -> str:
    """The definition moto can parse: ItemBatcher moved into the ItemProcessor comment, integer
    tolerances as floats. Anything that is not a JSON object is returned unchanged."""
    try:
        doc = json.loads(definition)
    except (TypeError, ValueError):
        return definition
    if not isinstance(doc, dict) or not _rewrite_states(doc):
        return definition
    return json.dumps(doc)


def _rewrite_states(machine: dict) -> bool:
    changed = False
    for state in (machine.get("States") or {}).values():
        if not isinstance(state, dict):
            continue
        if state.get("Type") == "Map":
            value = state.get("ToleratedFailurePercentage")  # (ToleratedFailureCount is an integer there)
            if isinstance(value, int) and not isinstance(value, bool):
                state["ToleratedFailurePercentage"] = float(value)
                changed = True
            processor = state.get("ItemProcessor") or state.get("Iterator")
            batcher = state.pop("ItemBatcher", None)
            if batcher is not None and isinstance(processor, dict):
                processor["Comment"] = (
                    (processor.get("Comment") or "")
                    + BATCHER_MARKER
                    + base64.b64encode(json.dumps(batcher).encode()).decode()
                )
                changed = True
            if isinstance(processor, dict):
                changed = _rewrite_states(processor) or changed
        for branch in state.get("Branches") or []:
            changed = _rewrite_states(branch) or changed
    return changed


@patch(target=AmazonStateLanguageParser.parse)
def parse_rewritten(fn: Any, definition: str) -> Any:
    """Step Functions interpreter: ItemBatcher and integer ToleratedFailurePercentage parse.

    Gap: `ItemBatcher` is not in moto's ASL grammar (CreateStateMachine fails with
    ASLParserException), and `ToleratedFailurePercentage` must be a JSON number with a fraction (`0`
    is rejected, `0.0` accepted) while Terraform's `jsonencode(0)` writes `0`.
    Fix: parse `rewrite_definition(definition)`: `ItemBatcher` is moved from the Map state into the
    ItemProcessor's `Comment` (after BATCHER_MARKER, where `batched_map_run` finds it), and an
    integer tolerance is written as a float.
    """
    return fn(rewrite_definition(definition))


def _batcher_of(component: Any) -> dict | None:
    comment = getattr(getattr(component, "_comment", None), "comment", None)
    if not comment or BATCHER_MARKER not in comment:
        return None
    return json.loads(base64.b64decode(comment.split(BATCHER_MARKER, 1)[1].strip()))


def batch_items(items: list, batcher: dict, state_input: Any) -> list[dict]:
    """AWS ItemBatcher: child inputs `{"Items": [...], "BatchInput": {...}}` of at most
    MaxItemsPerBatch items (MaxInputBytesPerBatch also bounds a batch when given)."""
    size = int(batcher.get("MaxItemsPerBatch") or len(items) or 1)
    max_bytes = batcher.get("MaxInputBytesPerBatch")
    batch_input = None
    if "BatchInput" in batcher:
        batch_input = {}
        for key, value in (batcher["BatchInput"] or {}).items():
            if key.endswith(".$") and isinstance(value, str):
                batch_input[key[:-2]] = extract_json(value, state_input)
            else:
                batch_input[key] = value
    batches: list[list] = []
    for item in items:
        current = batches[-1] if batches else None
        if (
            current is None
            or len(current) >= size
            or (max_bytes and len(json.dumps(current + [item])) > int(max_bytes))
        ):
            batches.append([item])
        else:
            current.append(item)
    return [{"Items": b, **({"BatchInput": batch_input} if batch_input is not None else {})} for b in batches]


def fail_beyond_tolerance(env: Any, eval_input: Any) -> None:
    """Raise States.ExceedToleratedFailureThreshold when the map run's failed (or timed-out)
    children exceed its tolerance (default 0: any failed child). With both a count and a percentage
    given, the run fails only when both are exceeded (a simplification)."""
    counter = eval_input.map_run_record.item_counter
    total, failed = counter.total.get(), counter.failed.get() + counter.timed_out.get()
    if not failed:
        return
    percentage = float(getattr(eval_input, "tolerated_failure_percentage", 0) or 0)
    count = int(getattr(eval_input, "tolerated_failure_count", 0) or 0)
    if failed <= count or (total and failed * 100.0 / total <= percentage):
        return
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
    cause = (
        f"The number of failed items ({failed} of {total}) exceeds the tolerated failure threshold "
        f"({count} items, {percentage}%)."
    )
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(
                mapRunFailedEventDetails=MapRunFailedEventDetails(error=error_name.error_name, cause=cause)
            ),
        )
    )


@patch(target=DistributedIterationComponent._map_run)
def batched_map_run(fn: Any, self: DistributedIterationComponent, env: Any, eval_input: Any) -> None:
    """Step Functions DISTRIBUTED Map run: items are batched, and tolerances are enforced.

    Gap: moto runs one child per item whatever the ItemBatcher says, and never evaluates tolerances:
    a failed child becomes a `null` output and the map run SUCCEEDS.
    Fix: group the items read into `{"Items": [...], "BatchInput": {...}}` child inputs as AWS does
    (`batch_items`), then run moto's map run, then fail it with States.ExceedToleratedFailureThreshold
    when failed children exceed the tolerance (`fail_beyond_tolerance`).
    """
    batcher = _batcher_of(self)
    if batcher is not None:
        items = env.stack.pop()
        env.stack.append(batch_items(list(items or []), batcher, env.states.get_input()))
    fn(self, env, eval_input)
    fail_beyond_tolerance(env, eval_input)


@patch(target=ResourceEvalS3._handle_put_object, pass_target=False)
def result_writer_files(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    """Step Functions ResultWriter (s3:putObject): the children's results are written.

    Gap: moto writes only a manifest with empty `ResultFiles` and drops the children's outputs.
    Fix: also write `SUCCEEDED_0.json` next to the manifest, an array of `{ExecutionArn, Name, Input,
    Output, Status, ...}` records with `Output` as a JSON string, and list it in the manifest, which is
    the format AWS documents for a map run's results (children that failed within the tolerance go to
    `FAILED_0.json`).
    """
    parameters = dict(env.stack.pop())
    results = env.stack.pop()
    s3 = ResourceEvalS3._get_s3_client(resource_runtime_part=resource_runtime_part, state_credentials=state_credentials)
    record = env.map_run_record_pool_manager.get_all()[-1]
    map_run_uuid = record.map_run_arn.split(":")[-1]
    prefix = parameters.get("Prefix") or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    bucket = parameters["Bucket"]
    execution_prefix = record.map_run_arn.replace(":mapRun:", ":execution:").rsplit(":", 1)[0]
    files: dict[str, list] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    records: dict[str, list] = {"FAILED": [], "SUCCEEDED": []}
    for index, output in enumerate(results if isinstance(results, list) else []):
        status = "FAILED" if output is None else "SUCCEEDED"  # moto's output of a failed child
        records[status].append(
            {
                "ExecutionArn": f"{execution_prefix}:{index}",
                "Name": str(index),
                "Input": "{}",
                "InputDetails": {"Included": True},
                "RedriveCount": 0,
                "RedriveStatus": "NOT_REDRIVABLE",
                "StateMachineArn": record.map_state_machine_arn,
                "Status": status,
                **({"Output": json.dumps(output), "OutputDetails": {"Included": True}} if output is not None else {}),
            }
        )
    for status, rows in records.items():
        if rows:
            result_key = f"{prefix}{map_run_uuid}/{status}_0.json"
            body = json.dumps(rows).encode("utf-8")
            s3.put_object(Bucket=bucket, Key=result_key, Body=body)
            files[status].append({"Key": result_key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": record.map_run_arn, "ResultFiles": files}
    key = f"{prefix}{map_run_uuid}/manifest.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest, indent=2).encode("utf-8"))
    env.stack.append({"MapRunArn": record.map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}})


# ------------------------------------------------------------------------------------ map workers


def _run_jobs(worker: Any, job: Any, worker_frame: Any, end_frame: str, hand_on_last_event: bool) -> None:
    """moto's steps per job, in a loop: open a frame, evaluate the job, end the frame; stop after a failed
    job, when the worker is stopped or after the last job (then, inline, the last job's last event is the
    source of what follows). `end_frame` is the Environment method that ends a frame: "close_frame" in
    moto's inline worker, "delete_frame" in its distributed one."""
    while job is not None:
        job_frame = worker_frame.open_inner_frame()
        worker._eval_job(env=job_frame, job=job)
        getattr(worker_frame, end_frame)(job_frame)
        failed_or_stopped = isinstance(job.job_output, Exception) or worker.stopped()
        next_job = None if failed_or_stopped else worker._job_pool.next_job()
        if next_job is None:
            if hand_on_last_event and not failed_or_stopped:
                last_event = job_frame.event_history_context.last_published_event_id
                worker_frame.event_history_context.source_event_id = last_event
            getattr(worker._env, end_frame)(worker_frame)
            worker._job_pool.close_job(job)
            return
        worker._job_pool.close_job(job)
        job = next_job
    getattr(worker._env, end_frame)(worker_frame)


@patch(target=IterationWorker._eval_pool)
def inline_worker_loops(fn: Any, self: IterationWorker, job: Any, worker_frame: Any) -> None:
    """Step Functions Map (inline) worker: one iteration after another in a loop, not by recursion.

    Gap: moto's worker evaluates a job, then calls itself for the next one, so a worker that runs more
    than ~990 iterations in a row (a Map of 1,000+ items with MaxConcurrency 1) dies with RecursionError
    in its thread and the Map state waits for ever; AWS has no such limit.
    Fix: the same steps per job (`_run_jobs`) in a loop.
    """
    _run_jobs(self, job, worker_frame, "close_frame", hand_on_last_event=True)


@patch(target=distributed_worker.DistributedItemProcessorWorker._eval_pool)
def distributed_worker_loops(
    fn: Any, self: distributed_worker.DistributedItemProcessorWorker, job: Any, worker_frame: Any
) -> None:
    """Step Functions DISTRIBUTED Map worker: one child execution after another in a loop, not by recursion.

    Gap: as for the inline worker, moto's recursion ends the worker after ~985 children in a row: the DOT
    run over 234,000 drivers in dev (MaxConcurrency 1, 2,341 shards) stopped at 98,501 drivers with
    RecursionError in the worker's thread and the map run waiting for ever (2026-12-07).
    Fix: the same steps per child (`_run_jobs`; frames deleted, not closed, as moto's distributed worker
    does) in a loop.
    """
    _run_jobs(self, job, worker_frame, "delete_frame", hand_on_last_event=False)
