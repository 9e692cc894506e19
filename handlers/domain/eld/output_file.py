"""The ELD output file (49 CFR 395 subpart B, Appendix A, section 4.8.2): pure text from records.

``build_output_file(report)`` returns the CSV text: the segments of 4.8.2.1.1-4.8.2.1.11 in order,
each under its title line, every data line ending with its line data check value and the file
ending with the file data check value (``check_values``; section 4.4.5). Lines end with <CR><LF>.

Formats (Appendix A section 7): dates ``MMDDYY`` (7.8), times ``HHMMSS`` (7.40), both in the home
terminal's time standard of ``report.time_zone`` whose offset the header carries (7.41); latitude and
longitude with 2 decimals (7.31, 7.33; "X", "M" or "E" pass through); vehicle miles whole miles (7.43),
engine hours one decimal (7.19); event sequence IDs hexadecimal (7.24). A field may not contain a
comma or a line break: such values raise ``EldOutputError`` rather than shifting the columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from .check_values import event_check_value, file_check_value, line_check_value

NEWLINE = "\r\n"

# Event type/code of a duty status (7.25, 7.20): type 1 duty status, type 3 PC/YM indication.
DUTY_STATUS_EVENTS = {"OFF": (1, 1), "SB": (1, 2), "D": (1, 3), "ON": (1, 4), "PC": (3, 1), "YM": (3, 2)}


class EldOutputError(ValueError):
    """A value cannot be written into the output file as given."""


@dataclass(frozen=True)
class Header:
    """The seven lines of the header segment (4.8.2.1.1)."""

    driver_last_name: str
    driver_first_name: str
    driver_username: str
    license_state: str
    license_number: str
    power_unit_number: str
    vin: str
    usdot_number: str
    carrier_name: str
    current_time: datetime
    eld_registration_id: str
    eld_identifier: str
    eld_authentication_value: str
    co_driver_last_name: str = ""
    co_driver_first_name: str = ""
    co_driver_username: str = ""
    trailer_numbers: str = ""
    multiday_basis: int = 8
    period_start_time: str = "000000"
    shipping_document: str = ""
    exempt_driver: str = "0"
    current_lat: str = ""
    current_lon: str = ""
    current_miles: float = 0
    current_engine_hours: float = 0
    output_comment: str = ""


@dataclass(frozen=True)
class User:
    order: int
    account_type: str  # "D" driver, "S" support personnel (7.4)
    last_name: str
    first_name: str


@dataclass(frozen=True)
class Cmv:
    order: int
    power_unit_number: str
    vin: str


@dataclass(frozen=True)
class Event:
    """A duty-status, intermediate or PC/YM event (4.8.2.1.4); ``username`` and ``power_unit_number`` feed
    its event data check value (4.4.5.1) without being columns of the event list."""

    sequence_id: int
    event_type: int
    event_code: int
    at: datetime
    username: str
    power_unit_number: str
    record_status: int = 1  # 1 active (7.23)
    record_origin: int = 2  # 1 automatic, 2 driver, 3 other user, 4 unidentified (7.22)
    miles: float = 0
    engine_hours: float = 0
    lat: str = ""
    lon: str = ""
    distance_since_valid: int = 0
    cmv_order: int = 1
    user_order: int = 1
    malfunction: str = "0"
    diagnostic: str = "0"


@dataclass(frozen=True)
class Annotation:
    sequence_id: int
    username: str
    text: str
    at: datetime
    location: str = ""


@dataclass(frozen=True)
class Certification:
    sequence_id: int
    at: datetime
    certified_date: datetime
    event_code: int = 1
    cmv_order: int = 1


@dataclass(frozen=True)
class Malfunction:
    sequence_id: int
    event_code: int  # 1/2 malfunction logged/cleared, 3/4 diagnostic logged/cleared (7.20)
    code: str  # 7.34, e.g. "P" power compliance, "1" power data diagnostic
    at: datetime
    miles: float = 0
    engine_hours: float = 0
    cmv_order: int = 1


@dataclass(frozen=True)
class Login:
    sequence_id: int
    event_code: int  # 1 login, 2 logout
    username: str
    at: datetime
    miles: float = 0
    engine_hours: float = 0


@dataclass(frozen=True)
class EnginePower:
    sequence_id: int
    event_code: int  # 1-4 power-up/shut-down, conventional or reduced precision
    at: datetime
    power_unit_number: str
    vin: str
    miles: float = 0
    engine_hours: float = 0
    lat: str = ""
    lon: str = ""
    trailer_numbers: str = ""
    shipping_document: str = ""


@dataclass
class EldReport:
    header: Header
    time_zone: str
    users: list[User] = field(default_factory=list)
    cmvs: list[Cmv] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)
    malfunctions: list[Malfunction] = field(default_factory=list)
    logins: list[Login] = field(default_factory=list)
    engine_power: list[EnginePower] = field(default_factory=list)
    unidentified: list[Event] = field(default_factory=list)


def build_output_file(report: EldReport) -> str:
    zone = ZoneInfo(report.time_zone)
    fmt = _Formats(zone)
    lines: list[str] = []
    checks: list[str] = []

    def title(text: str) -> None:
        lines.append(text)

    def data(*fields: object) -> None:
        body = ",".join(_field(value) for value in fields)
        check = line_check_value(body)
        checks.append(check)
        lines.append(f"{body},{check}")

    h = report.header
    title("ELD File Header Segment:")  # 4.8.2.1.1
    data(h.driver_last_name, h.driver_first_name, h.driver_username, h.license_state, h.license_number)
    data(h.co_driver_last_name, h.co_driver_first_name, h.co_driver_username)
    data(h.power_unit_number, h.vin, h.trailer_numbers)
    data(h.usdot_number, h.carrier_name, h.multiday_basis, h.period_start_time, fmt.offset(h.current_time))
    data(h.shipping_document, h.exempt_driver)
    data(
        fmt.date(h.current_time),
        fmt.time(h.current_time),
        h.current_lat,
        h.current_lon,
        fmt.miles(h.current_miles),
        fmt.hours(h.current_engine_hours),
    )
    data(h.eld_registration_id, h.eld_identifier, h.eld_authentication_value, h.output_comment)
    title("User List:")  # 4.8.2.1.2
    for user in report.users:
        data(user.order, user.account_type, user.last_name, user.first_name)
    title("CMV List:")  # 4.8.2.1.3
    for cmv in report.cmvs:
        data(cmv.order, cmv.power_unit_number, cmv.vin)
    title("ELD Event List:")  # 4.8.2.1.4
    for event in report.events:
        data(
            *_event_fields(event, fmt)[:13],
            event.user_order,
            event.malfunction,
            event.diagnostic,
            _event_check(event, fmt),
        )
    title("ELD Event Annotations or Comments:")  # 4.8.2.1.5
    for note in report.annotations:
        data(
            fmt.sequence(note.sequence_id),
            note.username,
            note.text,
            fmt.date(note.at),
            fmt.time(note.at),
            note.location,
        )
    title("Driver's Certification/Recertification Actions:")  # 4.8.2.1.6
    for cert in report.certifications:
        data(
            fmt.sequence(cert.sequence_id),
            cert.event_code,
            fmt.date(cert.at),
            fmt.time(cert.at),
            fmt.date(cert.certified_date),
            cert.cmv_order,
        )
    title("Malfunctions and Data Diagnostic Events:")  # 4.8.2.1.7
    for item in report.malfunctions:
        data(
            fmt.sequence(item.sequence_id),
            item.event_code,
            item.code,
            fmt.date(item.at),
            fmt.time(item.at),
            fmt.miles(item.miles),
            fmt.hours(item.engine_hours),
            item.cmv_order,
        )
    title("ELD Login/Logout Report:")  # 4.8.2.1.8
    for login in report.logins:
        data(
            fmt.sequence(login.sequence_id),
            login.event_code,
            login.username,
            fmt.date(login.at),
            fmt.time(login.at),
            fmt.miles(login.miles),
            fmt.hours(login.engine_hours),
        )
    title("CMV Engine Power-Up and Shut Down Activity:")  # 4.8.2.1.9
    for power in report.engine_power:
        data(
            fmt.sequence(power.sequence_id),
            power.event_code,
            fmt.date(power.at),
            fmt.time(power.at),
            fmt.miles(power.miles),
            fmt.hours(power.engine_hours),
            power.lat,
            power.lon,
            power.power_unit_number,
            power.vin,
            power.trailer_numbers,
            power.shipping_document,
        )
    title("Unidentified Driver Profile Records:")  # 4.8.2.1.10
    for event in report.unidentified:
        data(*_event_fields(event, fmt)[:13], event.malfunction, _event_check(event, fmt))
    title("End of File:")  # 4.8.2.1.11
    lines.append(file_check_value(checks))
    return NEWLINE.join(lines) + NEWLINE


def _event_fields(event: Event, fmt: _Formats) -> list[object]:
    return [
        fmt.sequence(event.sequence_id),
        event.record_status,
        event.record_origin,
        event.event_type,
        event.event_code,
        fmt.date(event.at),
        fmt.time(event.at),
        fmt.miles(event.miles),
        fmt.hours(event.engine_hours),
        event.lat,
        event.lon,
        event.distance_since_valid,
        event.cmv_order,
    ]


def _event_check(event: Event, fmt: _Formats) -> str:
    # 4.4.5.1 (b): event type, code, date, time, miles, engine hours, lat, lon, power unit, username.
    return event_check_value(
        [
            str(event.event_type),
            str(event.event_code),
            fmt.date(event.at),
            fmt.time(event.at),
            fmt.miles(event.miles),
            fmt.hours(event.engine_hours),
            event.lat,
            event.lon,
            event.power_unit_number,
            event.username,
        ]
    )


def _field(value: object) -> str:
    text = "" if value is None else str(value)
    if any(char in text for char in ",\r\n"):
        raise EldOutputError(f"an ELD output field may not contain a comma or line break: {text!r}")
    return text


class _Formats:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise EldOutputError(f"timestamp needs a UTC offset: {moment!r}")
        return moment.astimezone(self.zone)

    def date(self, moment: datetime) -> str:
        return self._local(moment).strftime("%m%d%y")

    def time(self, moment: datetime) -> str:
        return self._local(moment).strftime("%H%M%S")

    def offset(self, moment: datetime) -> str:
        # 7.41: hours behind UTC at the home terminal, two digits (05 for CDT).
        offset = self._local(moment).utcoffset()
        return f"{abs(int(offset.total_seconds())) // 3600:02d}" if offset is not None else "00"

    @staticmethod
    def miles(value: float) -> str:
        return str(int(round(value)))

    @staticmethod
    def hours(value: float) -> str:
        return f"{value:.1f}"

    @staticmethod
    def sequence(value: int) -> str:
        if not 0 <= value <= 0xFFFF:
            raise EldOutputError(f"event sequence ID must be 0-FFFF; got {value}")
        return f"{value:X}"
