"""Every change this project makes to moto's emulation, one module per AWS service.

moto 5.2.x lacks some APIs and attributes that tap_stack.tf's Terraform provider calls and reads, gets
a few behaviours wrong, keeps every record it is sent forever and is slow on paths the fleet load
takes. Each module here closes such gaps for one service with `@patch` declarations
(`registry.Patch`, modelled on LocalStack's `utils/patch.py`); each patch's docstring says
"Gap: ..." (what moto does, and why it matters to this stack) and "Fix: ...".

`apply_all()` checks the moto version once, imports the service modules (which registers their
patches) and applies every patch; call it before the emulator serves a request. It is idempotent.
`undo_all()` restores moto as shipped. The local runtime's hooks (`harness.runtime.hooks`) use the
same `Patch` utility but are wiring, not compatibility fixes, and live with the runtime.

To add a patch: put it in the module of its service (add a module, and its name to `SERVICE_MODULES`,
for a new service), declare it with `@patch(target=Class.method)` taking the original `fn` first
(or `@patch(Owner, "name", pass_target=False)` to add a missing attribute), give it a Gap/Fix
docstring, and test the behaviour through boto3 against the emulator (tests/runtime).

Local data retention (FLEETTAP_LOCAL_RETENTION_S) is described in `retention`.
"""

from __future__ import annotations

import importlib

from harness.emulator.patches.registry import (
    EMULATOR_PATCHES,
    SUPPORTED_MOTO,
    Patch,
    PatchSet,
    UnsupportedMotoVersion,
    ensure_supported_moto,
    patch,
)

# Applied in this order. `core` first: it stops moto tracking model instances before others make any.
SERVICE_MODULES = (
    "core",
    "apigateway",
    "applicationautoscaling",
    "athena",
    "cloudwatch",
    "dynamodb",
    "dynamodbstreams",
    "elasticache",
    "iam",
    "kinesis",
    "lambda_",
    "rds",
    "s3",
    "sns",
    "sqs",
    "stepfunctions",
    "state_reset",  # one request empties a stack's tables (harness.reset, between runs)
    "faults",  # injected faults for the fault suite (chaos/): off until switched on at runtime
)

__all__ = [
    "EMULATOR_PATCHES",
    "SERVICE_MODULES",
    "SUPPORTED_MOTO",
    "Patch",
    "PatchSet",
    "UnsupportedMotoVersion",
    "apply_all",
    "load_all",
    "patch",
    "undo_all",
]


def load_all() -> PatchSet:
    """Check the moto version, then import every service module (registering its patches)."""
    ensure_supported_moto()  # before the imports: a module may not even import on another moto
    for name in SERVICE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return EMULATOR_PATCHES


def apply_all() -> None:
    """Apply every emulator patch (idempotent): call before the server accepts requests."""
    load_all().apply()


def undo_all() -> None:
    """Undo every applied emulator patch, last applied first."""
    EMULATOR_PATCHES.undo()
