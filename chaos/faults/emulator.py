"""Throttling and publish failures injected by the emulator (harness/emulator/patches/faults.py).

- `ddb-throttle`: the functions' DynamoDB calls refused with ProvisionedThroughputExceededException;
- `kinesis-throttle`: PutRecords/PutRecord (the simulator's) refused the same way;
- `sns-fail`: the functions' SNS publishes fail with InternalError.
At `ChaosConfig.throttle_rate`, seeded, from `inject` to `heal`.
"""

from __future__ import annotations

import json
import urllib.request

from chaos.faults.base import Fault, FaultContext

CONTROL_PATH = "/_fleettap/faults"


def control(endpoint: str, method: str, document: dict | None = None) -> dict:
    """Call the emulator's fault control route; returns its JSON answer."""
    data = json.dumps(document).encode() if document is not None else None
    request = urllib.request.Request(
        endpoint.rstrip("/") + CONTROL_PATH, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class EmulatorFault(Fault):
    service = ""
    extra: dict = {}

    def inject(self, ctx: FaultContext) -> None:
        services = control(ctx.stack.aws_endpoint, "GET")["services"]  # other emulator faults of a mix stay
        services[self.service] = {"rate": ctx.config.throttle_rate, **self.extra}
        control(ctx.stack.aws_endpoint, "POST", {"seed": ctx.config.seed, "services": services})

    def heal(self, ctx: FaultContext) -> None:
        answer = control(ctx.stack.aws_endpoint, "GET")
        ctx.notes.append(
            f"{self.service}: {answer['injected'].get(self.service, 0)} of "
            f"{answer['matched'].get(self.service, 0)} calls refused"
        )
        answer["services"].pop(self.service, None)
        if answer["services"]:
            control(ctx.stack.aws_endpoint, "POST", {"seed": ctx.config.seed, "services": answer["services"]})
        else:
            control(ctx.stack.aws_endpoint, "DELETE")


class DynamoThrottle(EmulatorFault):
    name = "ddb-throttle"
    description = "DynamoDB calls throttled at a rate"
    service = "dynamodb"


class KinesisThrottle(EmulatorFault):
    name = "kinesis-throttle"
    description = "Kinesis PutRecords throttled at a rate"
    service = "kinesis"
    extra = {"callers": "all"}


class SnsFail(EmulatorFault):
    name = "sns-fail"
    description = "SNS publishes fail at a rate"
    service = "sns"
    follows_effects = True
