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
import csv
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from botocore.exceptions import BotoCoreError, ClientError

from harness.config import ConfigError, StackNotRunning, state_dir
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


def mirror_table(s3: Any, location: str, mirror_root: Path, since: dt.datetime | None = None) -> list[Path]:
    """The table's objects under `location` copied to `mirror_root` (kept while unchanged in size);
    with `since`, only those last modified at or after it."""
    bucket, prefix = _split_location(location)
    files = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/") or (since is not None and item["LastModified"] < since):
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


def _print(result: QueryResult, form: str = "table", out=None) -> None:
    """The result as an aligned table (row count on stderr), CSV (header row) or JSON (a list of
    objects, one per row; values JSON cannot hold are written as strings)."""
    out = out or sys.stdout
    if form == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        return
    if form == "json":
        rows = [dict(zip(result.columns, row)) for row in result.rows]
        print(json.dumps(rows, indent=2, default=str), file=out)
        return
    widths = [max([len(str(c))] + [len(str(row[i])) for row in result.rows]) for i, c in enumerate(result.columns)]
    print(" | ".join(str(c).ljust(w) for c, w in zip(result.columns, widths)), file=out)
    print("-+-".join("-" * w for w in widths), file=out)
    for row in result.rows:
        print(" | ".join(str(v).ljust(w) for v, w in zip(row, widths)), file=out)
    print(f"({len(result.rows)} rows)", file=sys.stderr)


def execute(connection: duckdb.DuckDBPyConnection, sql: str, views: list[str]) -> QueryResult:
    cursor = connection.execute(sql)
    columns = [column[0] for column in cursor.description or []]
    return QueryResult(columns, cursor.fetchall(), views)


def shell(connection: duckdb.DuckDBPyConnection, views: list[str], form: str, lines=None) -> int:
    """An interactive SQL prompt over the lake (statements end with `;`; `.tables` lists the views,
    `.quit` or end of input leaves). A failing statement prints DuckDB's error and the prompt goes on.
    Returns the number of statements that failed."""
    interactive = lines is None and sys.stdin.isatty()
    source = lines if lines is not None else sys.stdin
    failed, pending = 0, []
    if interactive:
        print("fleettap lake SQL (DuckDB); end statements with ';', .tables, .quit", file=sys.stderr)
    while True:
        if interactive:
            try:
                line = input("lake> " if not pending else "  ... ")
            except EOFError:
                break
        else:
            line = next(source, None)
            if line is None:
                break
        stripped = line.strip()
        if not pending and stripped in (".quit", ".exit", r"\q"):
            break
        if not pending and stripped == ".tables":
            print("\n".join(views) or "no Glue table has Parquet data yet")
            continue
        pending.append(line)
        if not stripped.endswith(";"):
            continue
        statement, pending = "\n".join(pending), []
        try:
            _print(execute(connection, statement, views), form)
        except duckdb.Error as error:
            failed += 1
            print(f"error: {error}", file=sys.stderr)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sql", nargs="?", help="SQL; without it (and without -i), list the tables")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_const", const="csv", dest="form", help="rows as CSV")
    output.add_argument("--json", action="store_const", const="json", dest="form", help="rows as a JSON list")
    parser.add_argument(
        "-i", "--interactive", action="store_true", help="a SQL prompt (also reads statements from a pipe)"
    )
    parser.add_argument("--state-dir")
    parser.add_argument("--endpoint")
    args = parser.parse_args(argv)
    form = args.form or "table"
    try:
        endpoint, region = resolve_endpoint(args.state_dir, args.endpoint)
        mirror = state_dir(args.state_dir) / "lake-mirror"
        connection, views = connect(endpoint, region, mirror)
    except (StackNotRunning, ConfigError, BotoCoreError, ClientError) as error:
        print(f"harness.runtime.query: the stack is not reachable: {error}", file=sys.stderr)
        return 3
    if args.interactive:
        return 1 if shell(connection, views, form) else 0
    if not args.sql:
        if form == "json":
            print(json.dumps(views))
        else:
            print("\n".join(views) or "no Glue table has Parquet data yet")
        return 0
    try:
        _print(execute(connection, args.sql, views), form)
    except duckdb.Error as error:  # a mistyped query: DuckDB's message, no traceback
        print(f"harness.runtime.query: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
