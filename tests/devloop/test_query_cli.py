"""`make query`: CSV and JSON output, an interactive prompt, and a bad query's error without a
traceback (exit 2). DuckDB is the real one; only the lake's views are left out (no stack needed)."""

from __future__ import annotations

import io
import json

import duckdb
import pytest

from harness.runtime import query


@pytest.fixture
def lake(monkeypatch):
    connection = duckdb.connect()
    connection.execute("CREATE TABLE fuel AS SELECT * FROM (VALUES ('VH-1', 7.5), ('VH-2', NULL)) t(vehicle_id, mpg)")
    monkeypatch.setattr(query, "connect", lambda endpoint, region, mirror: (connection, ["lake.fuel"]))
    monkeypatch.setattr(query, "resolve_endpoint", lambda state_dir, endpoint: ("http://127.0.0.1:1", "us-east-1"))
    return connection


def test_csv_and_json_output(lake, capsys):
    assert query.main(["--csv", "SELECT * FROM fuel ORDER BY vehicle_id"]) == 0
    assert capsys.readouterr().out == "vehicle_id,mpg\nVH-1,7.5\nVH-2,\n"
    assert query.main(["--json", "SELECT * FROM fuel ORDER BY vehicle_id"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"vehicle_id": "VH-1", "mpg": "7.5"}, {"vehicle_id": "VH-2", "mpg": None}] or rows == [
        {"vehicle_id": "VH-1", "mpg": 7.5},
        {"vehicle_id": "VH-2", "mpg": None},
    ]


def test_a_bad_query_prints_duckdbs_error_and_exits_2(lake, capsys):
    assert query.main(["SELEC * FROM fuel"]) == 2
    err = capsys.readouterr().err
    assert "syntax error" in err.lower() and "Traceback" not in err
    assert query.main(["SELECT nope FROM fuel"]) == 2
    assert "nope" in capsys.readouterr().err


def test_the_prompt_runs_statements_and_survives_errors(lake, capsys):
    lines = iter(
        [".tables\n", "SELECT count(*) AS n\n", "FROM fuel;\n", "SELECT bad;\n", "SELECT 1 AS one;\n", ".quit\n"]
    )
    failed = query.shell(lake, ["lake.fuel"], "csv", lines)
    out, err = capsys.readouterr()
    assert failed == 1
    assert out == "lake.fuel\nn\n2\none\n1\n"
    assert "error:" in err


def test_no_stack_is_exit_3(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLEETTAP_STATE_DIR", str(tmp_path))
    assert query.main(["--endpoint", "http://127.0.0.1:9", "SELECT 1"]) == 3
    assert "not reachable" in capsys.readouterr().err


def test_table_output_unchanged():
    out = io.StringIO()
    query._print(query.QueryResult(["a", "bb"], [(1, "x")], []), out=out)
    assert out.getvalue() == "a | bb\n--+---\n1 | x \n"
