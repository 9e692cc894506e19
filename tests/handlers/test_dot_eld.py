"""The DOT report's report_driver step writes each driver's ELD output file of the last 8 days
(eld/<date>/<driver_id>.csv, Appendix A to subpart B of part 395, 4.8.2); every check value in it is
recomputed with the independent implementation of 4.4.5 in tests/unit/domain/eld/eld_spec.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from handlers import dot_reporting, hos_processor
from tests.handlers.handler_events import kinesis_event
from tests.handlers.handler_factories import hos, unique_driver, unique_fleet
from tests.unit.domain.eld.eld_spec import check_file

ZONE = ZoneInfo("America/Chicago")


def _at(day: dt.date, hh: int, mm: int = 0) -> int:
    return int(dt.datetime.combine(day, dt.time(hh, mm), ZONE).timestamp() * 1000)


def _rows(text: str, title: str) -> list[list[str]]:
    lines = text.split("\r\n")
    start = lines.index(title) + 1
    end = next(i for i in range(start, len(lines)) if lines[i].endswith(":"))
    return [line.split(",") for line in lines[start:end]]


def test_report_driver_writes_the_eld_output_file_of_the_last_8_days(make_ctx):
    make_ctx("hos")
    fleet, driver = unique_fleet(), unique_driver()
    day = dt.datetime.now(ZONE).date() - dt.timedelta(days=2)
    before = day - dt.timedelta(days=1)
    records = [
        hos(driver, "OFF", _at(before, 6), fleet_id=fleet, vehicle_id="VH-000201"),
        hos(driver, "ON", _at(before, 7), fleet_id=fleet, vehicle_id="VH-000201"),
        hos(driver, "D", _at(before, 7, 15), fleet_id=fleet, vehicle_id="VH-000201", odometer_km=250100.0),
        hos(driver, "OFF", _at(before, 15), fleet_id=fleet, vehicle_id="VH-000201", odometer_km=250700.0),
        hos(driver, "YM", _at(day, 6), fleet_id=fleet, vehicle_id="VH-000202"),
        hos(driver, "D", _at(day, 6, 20), fleet_id=fleet, vehicle_id="VH-000202"),
        hos(driver, "ON", _at(day, 12), fleet_id=fleet, vehicle_id="VH-000202"),
        {
            **hos(driver, "OFF", _at(day, 12), fleet_id=fleet, vehicle_id="VH-000202"),
            "origin": "edit",
            "annotation": "lunch, not on duty",
        },
        hos(driver, "PC", _at(day, 18), fleet_id=fleet, vehicle_id="VH-000202"),
    ]
    assert hos_processor.handler(kinesis_event(records, stream="hos"), None) == {"batchItemFailures": []}
    ctx = make_ctx("dot_report")
    ctx.sql(
        "INSERT INTO drivers (driver_id, fleet_id, name, home_time_zone) VALUES (%s, %s, %s, %s)",
        (driver, fleet, "Ada Lovelace", "America/Chicago"),
    )
    gathered = dot_reporting.handler({"step": "gather", "report_date": day.isoformat(), "driver_ids": [driver]})
    assert gathered["count"] == 1
    state = dot_reporting.handler({"step": "report_driver", "report_date": day.isoformat(), "driver_id": driver})
    key = f"eld/{day.isoformat()}/{driver}.csv"
    assert state["eld_key"] == key
    text = ctx.s3.get_object(Bucket=ctx.env["REPORTS_BUCKET"], Key=key)["Body"].read().decode("ascii")

    assert check_file(text, driver, {"VH-000201", "VH-000202"}) > 10
    header = _rows(text, "ELD File Header Segment:")
    assert header[0][:3] == ["Lovelace", "Ada", driver] and header[3][2:4] == ["8", "000000"]
    assert [row[1:3] for row in _rows(text, "CMV List:")] == [
        ["VH-000201", records[0]["vin"]],
        ["VH-000202", records[4]["vin"]],
    ]
    events = _rows(text, "ELD Event List:")
    # (record status, origin, type, code, CMV order): the ON replaced by the edit stays, inactive-changed
    assert [(e[1], e[2], e[3], e[4], e[12]) for e in events] == [
        ("1", "2", "1", "1", "1"),
        ("1", "2", "1", "4", "1"),
        ("1", "2", "1", "3", "1"),
        ("1", "2", "1", "1", "1"),
        ("1", "2", "3", "2", "2"),
        ("1", "2", "1", "3", "2"),
        ("2", "2", "1", "4", "2"),
        ("1", "2", "1", "1", "2"),
        ("1", "2", "3", "1", "2"),
    ]
    assert events[2][7] == str(round(250100 / 1.609344))  # miles from the odometer
    assert [(n[1], n[2]) for n in _rows(text, "ELD Event Annotations or Comments:")] == [(driver, "lunch; not on duty")]

    again = dot_reporting.handler(  # a retry writes the same bytes
        {"step": "report_driver", "report_date": day.isoformat(), "driver_id": driver}
    )
    assert again["eld_key"] == key
    assert ctx.s3.get_object(Bucket=ctx.env["REPORTS_BUCKET"], Key=key)["Body"].read().decode("ascii") == text


def test_the_report_evaluates_each_driver_under_the_rule_set_of_the_drivers_table(make_ctx):
    make_ctx("hos")
    fleet, driver = unique_fleet(), unique_driver()
    day = dt.datetime.now(ZONE).date() - dt.timedelta(days=2)
    texas = {"ruleset": "us-texas-intrastate", "cycle": "70/7"}
    hos_processor.handler(
        kinesis_event(
            [  # 11.5 h of driving: legal in Texas (37 TAC 4.12), not federally
                {**hos(driver, "OFF", _at(day, 0, 30), fleet_id=fleet), **texas},
                {**hos(driver, "D", _at(day, 6), fleet_id=fleet), **texas},
                {**hos(driver, "OFF", _at(day, 17, 30), fleet_id=fleet), **texas},
            ],
            stream="hos",
        ),
        None,
    )
    ctx = make_ctx("dot_report")
    ctx.sql(
        "INSERT INTO drivers (driver_id, fleet_id, name, home_time_zone, ruleset, cycle) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (driver, fleet, "Tex Ranger", "America/Chicago", *texas.values()),
    )
    dot_reporting.handler({"step": "gather", "report_date": day.isoformat(), "driver_ids": [driver]})
    state = dot_reporting.handler({"step": "report_driver", "report_date": day.isoformat(), "driver_id": driver})
    assert (state["status"], state["violation_rules"]) == ("compliant", [])
