"""A copy of the stack with one mis-wired event source mapping runs broken locally, as it would on AWS.

The copy of infra/ maps the processor to the GPS stream instead of the diagnostics stream (a
one-word slip in `kinesis_mappings`) and is applied beside the real stack under another
project name. Overheating diagnostics then never become an alert, and the processor is fed GPS
records, which it rejects to its dead-letter queue: the local runtime executes the wiring
Terraform deployed, not a hand-wired copy.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import time
import uuid

import pytest

from harness import terraform
from harness.runtime.delivery_policies import allow_topic_to_send
from harness.runtime.telemetry_samples import diagnostics, gps
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

# Unique per run: with FLEETTAP_E2E_STACK_DIR the emulator may still hold an earlier copy.
PROJECT = f"brk{uuid.uuid4().hex[:6]}"
CORRECT_LINE = 'processor  = "diagnostics"'
BROKEN_LINE = 'processor  = "gps"'


@pytest.fixture(scope="module")
def broken_stack(deployed_stack, tmp_path_factory):
    infra_copy = tmp_path_factory.mktemp("infra-broken")
    for source in terraform.INFRA_DIR.iterdir():
        if source.is_file():
            shutil.copy(source, infra_copy / source.name)
    stack_tf = infra_copy / "tap_stack.tf"
    text = stack_tf.read_text()
    assert text.count(CORRECT_LINE) == 1, "the processor mapping line moved: update this test"
    stack_tf.write_text(text.replace(CORRECT_LINE, BROKEN_LINE))
    patcher = pytest.MonkeyPatch()
    patcher.setattr(terraform, "INFRA_DIR", infra_copy)
    work = tmp_path_factory.mktemp("tf-broken")
    try:
        terraform.init("dev", deployed_stack.info, state_dir=work)
        terraform.apply("dev", deployed_stack.info, state_dir=work, extra_vars={"project_name": PROJECT})
        yield deployed_stack
    finally:
        patcher.undo()


def test_mis_wired_mapping_breaks_the_local_run(broken_stack):
    kinesis, sqs, sns = (broken_stack.client(s) for s in ("kinesis", "sqs", "sns"))
    alerts_url = sqs.create_queue(QueueName=f"e2e-broken-alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f"{PROJECT}-dev-vehicle-alerts")
    )
    allow_topic_to_send(sqs, alerts_url, alerts_arn, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=alerts_arn)
    now = dt.datetime.now(dt.UTC)
    overheating = diagnostics(777_001, now, coolant_temp_c=121.0)
    fix = gps(777_001, now, 41.88, -87.63)
    kinesis.put_record(
        StreamName=f"{PROJECT}-dev-diagnostics",
        Data=json.dumps(overheating).encode(),
        PartitionKey=overheating["vehicle_id"],
    )
    kinesis.put_record(StreamName=f"{PROJECT}-dev-gps", Data=json.dumps(fix).encode(), PartitionKey=fix["vehicle_id"])

    dlq_url = sqs.get_queue_url(QueueName=f"{PROJECT}-dev-processor-dlq")["QueueUrl"]

    def rejected_gps():
        for message in sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(message["Body"])  # {reason, detail, function, record: <the Kinesis record>}
            data = json.loads(base64.b64decode(body["record"]["kinesis"]["data"]))
            if data["record_id"] == fix["record_id"]:
                return body
        return None

    rejection = wait_for(rejected_gps, 90, what="processor rejecting the GPS record it was wired to")
    assert rejection["reason"] == "KIND_UNEXPECTED" and rejection["function"] == f"{PROJECT}-dev-processor"
    time.sleep(10)  # the correct stack raises the alert in ~1 s; give the broken one ample time
    received = sqs.receive_message(QueueUrl=alerts_url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
    assert received == []
