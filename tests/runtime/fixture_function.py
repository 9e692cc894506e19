"""A small Lambda function, zipped and deployed through the Lambda API by the runtime tests.

Every invoke appends one JSON line to $OBSERVE_FILE: the ids of the records it received (payload
`id`), so a test can see batches, retries and ordering. Behaviour is chosen per record payload:
`{"fail": "raise"}` raises (whole batch fails), `{"fail": "item"}` is reported in
`batchItemFailures`, `{"fail": "item_once"}` only on the first attempt, `{"sleep": s}` sleeps.
A direct (non-batch) invoke may also ask for `{"allocate_mb": n}` (n MB held during the invoke)
or `{"response_mb": n}` (a response of n MB).
"""

from __future__ import annotations

import io
import zipfile

HANDLER_SOURCE = r"""
import base64, json, os, time

def _payload(record):
    if "kinesis" in record:
        return json.loads(base64.b64decode(record["kinesis"]["data"])), record["kinesis"]["sequenceNumber"]
    if "body" in record:
        return json.loads(record["body"]), record["messageId"]
    if "dynamodb" in record:
        image = record["dynamodb"].get("NewImage", {})
        return {"id": image.get("id", {}).get("S"), "fail": image.get("fail", {}).get("S")}, \
            record["dynamodb"]["SequenceNumber"]
    if "Sns" in record:
        return {"id": record["Sns"]["Message"], "attributes": record["Sns"]["MessageAttributes"]}, None
    return record, None

def _seen_before(record_id):
    marker = os.path.join(os.environ["OBSERVE_FILE"] + ".seen", str(record_id))
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    if os.path.exists(marker):
        return True
    open(marker, "w").close()
    return False

def handler(event, context):
    records = event.get("Records")
    if records is None:
        held = "x" * (event.get("allocate_mb", 0) * 1024 * 1024)  # written, so resident
        if event.get("response_mb"):
            return "y" * (event["response_mb"] * 1024 * 1024)
        if event.get("sleep"):
            time.sleep(event["sleep"])
        if event.get("fail") == "raise":
            raise ValueError("asked to fail")
        return {"echo": event, "function": context.function_name, "held": len(held),
                "memory": context.memory_limit_in_mb, "greeting": os.environ.get("GREETING")}
    payloads = [_payload(r) for r in records]
    with open(os.environ["OBSERVE_FILE"], "a") as observed:
        observed.write(json.dumps({"ids": [p.get("id") for p, _ in payloads],
                                   "keys": [r.get("kinesis", {}).get("partitionKey") for r in records],
                                   "attributes": [p.get("attributes") for p, _ in payloads],
                                   "t": time.time()}) + "\n")
    failures = []
    for payload, identifier in payloads:
        time.sleep(payload.get("sleep", 0))
        if payload.get("fail") == "raise":
            raise RuntimeError(f"record {payload.get('id')} is poison")
        fail = payload.get("fail")
        if fail == "item" or (fail == "item_once" and not _seen_before(payload.get("id"))):
            failures.append({"itemIdentifier": identifier})
    return {"batchItemFailures": failures}
"""


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fixture_fn.py", HANDLER_SOURCE)
    return buffer.getvalue()


ASSUME_ROLE = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
    '"Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)


# The runtime tests exercise the runtime's mechanics with one role allowed everything (service-role
# enforcement is tested with roles of its own in test_service_roles.py).
ALLOW_ALL = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


def role_arn(iam_client) -> str:
    try:
        return iam_client.get_role(RoleName="fixture-fn")["Role"]["Arn"]
    except iam_client.exceptions.NoSuchEntityException:
        arn = iam_client.create_role(RoleName="fixture-fn", AssumeRolePolicyDocument=ASSUME_ROLE)["Role"]["Arn"]
        iam_client.put_role_policy(RoleName="fixture-fn", PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
        return arn


def deploy(
    stack,
    name: str,
    observe_file: str,
    timeout: int = 10,
    extra_env: dict | None = None,
    memory: int = 256,
    role: str | None = None,
) -> str:
    environment = {"OBSERVE_FILE": observe_file, **(extra_env or {})}
    response = stack.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role or role_arn(stack.client("iam")),
        Handler="fixture_fn.handler",
        Code={"ZipFile": function_zip()},
        Timeout=timeout,
        MemorySize=memory,
        Environment={"Variables": environment},
    )
    return response["FunctionArn"]
