"""DISTRIBUTED Map in the emulator's Step Functions interpreter (harness/emulator/patches/stepfunctions.py):
ItemReader from S3, ItemBatcher, Task -> local Lambda in the children, ResultWriter files, and the
tolerated failure threshold."""

from __future__ import annotations

import json

from harness.emulator.patches.stepfunctions import batch_items, rewrite_definition
from tests.runtime import fixture_function
from tests.runtime.helpers import run_definition, unique, wait_for


def _machine(stack, child_states: dict, bucket: str, batch: int = 2, concurrency: int = 2) -> str:
    # a state before the Map: its ItemReader reads bucket and key from the Map's input, not the execution's
    definition = {
        "StartAt": "Locate",
        "States": {
            "Locate": {"Type": "Pass", "Parameters": {"bucket.$": "$.loc.b", "key.$": "$.loc.k"}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
                },
                "ItemBatcher": {"MaxItemsPerBatch": batch},
                "MaxConcurrency": concurrency,
                "ToleratedFailurePercentage": 0,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Batch",
                    "States": {
                        "Batch": {
                            "Type": "Map",
                            "ItemsPath": "$.Items",
                            "MaxConcurrency": 2,
                            "ItemProcessor": {
                                "ProcessorConfig": {"Mode": "INLINE"},
                                "StartAt": "Step",
                                "States": child_states,
                            },
                            "End": True,
                        }
                    },
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": bucket, "Prefix": "runs"},
                },
                "ResultPath": "$.map_run",
                "End": True,
            },
        },
    }
    return stack.client("stepfunctions").create_state_machine(
        name=unique("dmap"), definition=json.dumps(definition), roleArn=fixture_function.role_arn(stack.client("iam"))
    )["stateMachineArn"]


def _run(stack, machine_arn: str, bucket: str, items: list, timeout_s: float = 60) -> dict:
    s3, sfn = stack.client("s3"), stack.client("stepfunctions")
    s3.put_object(Bucket=bucket, Key="work/manifest.json", Body=json.dumps(items).encode())
    execution = sfn.start_execution(
        stateMachineArn=machine_arn, input=json.dumps({"loc": {"b": bucket, "k": "work/manifest.json"}})
    )["executionArn"]
    return wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d, timeout_s=timeout_s
    )


def test_distributed_map_reads_s3_batches_invokes_local_lambda_and_writes_results(runtime_stack, tmp_path):
    function_arn = fixture_function.deploy(runtime_stack, unique("fn"), str(tmp_path / "o.jsonl"))
    s3, bucket = runtime_stack.client("s3"), unique("dmap-bucket")
    s3.create_bucket(Bucket=bucket)
    step = {
        "Step": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function_arn, "Payload": {"step": "echo", "input.$": "$"}},
            "ResultSelector": {"driver_id.$": "$.Payload.echo.input.driver_id"},
            "End": True,
        }
    }
    items = [{"driver_id": f"DR-{i:06d}"} for i in range(5)]
    done = _run(runtime_stack, _machine(runtime_stack, step, bucket), bucket, items)
    assert done["status"] == "SUCCEEDED", done
    details = json.loads(done["output"])["map_run"]["ResultWriterDetails"]
    manifest = json.loads(s3.get_object(Bucket=details["Bucket"], Key=details["Key"])["Body"].read())
    assert details["Key"].startswith("runs/") and manifest["ResultFiles"]["FAILED"] == []
    [result_file] = manifest["ResultFiles"]["SUCCEEDED"]
    records = json.loads(s3.get_object(Bucket=bucket, Key=result_file["Key"])["Body"].read())
    outputs = [json.loads(r["Output"]) for r in records]
    assert sorted(len(o) for o in outputs) == [1, 2, 2]  # five items in batches of two
    assert sorted(d["driver_id"] for o in outputs for d in o) == [i["driver_id"] for i in items]


def test_a_failed_child_fails_the_map_run_at_zero_tolerance(runtime_stack):
    s3, bucket = runtime_stack.client("s3"), unique("dmap-bucket")
    s3.create_bucket(Bucket=bucket)
    fail = {"Step": {"Type": "Fail", "Error": "Boom", "Cause": "child failed"}}
    done = _run(runtime_stack, _machine(runtime_stack, fail, bucket), bucket, [{"n": 1}, {"n": 2}, {"n": 3}])
    assert done["status"] == "FAILED" and done["error"] == "States.ExceedToleratedFailureThreshold"


def test_a_map_runs_more_than_a_thousand_children_and_iterations_in_a_row(runtime_stack):
    """One worker (MaxConcurrency 1) through 1,100 children, each an inline Map of 1,100 / 1,100 items:
    moto's workers recursed once per job and died with RecursionError after ~985 (the DOT run over
    234,000 drivers in dev stopped there, waiting for ever)."""
    bucket = unique("bkt")
    runtime_stack.client("s3").create_bucket(Bucket=bucket)
    machine = _machine(runtime_stack, {"Step": {"Type": "Pass", "End": True}}, bucket, batch=1, concurrency=1)
    done = _run(runtime_stack, machine, bucket, [{"i": i} for i in range(1100)], timeout_s=180)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    inline = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemProcessor": {"StartAt": "Step", "States": {"Step": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    done = run_definition(runtime_stack, inline, {"items": list(range(1100))}, timeout_s=180)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"]) == list(range(1100))


def test_definition_rewrite_and_batching():
    definition = json.dumps(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemBatcher": {"MaxItemsPerBatch": 2},
                    "ToleratedFailurePercentage": 0,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
                        "StartAt": "P",
                        "States": {"P": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            },
        }
    )
    state = json.loads(rewrite_definition(definition))["States"]["M"]
    assert "ItemBatcher" not in state and state["ToleratedFailurePercentage"] == 0.0
    assert isinstance(state["ToleratedFailurePercentage"], float)
    assert rewrite_definition("not json") == "not json"
    assert batch_items([1, 2, 3], {"MaxItemsPerBatch": 2, "BatchInput": {"d.$": "$.day", "k": 1}}, {"day": "x"}) == [
        {"Items": [1, 2], "BatchInput": {"d": "x", "k": 1}},
        {"Items": [3], "BatchInput": {"d": "x", "k": 1}},
    ]
