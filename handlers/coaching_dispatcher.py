"""driver-coaching (SNS) -> driver_training_queue message with the training material per tip.

The material catalogue maps the domain's pattern codes (handlers.domain.fuel) to the fleet's
training modules. A coaching_id is sent once (check -> send -> mark in Redis); the message also
carries it so the LMS consuming the queue can dedupe a crash-window duplicate.
"""

from __future__ import annotations

import json

from handlers.common.aws import client
from handlers.common.config import get_config
from handlers.common.dlq import send_to_dlq
from handlers.common.errors import PoisonRecord, poison_reason
from handlers.common.events import sns_message
from handlers.common.idempotency import mark_done
from handlers.common.leases import claim_once
from handlers.common.redis_client import get_redis
from handlers.domain import fuel

TRAINING_MODULES = {
    fuel.EXCESS_IDLING: {
        "module_id": "ECO-101",
        "title": "Idle reduction and APU use",
        "minutes": 12,
        "path": "/training/eco-101-idle-reduction",
    },
    fuel.SPEEDING: {
        "module_id": "ECO-102",
        "title": "Speed management and cruise control",
        "minutes": 10,
        "path": "/training/eco-102-speed-management",
    },
    fuel.HARSH_ACCELERATION: {
        "module_id": "ECO-103",
        "title": "Progressive shifting and smooth throttle",
        "minutes": 15,
        "path": "/training/eco-103-smooth-driving",
    },
    fuel.LOW_MPG: {
        "module_id": "ECO-100",
        "title": "Fuel-efficient driving fundamentals",
        "minutes": 20,
        "path": "/training/eco-100-fundamentals",
    },
}


def training_message(coaching: dict) -> dict:
    tips = coaching.get("tips") or []
    if not coaching.get("coaching_id") or not coaching.get("driver_id") or not tips:
        raise PoisonRecord("FIELD_MISSING", "coaching_id, driver_id and tips are required")
    materials = []
    for tip in sorted(tips, key=lambda t: t.get("priority", 99)):
        module = TRAINING_MODULES.get(tip.get("code"))
        if module:
            materials.append(
                {
                    **module,
                    "priority": tip.get("priority"),
                    "reason": tip.get("message"),
                    "est_fuel_saving_l": tip.get("est_fuel_saving_l", 0.0),
                }
            )
    if not materials:
        raise PoisonRecord("NO_MATERIAL", f"no training module for {[t.get('code') for t in tips]}")
    return {
        "assignment_id": coaching["coaching_id"],
        "driver_id": coaching["driver_id"],
        "vehicle_id": coaching.get("vehicle_id"),
        "fleet_id": coaching.get("fleet_id"),
        "assigned_for_ts": coaching.get("ts"),
        "materials": materials,
        "context": {k: coaching.get(k) for k in ("mpg", "benchmark_mpg", "idle_pct", "patterns")},
    }


def dispatch(raw_record: dict) -> bool:
    coaching, attrs = sns_message(raw_record)
    message = training_message(coaching)
    r = get_redis()
    mark = f"coach:sent:{message['assignment_id']}"
    # Claim before acting: SNS may deliver a message twice at once (two async invokes).
    with claim_once(r, mark) as mine:
        if not mine:
            return False
        client("sqs").send_message(
            QueueUrl=get_config().require("training_queue_url"),
            MessageBody=json.dumps(message, default=str),
            MessageAttributes={
                "driver_id": {"DataType": "String", "StringValue": message["driver_id"]},
                "severity": {"DataType": "String", "StringValue": attrs.get("severity", "info")},
            },
        )
        mark_done(r, mark)
    return True


def handler(event, context):
    sent = 0
    for raw in event.get("Records", []):
        try:
            sent += dispatch(raw)
        except Exception as exc:
            poison = poison_reason(exc)
            if poison is None:
                raise
            send_to_dlq(poison[0], poison[1], raw)
    return {"sent": sent}
