"""One psycopg connection to Aurora PostgreSQL per container, re-opened after a failure.

Credentials come from the DB_SECRET_ARN secret ({"username", "password"}); TLS as DB_SSLMODE says
(verify-full on AWS and on the local stack, whose Postgres has its own CA: DB_SSL_ROOT_CERT). A broken connection
is dropped and the error re-raised: the batch fails, Lambda retries, the next attempt reconnects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from handlers.common.config import get_config
from handlers.common.secrets import get_secret_json, invalidate

_conn: psycopg.Connection | None = None
_lock = threading.RLock()


PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # /var/task on Lambda


def _root_cert(setting: str) -> str | None:
    """DB_SSL_ROOT_CERT as a path: relative ones are inside the deployment package."""
    if not setting:
        return None
    path = Path(setting)
    return str(path if path.is_absolute() else PACKAGE_ROOT / path)


def _connect() -> psycopg.Connection:
    cfg = get_config()
    secret = get_secret_json(cfg.require("db_secret_arn"))
    try:
        return psycopg.connect(
            host=cfg.require("db_host"),
            port=cfg.db_port,
            dbname=cfg.db_name,
            user=secret["username"],
            password=secret["password"],
            connect_timeout=3,
            autocommit=True,
            row_factory=dict_row,
            application_name=cfg.function_name[:60],
            # Aurora enforces TLS (rds.force_ssl); verify-full also checks the certificate chain
            # (DB_SSL_ROOT_CERT: the RDS CA bundle in the package) and the host name.
            sslmode=cfg.db_sslmode,
            sslrootcert=_root_cert(cfg.db_ssl_root_cert),
        )
    except psycopg.OperationalError:
        invalidate(cfg.db_secret_arn)  # the password may have been rotated
        raise


def connection() -> psycopg.Connection:
    global _conn
    with _lock:
        if _conn is None or _conn.closed or _conn.broken:
            _conn = _connect()
        return _conn


@contextmanager
def transaction() -> Iterator[psycopg.Cursor]:
    """A cursor inside one transaction; on a connection error the connection is discarded."""
    conn = connection()
    try:
        with conn.transaction(), conn.cursor() as cur:
            yield cur
    except (psycopg.OperationalError, psycopg.InterfaceError):
        reset()
        raise


def execute(sql: str, params=None) -> list[dict]:
    with transaction() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def execute_rowcount(sql: str, params=None) -> int:
    with transaction() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def reset() -> None:
    global _conn
    with _lock:
        if _conn is not None:
            try:
                _conn.close()
            except Exception:
                pass
        _conn = None


def execute_many(sql: str, rows: list, returning: bool = False) -> list[dict]:
    """`sql` once per params row in `rows`, all in one transaction (every row or none) and sent
    together (psycopg pipelines executemany: one round trip for the lot, not one per row; each
    statement is prepared once per connection). With `returning`, the rows the statements
    return (e.g. `... ON CONFLICT DO NOTHING RETURNING record_id`: the rows actually inserted)."""
    out: list[dict] = []
    if not rows:
        return out
    with transaction() as cur:
        cur.executemany(sql, rows, returning=returning)
        if returning:
            while True:
                out.extend(cur.fetchall())
                if not cur.nextset():
                    break
    return out
