"""Redis and PostgreSQL faults on the real local servers (the stack's own processes).

- `redis-kill`: SIGKILL the Redis server mid-stream and start it again `fault_to` (and `fault_hold_s` at least). Like
  an ElastiCache node lost without a replica it comes back empty: rolling windows, de-duplication
  markers and counters are gone. The snapshot the embedded Redis keeps for `make down`/`make up`
  (harness persistence) is removed first: a crashed node never comes back with the data set of the
  stack's last clean stop (an earlier run's windows, markers and counters), which AWS has no way to do.
- `postgres-stop`: stop the PostgreSQL server (fast shutdown), start it again later.
- `postgres-slow`: statement timeouts under lock contention. The application role gets
  `statement_timeout = 1s` (ALTER ROLE; existing sessions are terminated so every connection takes
  it), and an exclusive lock is held on the tables the handlers write (vehicle_history,
  fuel_analytics, maintenance_schedule) while the fault holds, so their statements wait and time out.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from chaos.faults.base import Fault, FaultContext

LOCKED_TABLES = ("vehicle_history", "fuel_analytics", "maintenance_schedule")
SLOW_STATEMENT_TIMEOUT = "1s"


def _services():
    from harness import services

    return services


class RedisKill(Fault):
    name = "redis-kill"
    description = "Redis SIGKILLed mid-batch, restarted empty"

    def inject(self, ctx: FaultContext) -> None:
        services = _services()
        record = services.running_record(ctx.state_dir, "redis")
        if record is None:
            raise RuntimeError("redis is not running in this stack")
        os.kill(record.pid, signal.SIGKILL)
        ctx.notes.append(f"redis pid {record.pid} killed")

    def heal(self, ctx: FaultContext) -> None:
        services = _services()
        deadline = time.monotonic() + 10
        while services.running_record(ctx.state_dir, "redis") is not None and time.monotonic() < deadline:
            time.sleep(0.1)  # the killed pid is reaped by its parent shell or becomes a zombie
        from harness import processes

        processes.forget(ctx.state_dir, "redis")
        port = ctx.stack.redis_port
        while not processes.port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.1)  # the kernel closes the killed server's socket when the process is gone
        services.redis_snapshot(ctx.state_dir).unlink(missing_ok=True)
        pid = services.start_service("redis", ctx.state_dir, ctx.stack)
        ctx.notes.append(f"redis restarted as pid {pid}")


class PostgresStop(Fault):
    name = "postgres-stop"
    description = "PostgreSQL stopped mid-batch, started again"

    def inject(self, ctx: FaultContext) -> None:
        _services().stop_service("postgres", ctx.state_dir)
        ctx.notes.append("postgres stopped")

    def heal(self, ctx: FaultContext) -> None:
        pid = _services().start_service("postgres", ctx.state_dir, ctx.stack)
        ctx.notes.append(f"postgres started as pid {pid}")


def _connect(stack):
    import psycopg

    return psycopg.connect(stack.postgres_dsn, autocommit=True)


class PostgresSlow(Fault):
    name = "postgres-slow"
    description = f"PostgreSQL slow: tables locked, statement_timeout {SLOW_STATEMENT_TIMEOUT}"

    def __init__(self) -> None:
        self._release = threading.Event()
        self._holder: threading.Thread | None = None

    def inject(self, ctx: FaultContext) -> None:
        stack = ctx.stack
        with _connect(stack) as admin:
            admin.execute(
                f"ALTER ROLE {stack.postgres_user} IN DATABASE {stack.postgres_dbname} "
                f"SET statement_timeout = '{SLOW_STATEMENT_TIMEOUT}'"
            )
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ready = threading.Event()

        def hold() -> None:
            with _connect(stack) as conn:
                conn.execute("SET statement_timeout = 0")
                with conn.transaction():
                    conn.execute(f"LOCK TABLE {', '.join(LOCKED_TABLES)} IN ACCESS EXCLUSIVE MODE")
                    ready.set()
                    self._release.wait(600)

        self._holder = threading.Thread(target=hold, name="chaos-pg-lock", daemon=True)
        self._holder.start()
        ready.wait(30)
        ctx.notes.append(f"locked {', '.join(LOCKED_TABLES)}; statement_timeout {SLOW_STATEMENT_TIMEOUT}")

    def heal(self, ctx: FaultContext) -> None:
        self._release.set()
        if self._holder is not None:
            self._holder.join(30)
        with _connect(ctx.stack) as admin:
            admin.execute(
                f"ALTER ROLE {ctx.stack.postgres_user} IN DATABASE {ctx.stack.postgres_dbname} RESET statement_timeout"
            )
        ctx.notes.append("lock released, statement_timeout reset")
