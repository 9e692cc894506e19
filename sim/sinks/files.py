"""File sinks. Both keep each record's partition key, so `python -m sim.replay FILE` can send a
recorded run to Kinesis exactly as it was generated.

JSON Lines: one record per line, exactly the bytes that would go to Kinesis (the partition key is
the record's vehicle_id). Parquet: columns kind, partition_key, ts, data (the record bytes).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sim.sinks.base import Sink

PARQUET_SCHEMA = pa.schema(
    [("kind", pa.string()), ("partition_key", pa.string()), ("t", pa.int64()), ("data", pa.binary())]
)
PARQUET_ROW_GROUP = 200_000


class JsonLinesSink(Sink):
    def __init__(self, path: str | Path) -> None:
        super().__init__()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = gzip.open(path, "wb") if path.suffix == ".gz" else open(path, "wb", buffering=1 << 20)

    def send(self, batch) -> None:
        write = self._file.write
        for kind, items in batch.records.items():
            if items:
                self.stats.count(kind, items)
                write(b"\n".join(data for _, data in items) + b"\n")

    def close(self) -> None:
        self._file.close()


class StdoutSink(JsonLinesSink):
    def __init__(self) -> None:
        Sink.__init__(self)
        self._file = sys.stdout.buffer

    def close(self) -> None:
        self._file.flush()


class ParquetSink(Sink):
    def __init__(self, path: str | Path) -> None:
        super().__init__()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._writer = pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd")
        self._columns: dict[str, list] = {name: [] for name in PARQUET_SCHEMA.names}

    def send(self, batch) -> None:
        columns = self._columns
        for kind, items in batch.records.items():
            if not items:
                continue
            self.stats.count(kind, items)
            columns["kind"].extend([kind] * len(items))
            columns["t"].extend([batch.t] * len(items))
            columns["partition_key"].extend(key for key, _ in items)
            columns["data"].extend(data for _, data in items)
        if len(columns["data"]) >= PARQUET_ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._columns["data"]:
            self._writer.write_table(pa.table(self._columns, schema=PARQUET_SCHEMA))
            self._columns = {name: [] for name in PARQUET_SCHEMA.names}

    def close(self) -> None:
        self._flush()
        self._writer.close()
