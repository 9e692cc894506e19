"""Which deployed function `make event` knows, and what feeds it (infra/tap_stack.tf).

`FUNCTIONS` holds every Lambda function of the stack by its Terraform key: the family map
`local.functions` and the deploy steps `local.deploy_steps` (tests/devloop/test_event_generators.py
checks both against the Terraform file). `source` names the trigger whose event the generator builds:

- kinesis / dynamodb_stream / sqs_alerts: read from the function's event source mapping;
- sns: a Lambda subscription of the topic `topic` (one record per invocation, as SNS delivers);
- step_functions: the DOT reporting state machine's Task payloads (one per `steps`);
- firehose: a Firehose data-transformation event of the diagnostics stream's records;
- deploy_step: the `aws_lambda_invocation` input `{"step": <key>}`.

`NOT_FUNCTIONS` are handler modules that are no Lambda of their own: they run inside another function.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    key: str  # the Terraform key; the function is <project>-<env>-<key with dashes>
    module: str  # handlers.<module>
    source: str
    topic: str | None = None  # the SNS topic's name suffix (source sns)
    steps: tuple[str, ...] = ()  # the Task steps (source step_functions), the first is the default


_ENTRIES = (
    Entry("processor", "diagnostics_processor", "kinesis"),
    Entry("anomaly", "anomaly_detector", "dynamodb_stream"),
    Entry("maintenance", "maintenance_scheduler", "sqs_alerts"),
    Entry("driver_notifier", "driver_notifier", "sqs_alerts"),
    Entry("fleet", "fleet_dashboard", "sqs_alerts"),
    Entry("predictive", "predictive_maintenance", "kinesis"),
    Entry("hos", "hos_processor", "kinesis"),
    Entry("hos_report", "hos_report_writer", "sns", topic="hos-violations"),
    Entry("location", "location_tracker", "kinesis"),
    Entry("fuel", "fuel_analytics", "kinesis"),
    Entry("coaching", "coaching_dispatcher", "sns", topic="driver-coaching"),
    Entry("dot_report", "dot_reporting", "step_functions", steps=("gather", "report_driver", "publish_summary")),
    Entry("firehose_transform", "firehose_transformer", "firehose"),
    Entry("schema_migrator", "schema_migrator", "deploy_step"),
    Entry("redis_auth", "redis_auth_rotator", "deploy_step"),
)
FUNCTIONS = {entry.key: entry for entry in _ENTRIES}

NOT_FUNCTIONS = {
    "unassigned_driving": "runs inside location (location_tracker) on every GPS fix: make event FN=location",
    "dot_eld": "runs inside dot_report's report_driver step: make event FN=dot_report STEP=report_driver",
}


def known_names() -> str:
    """The names `make event` takes, for error messages: `key (module)` per function."""
    return ", ".join(f"{e.key} ({e.module})" if e.module != e.key else e.key for e in _ENTRIES)


def lookup(name: str) -> Entry:
    """The entry for a Terraform key, a handler module name or a deployed function name
    (`<project>-<env>-<key with dashes>`). LookupError naming every known function otherwise."""
    wanted = name.strip().replace("-", "_")
    for entry in _ENTRIES:
        if wanted in (entry.key, entry.module) or wanted.endswith(f"_{entry.key}"):
            return entry
    for module, where in NOT_FUNCTIONS.items():
        if wanted == module or wanted.endswith(f"_{module}"):
            raise LookupError(f"{module} is not a Lambda function of its own: it {where}")
    raise LookupError(f"no function {name!r}; make event knows: {known_names()}")
