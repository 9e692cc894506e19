"""Gauges AWS publishes once a minute, sampled from what stands in for the service locally.

- AWS/SQS, per QueueName (every queue in the emulator): ApproximateNumberOfMessagesVisible,
  ApproximateNumberOfMessagesNotVisible, ApproximateAgeOfOldestMessage (s; the oldest message not
  yet deleted, 0 for an empty queue), from moto's queues;
- AWS/ElastiCache, per CacheClusterId of every member of every replication group:
  DatabaseMemoryUsagePercentage = the real local Redis's used_memory (INFO memory) as a percentage of
  what ElastiCache makes available on the deployed node type (node memory less the default 25 %
  reserved memory, `capacity_planner.model`); not emitted for a node type the table lacks;
- AWS/ElastiCache EngineCPUUtilization, per member too: the local Redis's main-thread CPU time
  (INFO cpu used_cpu_sys_main_thread + used_cpu_user_main_thread, the engine thread ElastiCache
  reports) since the previous sample, as a percentage of the wall time between them (none at the
  first sample);
- AWS/RDS, per DBClusterIdentifier of every cluster in the emulator: DatabaseConnections = client
  connections to the real local PostgreSQL (pg_stat_activity, this sampler's own excluded).
Every Aurora cluster and Redis group in the emulator is served by the one local PostgreSQL/Redis,
so each gets the same figures. A source that cannot be read (service down) is skipped and logged
once; the alarm then sees missing data, as it would on AWS.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from harness.runtime import metrics

log = logging.getLogger(__name__)

GIB = 1024**3
ELASTICACHE_RESERVED_FRACTION = 0.25  # ElastiCache's default reserved-memory-percent


def sqs_gauges(region: str, now_s: float | None = None) -> list[tuple[str, dict[str, str], float, str]]:
    from moto.sqs.models import sqs_backends

    now_ms = (now_s if now_s is not None else time.time()) * 1000
    gauges = []
    for queue in list(sqs_backends[metrics.ACCOUNT][region].queues.values()):
        dims = {"QueueName": queue.name}
        sent = [m.sent_timestamp for m in list(queue._messages) if m.sent_timestamp]
        age_s = max(0.0, (now_ms - min(sent)) / 1000) if sent else 0.0
        gauges += [
            ("ApproximateNumberOfMessagesVisible", dims, queue.approximate_number_of_messages, "Count"),
            ("ApproximateNumberOfMessagesNotVisible", dims, queue.approximate_number_of_messages_not_visible, "Count"),
            ("ApproximateAgeOfOldestMessage", dims, age_s, "Seconds"),
        ]
    return gauges


def redis_memory_percent(used_bytes: float, node_type: str) -> float | None:
    """ElastiCache's DatabaseMemoryUsagePercentage for `used_bytes` on `node_type`; None when the
    node type's memory is unknown."""
    from capacity_planner.model import NODE_MEMORY_GIB

    memory_gib = NODE_MEMORY_GIB.get(node_type)
    if not memory_gib:
        return None
    return 100.0 * used_bytes / (memory_gib * GIB * (1 - ELASTICACHE_RESERVED_FRACTION))


def engine_cpu_percent(previous: tuple[float, float] | None, current: tuple[float, float]) -> float | None:
    """CPU % of the Redis engine thread between two (wall seconds, engine CPU seconds) samples; None
    without a previous sample, or when Redis restarted in between (its counter went back)."""
    if previous is None or current[0] <= previous[0] or current[1] < previous[1]:
        return None
    return min(100.0, 100.0 * (current[1] - previous[1]) / (current[0] - previous[0]))


class GaugeSampler:
    """Samples every gauge above and writes them to the emulator's CloudWatch (`sample()`)."""

    def __init__(self, state_dir: Path, region: str) -> None:
        self.state_dir = Path(state_dir)
        self.region = region
        self._redis: Any = None
        self._engine_cpu: tuple[float, float] | None = None
        self._postgres: Any = None
        self._warned: set[str] = set()

    def sample(self) -> None:
        metrics.put_gauges(self.region, "AWS/SQS", sqs_gauges(self.region))
        for namespace, source in (("AWS/ElastiCache", self._elasticache), ("AWS/RDS", self._rds)):
            try:
                metrics.put_gauges(self.region, namespace, source())
            except Exception as exc:  # the local service is down or unreachable: missing data
                self._close(namespace)
                if namespace not in self._warned:
                    self._warned.add(namespace)
                    log.warning("cannot sample %s metrics locally: %s", namespace, exc)

    def _stack(self) -> dict[str, Any]:
        from harness.config import read_stack_data

        return read_stack_data(self.state_dir)

    def _elasticache(self) -> list[tuple[str, dict[str, str], float, str]]:
        from moto.elasticache.models import elasticache_backends

        groups = list(elasticache_backends[metrics.ACCOUNT][self.region].replication_groups.values())
        if not groups:
            return []
        if self._redis is None:
            import redis

            config = self._stack().get("redis") or {}
            self._redis = redis.Redis(host=config["host"], port=int(config["port"]), socket_timeout=2)
        used = float(self._redis.info("memory")["used_memory"])
        engine_cpu = self._engine_cpu_percent()
        gauges = []
        for group in groups:
            percent = redis_memory_percent(used, group.cache_node_type)
            for cluster_id in group.member_clusters:
                if percent is not None:
                    gauges.append(("DatabaseMemoryUsagePercentage", {"CacheClusterId": cluster_id}, percent, "Percent"))
                if engine_cpu is not None:
                    gauges.append(("EngineCPUUtilization", {"CacheClusterId": cluster_id}, engine_cpu, "Percent"))
        return gauges

    def _engine_cpu_percent(self) -> float | None:
        cpu = self._redis.info("cpu")
        seconds = float(cpu.get("used_cpu_sys_main_thread", cpu.get("used_cpu_sys", 0.0))) + float(
            cpu.get("used_cpu_user_main_thread", cpu.get("used_cpu_user", 0.0))
        )
        now, previous = time.monotonic(), self._engine_cpu
        self._engine_cpu = (now, seconds)
        return engine_cpu_percent(previous, (now, seconds))

    def _rds(self) -> list[tuple[str, dict[str, str], float, str]]:
        from moto.rds.models import rds_backends

        clusters = list(rds_backends[metrics.ACCOUNT][self.region].clusters.keys())
        if not clusters:
            return []
        if self._postgres is None:
            import psycopg

            config = self._stack().get("postgres") or {}
            self._postgres = psycopg.connect(
                host=config["host"],
                port=int(config["port"]),
                user=config["user"],
                password=config.get("password"),
                dbname=config["dbname"],
                autocommit=True,
                connect_timeout=2,
            )
        row = self._postgres.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
        count = float(row[0])
        return [("DatabaseConnections", {"DBClusterIdentifier": cluster}, count, "Count") for cluster in clusters]

    def _close(self, namespace: str) -> None:
        client = self._redis if namespace == "AWS/ElastiCache" else self._postgres
        try:
            if client is not None:
                client.close()
        except Exception:
            pass
        if namespace == "AWS/ElastiCache":
            self._redis = None
        else:
            self._postgres = None

    def close(self) -> None:
        self._close("AWS/ElastiCache")
        self._close("AWS/RDS")
