"""Step Functions compatibility patches for moto's ASL interpreter (a port of LocalStack's), so the
DOT reporting workflow's DISTRIBUTED Map runs locally as it does on AWS.

What moto 5.2.x lacks, and what each patch does (the patches only change how the interpreter parses
and evaluates a definition; the definition stored and returned by DescribeStateMachine is untouched):

1. `ItemBatcher` is not in moto's ASL grammar (CreateStateMachine fails with ASLParserException).
   The definition is rewritten before parsing: `ItemBatcher` is removed from the Map state and kept
   in the ItemProcessor's `Comment` (after a marker); the distributed map run then groups the items
   it read into `{"Items": [...], "BatchInput": {...}}` child inputs, as AWS does
   (`MaxItemsPerBatch`; `BatchInput` values and `"key.$": "$.path"` paths over the Map state input).
2. `ToleratedFailurePercentage` must be a JSON number with a fraction in moto's grammar (`0` is
   rejected, `0.0` accepted), while Terraform's `jsonencode(0)` writes `0`.
   An integer value is rewritten as a float before parsing.
   moto also never evaluates tolerances: a failed child execution becomes a `null` output and the map
   run SUCCEEDS. After the children ran, the map run now fails with
   States.ExceedToleratedFailureThreshold when failed (or timed-out) children exceed the tolerance,
   as on AWS (default 0: any failed child fails it). Simplification: with both a count and a
   percentage given, the run fails only when both are exceeded.
3. `ResultWriter` (s3:putObject) writes only a manifest with empty `ResultFiles` and drops the
   children's outputs. It now also writes `SUCCEEDED_0.json` next to the manifest, an array of
   `{ExecutionArn, Name, Input, Output, Status, ...}` records with `Output` as a JSON string, and
   lists it in the manifest, which is the format AWS documents for a map run's results (children
   that failed within the tolerance go to `FAILED_0.json`).
"""
from __future__ import annotations

import base64
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

BATCHER_MARKER = " fleettap-item-batcher:"  # then base64(JSON): the grammar keeps escapes
_installed = False


# -- 1 and 2: definition rewrite -----------------------------------------------------------------
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
                processor["Comment"] = (processor.get("Comment") or "") + BATCHER_MARKER + base64.b64encode(
                    json.dumps(batcher).encode()).decode()
                changed = True
            if isinstance(processor, dict):
                changed = _rewrite_states(processor) or changed
        for branch in state.get("Branches") or []:
            changed = _rewrite_states(branch) or changed
    return changed


def _batcher_of(component: Any) -> dict | None:
    comment = getattr(getattr(component, "_comment", None), "comment", None)
    if not comment or BATCHER_MARKER not in comment:
        return None
    return json.loads(base64.b64decode(comment.split(BATCHER_MARKER, 1)[1].strip()))


def batch_items(items: list, batcher: dict, state_input: Any) -> list[dict]:
    """AWS ItemBatcher: child inputs `{"Items": [...], "BatchInput": {...}}` of at most
    MaxItemsPerBatch items (MaxInputBytesPerBatch also bounds a batch when given)."""
    from moto.stepfunctions.parser.asl.utils.json_path import extract_json

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
        if current is None or len(current) >= size or (
                max_bytes and len(json.dumps(current + [item])) > int(max_bytes)):
            batches.append([item])
        else:
            current.append(item)
    return [{"Items": b, **({"BatchInput": batch_input} if batch_input is not None else {})} for b in batches]


# -- 3: ResultWriter writes the results ----------------------------------------------------------
def _patch_result_writer() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_s3,
    )

    cls = resource_eval_s3.ResourceEvalS3

    def _handle_put_object(env, resource_runtime_part, state_credentials) -> None:
        parameters = dict(env.stack.pop())
        results = env.stack.pop()
        s3 = cls._get_s3_client(resource_runtime_part=resource_runtime_part, state_credentials=state_credentials)
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
            records[status].append({
                "ExecutionArn": f"{execution_prefix}:{index}", "Name": str(index), "Input": "{}",
                "InputDetails": {"Included": True}, "RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE",
                "StateMachineArn": record.map_state_machine_arn, "Status": status,
                **({"Output": json.dumps(output), "OutputDetails": {"Included": True}} if output is not None else {}),
            })
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

    cls._handle_put_object = staticmethod(_handle_put_object)


def _fail_beyond_tolerance(env, eval_input) -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    counter = eval_input.map_run_record.item_counter
    total, failed = counter.total.get(), counter.failed.get() + counter.timed_out.get()
    if not failed:
        return
    percentage = float(getattr(eval_input, "tolerated_failure_percentage", 0) or 0)
    count = int(getattr(eval_input, "tolerated_failure_count", 0) or 0)
    if failed <= count or (total and failed * 100.0 / total <= percentage):
        return
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
    cause = (f"The number of failed items ({failed} of {total}) exceeds the tolerated failure threshold "
             f"({count} items, {percentage}%).")
    raise FailureEventException(failure_event=FailureEvent(
        env=env, error_name=error_name, event_type=HistoryEventType.MapRunFailed,
        event_details=EventDetails(mapRunFailedEventDetails=MapRunFailedEventDetails(
            error=error_name.error_name, cause=cause))))


def install() -> None:
    """Patch moto's Step Functions interpreter in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original_parse = AmazonStateLanguageParser.parse

    def parse(definition: str):
        return original_parse(rewrite_definition(definition))

    AmazonStateLanguageParser.parse = staticmethod(parse)

    original_map_run = DistributedIterationComponent._map_run

    def _map_run(self, env, eval_input) -> None:
        batcher = _batcher_of(self)
        if batcher is not None:
            items = env.stack.pop()
            env.stack.append(batch_items(list(items or []), batcher, env.states.get_input()))
        original_map_run(self, env, eval_input)
        _fail_beyond_tolerance(env, eval_input)

    DistributedIterationComponent._map_run = _map_run
    _patch_result_writer()
    _installed = True
