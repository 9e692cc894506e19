"""The ELD output file of a driver's last 8 days, written by the DOT report's `upload` step (not a Lambda).

`write_eld_file(report_date, driver_id, doc)` reads the driver's duty-status log of the report day and
the 7 days before it (home-terminal days, 49 CFR 395.8(k)(1); the header's multiday basis is 8) from
driver_logs and writes the file of Appendix A to subpart B of part 395, section 4.8.2
(handlers.domain.eld) to `eld/<report_date>/<driver_id>.csv` in the reports bucket, next to the PDF.
`doc` is the gathered report document (driver name, fleet, home-terminal zone). The file depends only
on the stored log and the report day (the header's "current" time is the end of the report day), so
a retried step writes the same bytes.

Mapping: username = driver_id; carrier = fleet_id (this system keeps no USDOT number: left empty);
power unit = vehicle_id; miles from the odometer (km); engine hours are not recorded (0.0); an edit
that replaced a recorded event lists the replaced one as inactive-changed (record status 2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

from handlers.common.aws import client
from handlers.common.config import get_config
from handlers.common.driver_logs import read_log
from handlers.domain import eld
from handlers.domain.hos.report_day import day_bounds

ELD_DAYS = 8
KM_PER_MILE = 1.609344
ELD_REGISTRATION_ID = "FTAP"  # 7.29: 4 characters
ELD_IDENTIFIER = "FTAP01"  # 7.15: 6 characters


def eld_key(report_date: str, driver_id: str) -> str:
    return f"eld/{report_date}/{driver_id}.csv"


def _instant(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _entries(items: list[dict]) -> list[dict]:
    """The log as duty_status_rows reads it; an edit's replaced event comes back as the original."""
    out = []
    for item in items:
        entry = {"status": item["status"], "at": _instant(item["event_time"])}
        if item.get("lat") is not None and item.get("lon") is not None:
            entry["lat"], entry["lon"] = float(item["lat"]), float(item["lon"])
        if item.get("replaced_status"):
            out.append({**entry, "status": item["replaced_status"], "origin": "driver"})
        for key in ("origin", "annotation"):
            if item.get(key):
                entry[key] = item[key]
        out.append(entry)
    return out


def build(report_date: str, driver_id: str, doc: dict, items: list[dict]) -> str:
    zone = doc["time_zone"]
    _, end = day_bounds(dt.date.fromisoformat(report_date), zone)
    vehicles: dict[str, str] = {}
    for item in items:
        if item.get("vehicle_id"):
            vehicles.setdefault(item["vehicle_id"], item.get("vin") or "")
    cmvs = [eld.Cmv(order, unit, vin) for order, (unit, vin) in enumerate(vehicles.items(), start=1)]
    order_of = {cmv.power_unit_number: cmv.order for cmv in cmvs}
    by_ms = {item["event_time"]: item for item in items}
    first_unit = cmvs[0].power_unit_number if cmvs else ""
    events, notes = eld.duty_status_rows(_entries(items), username=driver_id, power_unit_number=first_unit)
    rows = []
    for event in events:
        item = by_ms.get(int(event.at.timestamp() * 1000), {})
        unit = item.get("vehicle_id") or first_unit
        miles = float(item["odometer_km"]) / KM_PER_MILE if item.get("odometer_km") is not None else 0.0
        rows.append(replace(event, power_unit_number=unit, cmv_order=order_of.get(unit, 1), miles=miles))
    last = items[-1] if items else {}
    first_name, _, last_name = (doc.get("driver_name") or driver_id).partition(" ")
    header = eld.Header(
        driver_last_name=last_name or first_name,
        driver_first_name=first_name if last_name else "",
        driver_username=driver_id,
        license_state="",
        license_number="",
        power_unit_number=last.get("vehicle_id") or first_unit,
        vin=vehicles.get(last.get("vehicle_id"), ""),
        usdot_number="",
        carrier_name=doc.get("fleet_id") or "",
        current_time=end,
        eld_registration_id=ELD_REGISTRATION_ID,
        eld_identifier=ELD_IDENTIFIER,
        eld_authentication_value=hashlib.sha256(f"{driver_id}|{report_date}".encode()).hexdigest()[:16].upper(),
        multiday_basis=ELD_DAYS,
        current_lat=rows[-1].lat if rows else "",
        current_lon=rows[-1].lon if rows else "",
        current_miles=rows[-1].miles if rows else 0,
    )
    report = eld.EldReport(
        header=header,
        time_zone=zone,
        users=[eld.User(1, "D", header.driver_last_name, header.driver_first_name)],
        cmvs=cmvs,
        events=rows,
        annotations=notes,
    )
    return eld.build_output_file(report)


def write_eld_file(report_date: str, driver_id: str, doc: dict) -> str:
    """Write the driver's ELD output file; returns its key."""
    zone = doc["time_zone"]
    day = dt.date.fromisoformat(report_date)
    start, _ = day_bounds(day - dt.timedelta(days=ELD_DAYS - 1), zone)
    _, end = day_bounds(day, zone)
    items = read_log(driver_id, int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    key = eld_key(report_date, driver_id)
    client("s3").put_object(
        Bucket=get_config().require("reports_bucket"),
        Key=key,
        Body=build(report_date, driver_id, doc, items).encode("ascii", "replace"),
        ContentType="text/csv",
        ChecksumAlgorithm="SHA256",
    )
    return key
