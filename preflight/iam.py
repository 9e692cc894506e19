"""IAM: every AWS call each handler makes is granted by its function's role, resource by resource,
and nothing else is (a grant no call and no event source uses); the DOT state machine's role can
use the key its state machine is encrypted with.

Grants come from the plan's `iam_grants` output (statements by target key, known at plan time; the
rendered policies are not). A call's target is the Lambda environment key of the setting that names
its resource (driver_logs_table -> DRIVER_LOGS_TABLE). Every target but the SageMaker endpoint is
encrypted with the stack key (KMS_KEY): reading it needs kms:Decrypt, writing kms:GenerateDataKey.
"""

from __future__ import annotations

from preflight.code import AwsCall, Handlers
from preflight.findings import Finding
from preflight.plan import Context

CHECK = "iam"
SERVICE_PREFIX = {"sagemaker-runtime": "sagemaker"}
# boto3 methods whose IAM action is not the CamelCase of the method name.
ACTION_OVERRIDES = {("s3", "head_object"): "s3:GetObject"}
# Object-level S3 actions act on <bucket>/*, so the bucket setting maps to the objects target.
OBJECT_TARGETS = {
    "REPORTS_BUCKET": "REPORTS_BUCKET_OBJECTS",
    "DEAD_LETTER_BUCKET": "DEAD_LETTER_OBJECTS",
    "DOT_WORK_BUCKET": "DOT_WORK_BUCKET_OBJECTS",
}
# Targets encrypted with a key of their own instead of the stack key (KMS_KEY).
TARGET_KEYS = {"DOT_WORK_BUCKET": "DOT_WORK_KEY", "DOT_WORK_BUCKET_OBJECTS": "DOT_WORK_KEY"}
# Calls that probe for a key that may be missing: S3 answers 404 only to a caller with s3:ListBucket on
# the bucket, 403 AccessDenied to any other (the emulator too, harness/emulator/request_resources.py).
PROBE_METHODS = {"head_object"}
UNENCRYPTED_TARGETS = {"SAGEMAKER_ENDPOINT_NAME"}
WRITE_PREFIXES = ("Put", "Send", "Publish", "BatchWrite", "Update", "Delete")
# Calls whose resource the code takes from its input, declared here with the reason.
DECLARED_SETTINGS = {
    # publish_summary reads the manifest gather wrote and the DISTRIBUTED Map's ResultWriter files, which
    # the state machine writes to the DOT work bucket (tap_stack.tf ResultWriter Bucket).
    ("handlers.dot_reporting", "s3", "get_object"): "dot_work_bucket",
    # The deploy step names the group by a local read from its config (cfg.require), not inline.
    ("handlers.redis_auth_rotator", "elasticache", "modify_replication_group"): "redis_replication_group_id",
}
# Actions AWS does not authorise per resource: "*" is the only possible Resource for them.
NO_RESOURCE_LEVEL_ACTIONS = {
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
STATES_CONTEXT = "kms:EncryptionContext:aws:states:stateMachineArn"


def action(call: AwsCall) -> str:
    if (call.service, call.method) in ACTION_OVERRIDES:
        return ACTION_OVERRIDES[(call.service, call.method)]
    name = "".join(part.capitalize() for part in call.method.split("_"))
    return f"{SERVICE_PREFIX.get(call.service, call.service)}:{name}"


def needs(call: AwsCall) -> list[tuple[str, str]]:
    """(action, target) pairs the call needs, KMS included."""
    setting = call.setting or DECLARED_SETTINGS.get((call.module.split(" -> ")[0], call.service, call.method))
    if setting is None:
        return []
    target = setting.upper()
    granted = action(call)
    if call.service == "s3":
        target = OBJECT_TARGETS.get(target, target)
    out = [(granted, target)]
    if call.service == "s3" and call.method == "put_object" and "ObjectLockRetainUntilDate" in call.keywords:
        out.append(("s3:PutObjectRetention", target))
    if call.service == "s3" and call.method in PROBE_METHODS:
        out.append(("s3:ListBucket", setting.upper()))
    if target not in UNENCRYPTED_TARGETS:
        key = TARGET_KEYS.get(target, "KMS_KEY")
        out.append(("kms:Decrypt", key))
        if granted.split(":")[1].startswith(WRITE_PREFIXES):
            out.append(("kms:GenerateDataKey", key))
    return out


def _granted(statements: list[dict], wanted_action: str, target: str) -> bool:
    return any(wanted_action in s.get("actions", []) and target in s.get("targets", []) for s in statements)


def check_functions(ctx: Context, handlers: Handlers) -> list[Finding]:
    grants = ctx.output("iam_grants")
    if not grants:
        return [
            Finding(
                CHECK,
                "output.iam_grants",
                "the plan has no iam_grants output, so no grant can be checked",
                'declare output "iam_grants" in infra/tap_stack.tf (statements by target key)',
            )
        ]
    findings = []
    for function, module in sorted(grants["function_modules"].items()):
        statements = grants["functions"].get(function, [])
        for call in handlers.aws_calls(module):
            if call.setting is None and not needs(call):
                findings.append(
                    Finding(
                        CHECK,
                        f'aws_iam_role_policy.lambda["{function}"]',
                        f"{call.module}:{call.line} calls {action(call)} on a resource the code takes from its input",
                        "name the resource by a config setting, or declare it in preflight.iam.DECLARED_SETTINGS",
                    )
                )
                continue
            for wanted, target in needs(call):
                if not _granted(statements, wanted, target):
                    findings.append(
                        Finding(
                            CHECK,
                            f'aws_iam_role_policy.lambda["{function}"]',
                            f"handlers.{module} calls {action(call)} on {target} ({call.module}:{call.line}) "
                            f"but the role does not grant {wanted} on {target}",
                            f"add a statement with {wanted} on target {target} to function_statements.{function} "
                            "in infra/tap_stack.tf",
                        )
                    )
        for statement in statements:
            if "*" in statement.get("targets", []):
                broad = [a for a in statement["actions"] if a not in NO_RESOURCE_LEVEL_ACTIONS]
                if broad:
                    findings.append(
                        Finding(
                            CHECK,
                            f'aws_iam_role_policy.lambda["{function}"]',
                            f"statement {statement.get('sid')} grants {broad} on *",
                            "name the resource's target instead of *",
                        )
                    )
    return _dedupe(findings)


def check_unused(ctx: Context, handlers: Handlers) -> list[Finding]:
    """Least privilege the other way round: a grant on a target no handler call and no event source
    mapping of the function uses (the base statements, DLQ_URL, DEAD_LETTER_OBJECTS and KMS_KEY, are every
    function's)."""
    grants = ctx.output("iam_grants") or {}
    sources = grants.get("event_sources") or {}
    findings = []
    for function, module in sorted((grants.get("function_modules") or {}).items()):
        used = {target for call in handlers.aws_calls(module) for _, target in needs(call)}
        used |= set(sources.get(function, [])) | {"DLQ_URL", "DEAD_LETTER_OBJECTS", "KMS_KEY", "*"}
        for statement in grants["functions"].get(function, []):
            for target in statement.get("targets", []):
                if target not in used:
                    findings.append(
                        Finding(
                            CHECK,
                            f'aws_iam_role_policy.lambda["{function}"]',
                            f"statement {statement.get('sid')} grants {len(statement.get('actions', []))} actions "
                            f"on {target}, "
                            f"which neither handlers.{module} nor the function's event source uses",
                            f"remove {target} from function_statements.{function} in infra/tap_stack.tf",
                        )
                    )
    return findings


def check_state_machines(ctx: Context) -> list[Finding]:
    grants = (ctx.output("iam_grants") or {}).get("dot_state_machine") or []
    findings = []
    for machine in ctx.resources("aws_sfn_state_machine"):
        encryption = (machine["values"].get("encryption_configuration") or [{}])[0]
        if encryption.get("type") != "CUSTOMER_MANAGED_KMS_KEY":
            continue
        for wanted in ("kms:Decrypt", "kms:GenerateDataKey"):
            usable = [
                s
                for s in grants
                if wanted in s.get("actions", [])
                and "KMS_KEY" in s.get("targets", [])
                and (not s.get("condition") or STATES_CONTEXT in (s["condition"].get("StringEquals") or {}))
            ]
            if not usable:
                findings.append(
                    Finding(
                        CHECK,
                        "aws_iam_role_policy.sfn",
                        f"{machine['address']} is encrypted with the customer-managed key but its role has no {wanted} "
                        f"on KMS_KEY usable by Step Functions (only under other conditions, e.g. kms:ViaService s3)",
                        f"add {{actions = [kms:Decrypt, kms:GenerateDataKey], targets = [KMS_KEY], condition = "
                        f"{{StringEquals = {{{STATES_CONTEXT} = <state machine ARN>}}}}}} to sfn_statements",
                    )
                )
        if machine["values"].get("logging_configuration") and not _key_allows_log_delivery(ctx):
            findings.append(
                Finding(
                    CHECK,
                    "aws_kms_key.main",
                    f"{machine['address']} delivers logs encrypted with the key, but the key policy does not let "
                    "delivery.logs.amazonaws.com use it",
                    "add a key-policy statement for delivery.logs.amazonaws.com with kms:Decrypt (aws:SourceAccount)",
                )
            )
    return findings


def _key_allows_log_delivery(ctx: Context) -> bool:
    import json

    for key in ctx.resources("aws_kms_key"):
        policy = key["values"].get("policy")
        if not policy:
            return True  # unknown at plan time: nothing to say
        statements = json.loads(policy).get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            services = (statement.get("Principal") or {}).get("Service", [])
            services = services if isinstance(services, list) else [services]
            actions = statement.get("Action", [])
            actions = actions if isinstance(actions, list) else [actions]
            if "delivery.logs.amazonaws.com" in services and "kms:Decrypt" in actions:
                return True
    return False


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for finding in findings:
        key = (finding.address, finding.fix)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def check(ctx: Context) -> list[Finding]:
    handlers = Handlers(ctx.repo_root)
    return check_functions(ctx, handlers) + check_unused(ctx, handlers) + check_state_machines(ctx)
