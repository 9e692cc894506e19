"""Apply handlers/migrations/NNN_name.sql to a PostgreSQL database, in order, once each.

`python -m harness.migrate` targets the Postgres in stack.json; `--dsn` targets any other
(e.g. Aurora through a tunnel). Applied files are tracked in schema_migrations with their
checksum; an applied file whose content changed is an error, never silently re-applied.
Each file runs in its own transaction under an advisory lock, so concurrent runs serialize.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "handlers" / "migrations"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x666C7474  # arbitrary, constant: "fltt"


class MigrationError(RuntimeError):
    pass


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    files = sorted(p for p in directory.glob("*.sql") if _NAME.match(p.name))
    versions = [p.name[:3] for p in files]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration version in {directory}")
    return files


def apply(conninfo: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; returns the names applied by this call."""
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {v: (n, c) for v, n, c in conn.execute("SELECT version, name, checksum FROM schema_migrations")}
            for path in migration_files(directory):
                sql = path.read_text()
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                version = path.name[:3]
                if version in done:
                    if done[version][1] != checksum:
                        raise MigrationError(f"{path.name} changed after it was applied; add a new migration instead")
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (version, path.name, checksum),
                    )
                applied_now.append(path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="libpq connection string (default: the Postgres in stack.json)")
    args = parser.parse_args(argv)
    if args.dsn:
        conninfo = args.dsn
    else:
        from harness.config import read_stack

        conninfo = read_stack().postgres_dsn
    try:
        names = apply(conninfo)
    except (MigrationError, psycopg.Error) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 1
    print("applied: " + ", ".join(names) if names else "schema up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
