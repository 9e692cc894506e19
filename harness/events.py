"""`python -m harness.events FUNCTION [--records N] [--step STEP] [-o FILE]` (`make event FN=...`): a
realistic event for one deployed function, like `sam local generate-event`, built from the simulator.

What the deployed trigger delivers (harness.event_catalog names the trigger of every function):
- a Kinesis stream: a Kinesis event of the simulator's records of that stream's kind (diagnostics, hos
  or gps), as the local runtime would deliver them;
- the DynamoDB stream of the diagnostics table (anomaly): INSERT records of the items the diagnostics
  processor writes for such records;
- a work queue subscribed to vehicle-alerts: SNS notifications (in SQS messages) of overheat alerts
  built from simulated diagnostics by the anomaly rules;
- an SNS subscription (hos_report, coaching): one notification with its MessageAttributes, of an HOS
  violation (harness.event_content) or a fuel coaching message;
- the DOT state machine (dot_report): the Task payload of one step (`--step gather | report_driver |
  publish_summary`, default gather) for a simulated driver and the report day of now;
- Firehose (firehose_transform): a data-transformation batch of simulated diagnostics records;
- a deploy step (schema_migrator, redis_auth): the aws_lambda_invocation input.

A name that is no function of the stack is refused before the stack is read, with the known names.
Exit status: 0 written, 2 no such function or no generator for its source, 3 the stack is not up.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from typing import Any

from harness import event_catalog, event_content, event_envelopes
from sim import aws
from sim.config import SimConfig, ending_now
from sim.fleet import Fleet

STREAM_KINDS = aws.STREAM_KINDS


class NoGenerator(LookupError):
    """The function exists but no generator covers what feeds it."""


def resolve_function(lam, name: str, env: str | None = None) -> dict:
    """The deployed function called `name`, or `<project>-<env>-<name>` (underscores as dashes)."""
    candidates = [name, aws.resource_name(name.replace("_", "-"), env=env)]
    for candidate in candidates:
        try:
            return lam.get_function_configuration(FunctionName=candidate)
        except lam.exceptions.ResourceNotFoundException:
            continue
    names = sorted(
        f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]
    )
    raise LookupError(f"no function {name!r}; deployed: {', '.join(names)}")


def simulated_fleet(vehicles: int, seed: int = 7) -> Fleet:
    """A small simulated fleet of `vehicles` over the last hour, a record per vehicle a minute. Its
    first batch holds every vehicle's duty status at the start (`emit_initial_status`)."""
    config = SimConfig(
        vehicles=vehicles,
        duration_s=3600,
        tick_s=60,
        gps_interval_s=60,
        diagnostics_interval_s=60,
        emit_initial_status=True,
    )
    return Fleet.build(config.replace(start=ending_now(config.duration_s)), seed=seed)


def simulated_records(kind: str, count: int, seed: int = 7, vehicles: int | None = None) -> list[tuple[str, bytes]]:
    """`count` (partition key, JSON bytes) records of one kind from `simulated_fleet` (of `vehicles`,
    default one per record up to 50)."""
    found: list[tuple[str, bytes]] = []
    for batch in simulated_fleet(vehicles or max(2, min(count, 50)), seed).batches():
        found.extend(batch.records[kind])
        if len(found) >= count:
            break
    return found[:count]


def kinesis_event(stream_arn: str, records: list[tuple[str, bytes]], region: str) -> dict:
    now = time.time()
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": key,
                    "sequenceNumber": f"{49600000000000000000000000000000000000000000000000 + index}",
                    "data": base64.b64encode(data).decode("ascii"),
                    "approximateArrivalTimestamp": round(now, 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{49600000000000000000000000000000000000000000000000 + index}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "",
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for index, (key, data) in enumerate(records)
        ]
    }


def dynamodb_stream_event(stream_arn: str, records: list[tuple[str, bytes]], region: str) -> dict:
    from boto3.dynamodb.types import TypeSerializer

    from handlers.diagnostics_processor import diagnostics_item
    from handlers.domain.telemetry import decode, iso_to_epoch_ms

    serializer = TypeSerializer()
    events = []
    for index, (_key, data) in enumerate(records):
        record = decode(data)
        record.setdefault("ts_ms", iso_to_epoch_ms(record["ts"]))
        item = json.loads(json.dumps(diagnostics_item(record, ttl_days=30)), parse_float=_decimal)
        image = {name: serializer.serialize(value) for name, value in item.items() if value is not None}
        events.append(
            {
                "eventID": f"{index:032x}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": region,
                "dynamodb": {
                    "ApproximateCreationDateTime": round(time.time()),
                    "Keys": {"vehicle_id": image["vehicle_id"], "timestamp": image["timestamp"]},
                    "NewImage": image,
                    "SequenceNumber": f"{100000000000000000000 + index}",
                    "SizeBytes": len(data),
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": stream_arn,
            }
        )
    return {"Records": events}


def overheat_alerts(count: int) -> list[dict]:
    """vehicle-alerts bodies as the anomaly function publishes them: the simulator's diagnostics
    records with the coolant at 5 degrees over its critical level, through the pipeline's own rules
    (default thresholds) and alert builder. Critical, so every work queue's severity filter passes."""
    from handlers.diagnostics_processor import diagnostics_item
    from handlers.domain import anomaly
    from handlers.domain.anomaly.thresholds import default_thresholds
    from handlers.domain.telemetry import decode, iso_to_epoch_ms

    bodies = []
    for _key, data in simulated_records("diagnostics", count):
        record = decode(data)
        record.setdefault("ts_ms", iso_to_epoch_ms(record["ts"]))
        item = diagnostics_item(record, ttl_days=30)
        thresholds = default_thresholds(item["vehicle_id"], item.get("vehicle_type"))
        item["signals"] = dict(item["signals"], coolant_temp_c=thresholds["coolant_temp_c"].critical + 5)
        for found in anomaly.evaluate(item, thresholds, {}):
            _decision, state = anomaly.dedupe(None, found, found.ts_ms)
            bodies.append(anomaly.alert_body(item, found, state))
    return bodies[:count]


def sqs_event_from_topic(queue_arn: str, topic_arn: str, bodies: list[dict], attributes: dict, region: str) -> dict:
    """An SQS event whose messages are SNS notifications (raw delivery off), as Lambda gets them."""
    import hashlib
    import uuid

    now_ms = int(time.time() * 1000)
    records = []
    for body in bodies:
        attrs = {
            name: {"Type": "String", "Value": str(body.get(field, value))}
            for name, (field, value) in attributes.items()
        }
        notification = json.dumps(
            {
                "Type": "Notification",
                "MessageId": str(uuid.uuid4()),
                "TopicArn": topic_arn,
                "Message": json.dumps(body, separators=(",", ":")),
                "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now_ms / 1000)),
                "SignatureVersion": "1",
                "Signature": "",
                "SigningCertURL": "",
                "UnsubscribeURL": "",
                "MessageAttributes": attrs,
            }
        )
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": notification,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(now_ms),
                    "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
                    "ApproximateFirstReceiveTimestamp": str(now_ms),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(notification.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def _subscribed_topic(sns, protocol: str, endpoint_arn: str) -> str | None:
    """The topic with a `protocol` subscription (sqs: a queue it feeds, lambda: a function it
    invokes) of `endpoint_arn`, or None."""
    for page in sns.get_paginator("list_subscriptions").paginate():
        for subscription in page["Subscriptions"]:
            if subscription["Protocol"] == protocol and subscription["Endpoint"] == endpoint_arn:
                return subscription["TopicArn"]
    return None


def _decimal(text: str):
    from decimal import Decimal

    return Decimal(text)


def generate(
    lam, function_name: str, count: int, env: str | None = None, sns=None, step: str | None = None, s3=None
) -> dict:
    """The event the deployed trigger of that function delivers (harness.event_catalog)."""
    entry = event_catalog.lookup(function_name)  # an unknown name is refused before any AWS call
    if step is not None and entry.source != "step_functions":
        raise LookupError(f"{entry.key} is not a Step Functions task: STEP applies to dot_report only")
    configuration = _deployed(lam, function_name, entry, env)
    name, arn = configuration["FunctionName"], configuration["FunctionArn"]
    _, partition, _, region, account = arn.split(":")[:5]
    prefix = name.removesuffix(f"-{entry.key.replace('_', '-')}")  # <project>-<env>
    if entry.source == "sns":
        topic = _subscribed_topic(sns, "lambda", arn) if sns is not None else None
        if topic is None:
            raise NoGenerator(f"{name}: no SNS subscription of a -{entry.topic} topic invokes it")
        build = event_content.hos_violation_messages if entry.key == "hos_report" else event_content.coaching_messages
        body, attributes = build(1)[0]
        return event_envelopes.sns_event(topic, body, attributes)
    if entry.source == "step_functions":
        variables = (configuration.get("Environment") or {}).get("Variables") or {}
        zones = [z.strip() for z in variables.get("REPORT_TIME_ZONES", "").split(",") if z.strip()]
        machine = f"arn:{partition}:states:{region}:{account}:stateMachine:{prefix}-dot-reporting"
        bucket = variables.get("DOT_WORK_BUCKET", "")
        step = step or entry.steps[0]
        finished = _finished_map_run(s3, bucket) if step == "publish_summary" else None
        return event_content.dot_task_payload(step, zones, bucket, machine, count, finished_run=finished)
    if entry.source == "firehose":
        return event_envelopes.firehose_event(
            f"arn:{partition}:firehose:{region}:{account}:deliverystream/{prefix}-diagnostics-archive",
            f"arn:{partition}:kinesis:{region}:{account}:stream/{prefix}-diagnostics",
            simulated_records("diagnostics", count),
            region,
        )
    if entry.source == "deploy_step":
        return event_envelopes.deploy_step_input(entry.key)
    return _from_mapping(lam, name, arn, region, count, sns)


def _finished_map_run(s3, bucket: str) -> dict | None:
    """The latest DOT map run's results, or None (said on stderr: the payload then names files that
    a run of that day would write, which publish_summary cannot read yet)."""
    from botocore.exceptions import ClientError

    found = None
    if s3 is not None and bucket:
        try:
            found = event_content.latest_map_run(s3, bucket)
        except (ClientError, ValueError, KeyError) as error:
            print(f"harness.events: the latest DOT map run's results are unreadable: {error}", file=sys.stderr)
    if found is None:
        print(
            "harness.events: no finished DOT map run in the work bucket; the payload names the files a run "
            "would write (make sim SCENARIO=dot-daily-report first to invoke publish_summary with it)",
            file=sys.stderr,
        )
    return found


def _deployed(lam, function_name: str, entry: event_catalog.Entry, env: str | None) -> dict:
    """The function as deployed: by the name given (a full function name), else by its key."""
    try:
        return resolve_function(lam, function_name, env)
    except LookupError:
        if function_name == entry.key:
            raise
        return resolve_function(lam, entry.key, env)


def _from_mapping(lam, name: str, arn: str, region: str, count: int, sns) -> dict:
    """The event of the function's (first) event source mapping: Kinesis, DynamoDB stream or SQS."""
    # By ARN: moto 5.2.5 matches FunctionName against the ARN only (AWS takes a name as well).
    mappings = [
        mapping
        for page in lam.get_paginator("list_event_source_mappings").paginate(FunctionName=arn)
        for mapping in page["EventSourceMappings"]
    ]
    for mapping in mappings:
        source = mapping["EventSourceArn"]
        if source.startswith("arn:aws:kinesis:"):
            stream = source.rsplit("/", 1)[-1]
            kind = next((k for k in STREAM_KINDS if stream.endswith(f"-{k}")), None)
            if kind is None:
                raise NoGenerator(f"{name} reads {stream}, which is none of the simulator's streams {STREAM_KINDS}")
            return kinesis_event(source, simulated_records(kind, count), region)
        if ":dynamodb:" in source and "/stream/" in source and "diagnostics" in source:
            return dynamodb_stream_event(source, simulated_records("diagnostics", count), region)
        if source.startswith("arn:aws:sqs:") and sns is not None:
            topic = _subscribed_topic(sns, "sqs", source)
            if topic is not None and topic.endswith("-vehicle-alerts"):
                attributes = {"severity": ("severity", ""), "event_type": ("", "anomaly"), "rule": ("rule", "")}
                return sqs_event_from_topic(source, topic, overheat_alerts(count), attributes, region)
    sources = ", ".join(m["EventSourceArn"] for m in mappings) or "no event source mapping"
    raise NoGenerator(f"{name} is fed by {sources}: no event generator for that source")


def describe(event: dict) -> str:
    """What an event carries, for the log line: its records (Records, Firehose's records) or a payload."""
    records = event.get("Records") or event.get("records")
    return f"{len(records)} records" if records else "a payload"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.events", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("function", help=f"the function: {event_catalog.known_names()}")
    parser.add_argument("--records", type=int, default=5, help="records in the event (default 5; SNS: always 1)")
    parser.add_argument("--step", help="dot_report's task: gather (default), report_driver or publish_summary")
    parser.add_argument("-o", "--output", help="write to this file (default: stdout)")
    parser.add_argument("--env", default=None)
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    from harness.config import ConfigError, StackNotRunning, read_stack

    try:
        event_catalog.lookup(args.function)  # a mistyped name: exit 2 with the list, stack up or not
        info = read_stack()
        lam = admin_client("lambda", info)
        event = generate(
            lam, args.function, args.records, args.env, admin_client("sns", info), args.step, admin_client("s3", info)
        )
    except (LookupError, NoGenerator) as error:
        print(f"harness.events: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    except (StackNotRunning, ConfigError, BotoCoreError, ClientError) as error:
        print(f"harness.events: the stack is not reachable: {error}", file=sys.stderr)
        return 3
    text = json.dumps(event, indent=2)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text + "\n")
        print(
            f"harness.events: wrote {describe(event)} for {args.function} to {args.output}",
            file=sys.stderr,
        )
    else:
        print(text)
    return 0


def admin_client(service: str, info) -> Any:
    """A boto3 client for the local stack with the admin `test` credentials the tools use."""
    return info.admin_client(service)


if __name__ == "__main__":
    sys.exit(main())
