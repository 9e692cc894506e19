"""File, stdout and null sinks, and replay of what they recorded."""

import io
import sys

import orjson

from sim.config import SimConfig
from sim.fleet import Fleet
from sim.pacing import paced, pump
from sim.replay import batches_from, read_records
from sim.sinks import JsonLinesSink, NullSink, ParquetSink, StdoutSink, open_sink
from sim.sinks.kinesis import chunks
from tests.sim.sim_records_support import BUSY_START


def _fleet():
    return Fleet.build(SimConfig(vehicles=20, duration_s=600, start=BUSY_START), seed=8)


def _all(fleet):
    return [
        (kind, key, data) for batch in fleet.batches() for kind, items in batch.records.items() for key, data in items
    ]


def test_jsonl_and_parquet_files_replay_byte_for_byte(tmp_path):
    expected = _all(_fleet())
    for sink in (
        JsonLinesSink(tmp_path / "run.jsonl"),
        JsonLinesSink(tmp_path / "run.jsonl.gz"),
        ParquetSink(tmp_path / "run.parquet"),
    ):
        with sink:
            pump(_fleet().batches(), sink)
        assert sink.stats.records == len(expected)
        replayed = [(kind, key, data) for _, kind, key, data in read_records(sink.path)]
        assert sorted(replayed) == sorted(expected)
        if sink.path.suffix == ".parquet":  # parquet keeps the generation order too
            assert replayed == expected


def test_replay_batches_route_records_by_kind(tmp_path):
    path = tmp_path / "run.jsonl"
    with JsonLinesSink(path) as sink:
        pump(_fleet().batches(), sink)
    null = NullSink()
    for batch in batches_from(read_records(path), batch_size=700):
        assert batch.count <= 700
        null.send(batch)
    assert null.stats.records == sink.stats.records
    assert null.stats.by_kind == sink.stats.by_kind


def test_stdout_sink_writes_json_lines(monkeypatch):
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    sink = open_sink("stdout")
    assert isinstance(sink, StdoutSink)
    with sink:
        pump(_fleet().batches(60), sink)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == sink.stats.records > 0
    assert all(orjson.loads(line)["schema"] == "fleettap.telemetry/1" for line in lines)


def test_chunks_respect_record_and_byte_limits():
    items = [(f"VH-{i:06d}", b"x" * 300) for i in range(1234)]
    sizes = [len(chunk) for chunk in chunks(items)]
    assert sizes == [500, 500, 234]
    big = [("VH-000001", b"y" * (1024 * 1024)) for _ in range(12)]
    byte_chunks = list(chunks(big))
    assert [len(c) for c in byte_chunks] == [4, 4, 4]
    assert all(sum(len(k) + len(d) for k, d in c) <= 5 * 1024 * 1024 for c in byte_chunks)
    assert [item for chunk in chunks(items) for item in chunk] == items


def test_pacing_follows_the_real_time_factor():
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    class Tick:
        def __init__(self, t):
            self.t = t

    list(paced([Tick(t) for t in range(0, 100, 10)], 5.0, clock=lambda: now[0], sleep=sleep))
    assert now[0] == 18.0  # 90 simulated seconds at 5x
    assert list(paced([Tick(0), Tick(1000)], None, clock=lambda: 0.0, sleep=sleep)) != []
    assert len(sleeps) == 9


def test_replay_command_sends_a_recorded_file(tmp_path, capsys):
    from sim.replay import main

    path = tmp_path / "run.parquet"
    with ParquetSink(path) as sink:
        pump(_fleet().batches(), sink)
    assert main([str(path), "--sink", "null"]) == 0
    summary = capsys.readouterr().err
    assert f"replayed {sink.stats.records} records" in summary
    assert f"gps {sink.stats.by_kind['gps']}" in summary
