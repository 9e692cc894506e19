"""Fires the deployed EventBridge schedule rules (`rate(...)`/`cron(...)`, state ENABLED) at their
times; rules are re-read every tick so a later `terraform apply` is picked up. A rate rule first
fires one period after the scheduler first sees it, as EventBridge does after rule creation."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from harness.runtime.aws_clients import client
from harness.runtime.rule_targets import fire_rule
from harness.runtime.schedule_expressions import Cron, rate_seconds

log = logging.getLogger(__name__)

TICK_S = 5.0


class RuleScheduler:
    def __init__(self, state_dir: Path, endpoint: str, region: str) -> None:
        self._endpoint = endpoint
        self._region = region
        self._events = client("events", endpoint, region)
        self._next_fire: dict[str, dt.datetime] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="eventbridge-scheduler")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.tick(dt.datetime.now(dt.UTC))
            except Exception:
                log.exception("scheduler tick failed")

    def tick(self, now: dt.datetime) -> list[str]:
        fired = []
        seen = set()
        for rule in self._scheduled_rules():
            key = rule["Arn"] + rule["ScheduleExpression"]
            seen.add(key)
            if key not in self._next_fire:
                self._next_fire[key] = self._following(rule["ScheduleExpression"], now)
                continue
            if now >= self._next_fire[key]:
                fire_rule(rule["Name"], self._endpoint, self._region, rule.get("EventBusName", "default"), now)
                fired.append(rule["Name"])
                self._next_fire[key] = self._following(rule["ScheduleExpression"], now)
        for stale in set(self._next_fire) - seen:
            del self._next_fire[stale]
        return fired

    def _scheduled_rules(self) -> list[dict]:
        rules = []
        for page in self._events.get_paginator("list_rules").paginate():
            rules.extend(r for r in page["Rules"] if r.get("ScheduleExpression") and r.get("State") == "ENABLED")
        return rules

    @staticmethod
    def _following(expression: str, now: dt.datetime) -> dt.datetime:
        seconds = rate_seconds(expression)
        if seconds is not None:
            return now + dt.timedelta(seconds=seconds)
        return Cron(expression).next_after(now)
