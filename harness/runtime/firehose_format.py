"""What Firehose does to a buffered batch before writing it: the S3 prefix expressions of dynamic
partitioning, simple `MetadataExtraction` queries, and JSON -> Parquet with the Glue table's columns."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_EXPRESSION = re.compile(r"!\{([^:}]+):([^}]*)\}")
_TIMESTAMP_FORMAT = [("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]


def resolve_prefix(
    prefix: str, partition_keys: dict[str, str], arrival: dt.datetime, error_output_type: str | None = None
) -> str:
    """Evaluate `!{namespace:value}` expressions of an S3 prefix; raise KeyError for a missing key."""

    def substitute(match: re.Match) -> str:
        namespace, value = match.group(1), match.group(2)
        if namespace in ("partitionKeyFromQuery", "partitionKeyFromLambda"):
            return str(partition_keys[value])
        if namespace == "timestamp":
            pattern = value
            for java, python in _TIMESTAMP_FORMAT:
                pattern = pattern.replace(java, python)
            return arrival.strftime(pattern)
        if namespace == "firehose" and value == "random-string":
            return uuid.uuid4().hex[:11]
        if namespace == "firehose" and value == "error-output-type":
            return error_output_type or "processing-failed"
        raise KeyError(f"unsupported prefix expression {match.group(0)}")

    return _EXPRESSION.sub(substitute, prefix)


def default_prefix(arrival: dt.datetime) -> str:
    """Firehose's default when the prefix has no timestamp expression: YYYY/MM/dd/HH/."""
    return arrival.strftime("%Y/%m/%d/%H/")


def extract_query_keys(query: str, record: dict[str, Any]) -> dict[str, str]:
    """Supports the jq shape `{key: .path.to.field, ...}` that dynamic partitioning examples use."""
    body = query.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"unsupported MetadataExtractionQuery {query!r}")
    keys = {}
    for part in body[1:-1].split(","):
        name, _, path = part.partition(":")
        value: Any = record
        for step in path.strip().lstrip(".").split("."):
            value = value.get(step) if isinstance(value, dict) else None
        keys[name.strip().strip('"')] = "" if value is None else str(value)
    return keys


# -- Parquet --------------------------------------------------------------------------------------
_SCALARS = {
    "string": pa.string(),
    "varchar": pa.string(),
    "char": pa.string(),
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "binary": pa.binary(),
}


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current:
        parts.append(current)
    return [part.strip() for part in parts]


def hive_type(type_text: str) -> pa.DataType:
    text = type_text.strip().lower()
    if text.startswith("array<"):
        return pa.list_(hive_type(text[6:-1]))
    if text.startswith("map<"):
        key, value = _split_top_level(text[4:-1])
        return pa.map_(hive_type(key), hive_type(value))
    if text.startswith("struct<"):
        fields = []
        for part in _split_top_level(text[7:-1]):
            name, _, inner = part.partition(":")
            fields.append(pa.field(name.strip(), hive_type(inner)))
        return pa.struct(fields)
    if text.startswith("decimal"):
        return pa.float64()  # kept as double locally; the Glue column stays decimal
    if text.startswith(("varchar", "char")):
        return pa.string()
    return _SCALARS[text]


def glue_schema(columns: list[dict[str, str]]) -> pa.Schema:
    return pa.schema([pa.field(column["Name"], hive_type(column["Type"])) for column in columns])


def _coerce(value: Any, data_type: pa.DataType) -> Any:
    """Shape a JSON value like the OpenX JSON SerDe would for the column type (None if it cannot)."""
    if value is None:
        return None
    try:
        if pa.types.is_timestamp(data_type):
            if isinstance(value, (int, float)):
                return dt.datetime.fromtimestamp(value / 1000 if value > 1e11 else value, dt.UTC)
            return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if pa.types.is_date(data_type):
            return dt.date.fromisoformat(str(value)[:10])
        if pa.types.is_string(data_type):
            return value if isinstance(value, str) else json.dumps(value)
        if pa.types.is_boolean(data_type):
            return value if isinstance(value, bool) else str(value).lower() == "true"
        if pa.types.is_integer(data_type):
            return int(value)
        if pa.types.is_floating(data_type):
            return float(value)
        if pa.types.is_struct(data_type):
            return {field.name: _coerce(_lookup(value, field.name), field.type) for field in data_type}
        if pa.types.is_list(data_type):
            return [_coerce(item, data_type.value_type) for item in value]
        if pa.types.is_map(data_type):
            return [(str(k), _coerce(v, data_type.item_type)) for k, v in value.items()]
    except (TypeError, ValueError, AttributeError):
        return None
    return value


def _lookup(record: Any, name: str) -> Any:
    """Column names match JSON keys case-insensitively (the OpenX JSON SerDe default)."""
    if not isinstance(record, dict):
        return None
    if name in record:
        return record[name]
    lowered = name.lower()
    for key, value in record.items():
        if key.lower() == lowered:
            return value
    return None


def to_parquet(records: list[dict[str, Any]], schema: pa.Schema, compression: str = "snappy") -> bytes:
    columns = {field.name: [_coerce(_lookup(record, field.name), field.type) for record in records] for field in schema}
    table = pa.Table.from_pydict(columns, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=None if compression.upper() == "UNCOMPRESSED" else compression.lower())
    return sink.getvalue()
