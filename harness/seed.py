"""Seed the reference data the handlers read: alert_thresholds, compliance_rules, geofences
(DynamoDB) and the fuel benchmarks (Redis). Values come from the domain core's defaults.

`python -m harness.seed [--project fleettap --env dev] [--geofences fences.json]`
targets the stack in stack.json. Idempotent: DynamoDB items are (re)written with the same keys;
a Redis benchmark that already exists is left alone, since operators may have tuned it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from handlers.common.aws import to_item
from handlers.domain import anomaly, fuel
from handlers.domain.geofence import Geofence
from handlers.domain.hos import DEFAULT_RULES
from handlers.domain.hos.ruleset_items import RULESET_ITEMS


def table_names(project: str, env: str) -> dict[str, str]:
    return {s: f"{project}-{env}-{s}" for s in ("alert_thresholds", "compliance_rules", "geofences")}


def _put_all(ddb, table: str, items: Iterable[dict]) -> int:
    count = 0
    for item in items:
        ddb.put_item(TableName=table, Item=to_item(item))
        count += 1
    return count


def seed(ddb, redis_client, tables: dict[str, str], geofences: Iterable[dict] = ()) -> dict[str, int]:
    fences = list(geofences)
    for item in fences:
        Geofence.from_item(item)  # refuse to seed a fence the location tracker would skip
    counts = {
        "alert_thresholds": _put_all(ddb, tables["alert_thresholds"], anomaly.DEFAULT_THRESHOLD_ITEMS),
        "compliance_rules": _put_all(ddb, tables["compliance_rules"], [*DEFAULT_RULES, *RULESET_ITEMS]),
        "geofences": _put_all(ddb, tables["geofences"], fences),
        "fuel_benchmarks": 0,
    }
    for vehicle_type, bench in fuel.DEFAULT_BENCHMARKS.items():
        key = fuel.benchmark_key(vehicle_type)
        if not redis_client.exists(key):
            redis_client.hset(key, mapping=bench.to_mapping())
            counts["fuel_benchmarks"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    import redis

    from harness.config import read_stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="fleettap")
    parser.add_argument("--env", default="dev")
    parser.add_argument("--geofences", type=Path, help="JSON list of geofences items (contracts.md shape)")
    args = parser.parse_args(argv)
    stack = read_stack()
    ddb = stack.admin_client("dynamodb")
    fences = json.loads(args.geofences.read_text()) if args.geofences else []
    counts = seed(
        ddb, redis.Redis(host=stack.redis_host, port=stack.redis_port), table_names(args.project, args.env), fences
    )
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
