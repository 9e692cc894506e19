"""Ad-hoc SQL over the data lake, as Athena would run it over the Glue catalog:
`python -m harness.runtime.query "SELECT ... FROM vehicle_diagnostics_lake ..."` (`make query SQL=...`).

For every Glue table whose location is an S3 prefix, the Parquet objects under it are mirrored from
the emulator's S3 into `<state_dir>/lake-mirror/` (only new keys are downloaded) and exposed to an
embedded DuckDB as a view `<database>.<table>` (and plain `<table>` when only one database has a
table of that name), with Hive-style
`key=value` path segments as partition columns, as Glue partitions are.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from harness.config import state_dir
from harness.runtime.aws_clients import client
from harness.runtime.cli_support import resolve_endpoint


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    views: list[str]


def _split_location(location: str) -> tuple[str, str]:
    without_scheme = location.split("://", 1)[1]
    bucket, _, prefix = without_scheme.partition("/")
    return bucket, prefix


def mirror_table(s3: Any, location: str, mirror_root: Path) -> list[Path]:
    bucket, prefix = _split_location(location)
    files = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            target = mirror_root / bucket / key
            if not target.exists() or target.stat().st_size != item["Size"]:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            files.append(target)
    return files


def catalog_tables(glue: Any) -> list[tuple[str, dict]]:
    tables = []
    for database in glue.get_paginator("get_databases").paginate():
        for db in database["DatabaseList"]:
            for page in glue.get_paginator("get_tables").paginate(DatabaseName=db["Name"]):
                tables.extend((db["Name"], table) for table in page["TableList"])
    return tables


def connect(endpoint: str, region: str, mirror_root: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    s3, glue = client("s3", endpoint, region), client("glue", endpoint, region)
    connection = duckdb.connect()
    views = []
    sources: dict[str, list[str]] = {}  # table name -> the views created for it
    for database, table in catalog_tables(glue):
        location = (table.get("StorageDescriptor") or {}).get("Location") or ""
        if not location.startswith("s3"):
            continue
        files = [str(path) for path in mirror_table(s3, location, mirror_root)]
        if not files:
            continue
        source = f"read_parquet({files!r}, hive_partitioning = true, union_by_name = true)"
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
        connection.execute(f'CREATE OR REPLACE VIEW "{database}"."{table["Name"]}" AS SELECT * FROM {source}')
        views.append(f"{database}.{table['Name']}")
        sources.setdefault(table["Name"], []).append(f'"{database}"."{table["Name"]}"')
    for name, qualified in sources.items():
        # The bare table name works when one database has it (several stacks in one emulator:
        # use <database>.<table>).
        if len(qualified) == 1:
            connection.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM {qualified[0]}')
    return connection, views


def run_query(sql: str, endpoint: str, region: str, mirror_root: Path) -> QueryResult:
    connection, views = connect(endpoint, region, mirror_root)
    cursor = connection.execute(sql)
    columns = [column[0] for column in cursor.description or []]
    return QueryResult(columns, cursor.fetchall(), views)


def _print(result: QueryResult) -> None:
    widths = [max([len(str(c))] + [len(str(row[i])) for row in result.rows]) for i, c in enumerate(result.columns)]
    print(" | ".join(str(c).ljust(w) for c, w in zip(result.columns, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in result.rows:
        print(" | ".join(str(v).ljust(w) for v, w in zip(row, widths)))
    print(f"({len(result.rows)} rows)", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sql", nargs="?", help="SQL; without it, list the tables")
    parser.add_argument("--state-dir")
    parser.add_argument("--endpoint")
    args = parser.parse_args(argv)
    endpoint, region = resolve_endpoint(args.state_dir, args.endpoint)
    mirror = state_dir(args.state_dir) / "lake-mirror"
    if not args.sql:
        _connection, views = connect(endpoint, region, mirror)
        print("\n".join(views) or "no Glue table has Parquet data yet")
        return
    _print(run_query(args.sql, endpoint, region, mirror))


if __name__ == "__main__":
    main()
