"""Prefix expressions and the Glue-typed Parquet conversion."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.runtime.firehose_format import extract_query_keys, glue_schema, hive_type, resolve_prefix, to_parquet

WHEN = dt.datetime(2026, 11, 25, 9, 5, tzinfo=dt.UTC)


def test_prefix_expressions():
    prefix = "diagnostics/fleet=!{partitionKeyFromQuery:fleet}/!{timestamp:yyyy/MM/dd/HH}/"
    assert resolve_prefix(prefix, {"fleet": "FL-001"}, WHEN) == "diagnostics/fleet=FL-001/2026/11/25/09/"
    with pytest.raises(KeyError):
        resolve_prefix(prefix, {}, WHEN)


def test_metadata_extraction_query():
    assert extract_query_keys("{fleet: .fleet_id, kind: .meta.kind}", {"fleet_id": "FL-1", "meta": {"kind": "d"}}) == {
        "fleet": "FL-1",
        "kind": "d",
    }


def test_hive_types():
    assert hive_type("array<struct<code:string,spn:int>>") == pa.list_(
        pa.struct([("code", pa.string()), ("spn", pa.int32())])
    )
    assert hive_type("map<string,double>") == pa.map_(pa.string(), pa.float64())


def test_parquet_follows_the_glue_columns_case_insensitively():
    schema = glue_schema(
        [
            {"Name": "vehicle_id", "Type": "string"},
            {"Name": "rpm", "Type": "int"},
            {"Name": "ts", "Type": "timestamp"},
            {"Name": "missing", "Type": "double"},
        ]
    )
    data = to_parquet([{"Vehicle_ID": "VH-1", "rpm": "1500", "ts": "2026-11-25T09:00:00.000Z", "extra": 1}], schema)
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.names == ["vehicle_id", "rpm", "ts", "missing"]
    row = table.to_pylist()[0]
    assert row["vehicle_id"] == "VH-1" and row["rpm"] == 1500 and row["missing"] is None
    assert row["ts"] == dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
