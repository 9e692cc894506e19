"""firehose_transformer: Firehose transformation records -> Ok/ProcessingFailed/Dropped."""

from __future__ import annotations

import base64
import json

from handlers import firehose_transformer
from tests.handlers.handler_events import firehose_event
from tests.handlers.handler_factories import diagnostics, gps, now_ms, unique_vehicle


def test_transform_flattens_partitions_and_flags_bad_records():
    vid = unique_vehicle()
    ts = now_ms() - 86_400_000
    good = diagnostics(
        vid, ts, vehicle_type="reefer", dtcs=[{"code": "P0217"}, {"spn": 110, "fmi": 0, "oc": 2}], battery_v=None
    )
    event = firehose_event([good, b"\x00garbage", gps(vid, 41.0, -87.0)])
    out = firehose_transformer.handler(event, None)["records"]
    assert [r["recordId"] for r in out] == [r["recordId"] for r in event["records"]]
    assert [r["result"] for r in out] == ["Ok", "ProcessingFailed", "Dropped"]
    row = json.loads(base64.b64decode(out[0]["data"]))
    assert out[0]["metadata"]["partitionKeys"] == {"date": good["ts"][:10], "vehicle_type": "reefer"}
    assert row["vehicle_id"] == vid and row["ts_ms"] == ts and row["coolant_temp_c"] == 88.0
    assert row["battery_v"] is None and row["dtc_codes"] == ["P0217", "spn110:fmi0"] and row["dtc_count"] == 2
    assert "signals" not in row
    assert out[1]["data"] == event["records"][1]["data"]


def test_transform_is_deterministic_for_redelivered_records():
    event = firehose_event([diagnostics(unique_vehicle(), now_ms() - 1000) for _ in range(5)])
    assert firehose_transformer.handler(event, None) == firehose_transformer.handler(event, None)
