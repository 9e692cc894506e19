"""The fault catalog: one module per fault family, each fault by name.

Families: `services` (Redis, PostgreSQL), `emulator` (DynamoDB/Kinesis throttling, SNS publish
failures), `external_api` (the telematics API), `runtime` (execution environments), `delivery`
(duplicate, out-of-order, late), `poison`. `build("a+b")` mixes faults.
"""

from __future__ import annotations

from chaos.faults.base import Fault, FaultContext, Mixed, Outgoing
from chaos.faults.delivery import Duplicate, Late, OutOfOrder
from chaos.faults.emulator import DynamoThrottle, KinesisThrottle, SnsFail
from chaos.faults.external_api import Api5xx, ApiHang, ApiTimeout
from chaos.faults.poison import Poison
from chaos.faults.runtime import FunctionTimeout, WorkerKill
from chaos.faults.services import PostgresSlow, PostgresStop, RedisKill

CATALOG: dict[str, type[Fault]] = {
    cls.name: cls
    for cls in (
        RedisKill,
        PostgresStop,
        PostgresSlow,
        DynamoThrottle,
        KinesisThrottle,
        SnsFail,
        Api5xx,
        ApiTimeout,
        ApiHang,
        FunctionTimeout,
        WorkerKill,
        Duplicate,
        OutOfOrder,
        Late,
        Poison,
    )
}
# The mixes `make chaos` runs after every fault on its own.
MIXES = (
    "redis-kill+ddb-throttle+duplicate",
    "postgres-stop+sns-fail+out-of-order+poison",
    "worker-kill+api-5xx+kinesis-throttle+late",
)
# Faults that matter most to hours of service, run again on the HOS scenario (violations, reports).
HOS_RUNS = ("late@hos-violation", "duplicate@hos-violation", "out-of-order@hos-violation", "redis-kill@hos-violation")


def build(name: str) -> Fault:
    """The fault named `name` ("a+b+c": those faults at once); KeyError names the unknown ones."""
    parts = name.partition("@")[0].split("+")
    unknown = [part for part in parts if part not in CATALOG]
    if unknown:
        raise KeyError(f"unknown faults {unknown}; known: {', '.join(CATALOG)}")
    faults = [CATALOG[part]() for part in parts]
    return faults[0] if len(faults) == 1 else Mixed(faults)


__all__ = ["CATALOG", "HOS_RUNS", "MIXES", "Fault", "FaultContext", "Mixed", "Outgoing", "build"]
