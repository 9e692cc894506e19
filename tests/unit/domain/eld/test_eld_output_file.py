"""The ELD output file (49 CFR 395 subpart B, Appendix A, 4.8.2), its every check value recomputed by an
implementation written here from the text of section 4.4.5, independently of handlers/domain/eld."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.domain.eld import (
    Annotation,
    Certification,
    Cmv,
    EldOutputError,
    EldReport,
    EnginePower,
    Event,
    Header,
    Login,
    Malfunction,
    User,
    build_output_file,
    duty_status_rows,
    file_check_value,
    line_check_value,
)
from tests.unit.domain.eld.eld_spec import spec_event_check, spec_file_check, spec_line_check

# --- A report of one driver's day --------------------------------------------------------------------------
CDT = "America/Chicago"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def report() -> EldReport:
    header = Header(
        driver_last_name="Kowalczyk",
        driver_first_name="Nora",
        driver_username="nkowal",
        license_state="IL",
        license_number="K12345678",
        power_unit_number="PU-1187",
        vin="1FUJGLDR5CLBP8834",
        usdot_number="1234567",
        carrier_name="FLEETTAP FREIGHT LLC",
        current_time=at("2024-04-03T01:00:00"),
        eld_registration_id="FT01",
        eld_identifier="FT0001",
        eld_authentication_value="A1B2C3D4E5F6",
        current_lat="41.88",
        current_lon="-87.63",
        current_miles=120345,
        current_engine_hours=8812.4,
    )
    common = {"username": "nkowal", "power_unit_number": "PU-1187", "lat": "41.88", "lon": "-87.63"}
    return EldReport(
        header=header,
        time_zone=CDT,
        users=[User(1, "D", "Kowalczyk", "Nora")],
        cmvs=[Cmv(1, "PU-1187", "1FUJGLDR5CLBP8834")],
        events=[
            Event(1, 1, 4, at("2024-04-02T11:00:00"), miles=120000, engine_hours=8800.0, **common),
            Event(2, 1, 3, at("2024-04-02T11:30:00"), miles=120001, engine_hours=8800.5, **common),
            Event(3, 3, 2, at("2024-04-02T20:00:00"), miles=120340, engine_hours=8810.0, **common),
            Event(4, 1, 1, at("2024-04-02T21:00:00"), miles=120345, engine_hours=8811.0, record_status=2, **common),
        ],
        annotations=[Annotation(4, "nkowal", "waited at the yard gate", at("2024-04-02T21:05:00"), "Joliet IL")],
        certifications=[Certification(5, at("2024-04-03T00:30:00"), at("2024-04-02T12:00:00"))],
        malfunctions=[Malfunction(6, 3, "1", at("2024-04-02T15:00:00"), 120150, 8804.2)],
        logins=[Login(7, 1, "nkowal", at("2024-04-02T10:55:00"), 120000, 8800.0)],
        engine_power=[
            EnginePower(
                8, 1, at("2024-04-02T10:58:00"), "PU-1187", "1FUJGLDR5CLBP8834", 120000, 8800.0, "41.88", "-87.63"
            )
        ],
        unidentified=[
            Event(
                9,
                1,
                3,
                at("2024-04-02T08:00:00"),
                username="",
                power_unit_number="PU-1187",
                record_origin=4,
                miles=119990,
                engine_hours=8799.5,
                lat="41.87",
                lon="-87.62",
            )
        ],
    )


TITLES = [
    "ELD File Header Segment:",
    "User List:",
    "CMV List:",
    "ELD Event List:",
    "ELD Event Annotations or Comments:",
    "Driver's Certification/Recertification Actions:",
    "Malfunctions and Data Diagnostic Events:",
    "ELD Login/Logout Report:",
    "CMV Engine Power-Up and Shut Down Activity:",
    "Unidentified Driver Profile Records:",
    "End of File:",
]


def sections(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = None
    for line in text.split("\r\n")[:-1]:
        if line in TITLES:
            current = line
            found[current] = []
        else:
            found[current].append(line)
    return found


class TestCheckValuesFromTheSpecification:
    def test_every_line_and_the_file_check_value(self):
        text = build_output_file(report())
        assert text.endswith("\r\n")
        parts = sections(text)
        assert list(parts) == TITLES  # 4.8.2.1.1-4.8.2.1.11, in that order
        line_checks = []
        for title, lines in parts.items():
            if title == "End of File:":
                continue
            for line in lines:
                body, check = line.rsplit(",", 1)
                assert check == spec_line_check(body), line
                line_checks.append(check)
        assert len(line_checks) == 7 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + 1 + 1
        assert parts["End of File:"] == [spec_file_check(line_checks)]

    def test_event_data_check_values(self):
        parts = sections(build_output_file(report()))
        for title, username in (("ELD Event List:", "nkowal"), ("Unidentified Driver Profile Records:", "")):
            for line in parts[title]:
                fields = line.split(",")
                event_type, code, date, time, miles, hours, lat, lon = fields[3:11]
                expected = spec_event_check([event_type, code, date, time, miles, hours, lat, lon, "PU-1187", username])
                assert fields[-2] == expected, line

    def test_hand_worked_values(self):
        # "A" is 17 = 00010001; rotated three times 10001000 (0x88); XOR 96 gives 1E.
        assert line_check_value("A") == spec_line_check("A") == "1E"
        # The file sum 0x001E: bytes 00 and 1E rotate to 00 and F0; 00F0 XOR 969C is 966C.
        assert file_check_value(["1E"]) == spec_file_check(["1E"]) == "966C"

    def test_a_changed_character_changes_the_check_value(self):
        text = build_output_file(report())
        tampered = text.replace("Kowalczyk,Nora", "Kowalczyk,Norb", 1)
        line = sections(tampered)["ELD File Header Segment:"][0]
        body, check = line.rsplit(",", 1)
        assert spec_line_check(body) != check


class TestLayout:
    def test_header_lines_and_formats(self):
        header = sections(build_output_file(report()))["ELD File Header Segment:"]
        assert header[0].startswith("Kowalczyk,Nora,nkowal,IL,K12345678,")
        assert header[3].startswith("1234567,FLEETTAP FREIGHT LLC,8,000000,05,")  # CDT is UTC-5 (7.41)
        assert header[5].startswith("040224,200000,41.88,-87.63,120345,8812.4,")  # home-terminal date/time

    def test_event_row_columns(self):
        events = sections(build_output_file(report()))["ELD Event List:"]
        assert events[1].split(",")[:13] == [
            "2",
            "1",
            "2",
            "1",
            "3",
            "040224",
            "063000",
            "120001",
            "8800.5",
            "41.88",
            "-87.63",
            "0",
            "1",
        ]
        assert len(events[1].split(",")) == 18  # 17 columns of 4.8.2.1.4 and the line check value

    def test_commas_in_values_are_refused(self):
        broken = report()
        broken.users[0] = User(1, "D", "Kowalczyk, Jr", "Nora")
        with pytest.raises(EldOutputError, match="comma"):
            build_output_file(broken)


class TestFromAnHosLog:
    LOG = [
        {"status": "ON", "at": "2024-04-02T06:00:00-05:00", "lat": 41.8781, "lon": -87.6298, "origin": "auto"},
        {"status": "D", "at": "2024-04-02T06:30:00-05:00", "origin": "auto"},
        {"status": "OFF", "at": "2024-04-02T15:00:00-05:00", "lat": 41.52, "lon": -88.08},
        {"status": "ON", "at": "2024-04-02T15:00:00-05:00", "origin": "edit", "annotation": "unloading, not rest"},
        {"status": "PC", "at": "2024-04-02T17:00:00-05:00"},
    ]

    def test_rows_statuses_origins_and_the_edit(self):
        events, notes = duty_status_rows(self.LOG, username="nkowal", power_unit_number="PU-1187", first_sequence_id=16)
        assert [(e.event_type, e.event_code, e.record_origin, e.record_status) for e in events] == [
            (1, 4, 1, 1),
            (1, 3, 1, 1),
            (1, 1, 2, 2),
            (1, 4, 2, 1),
            (3, 1, 2, 1),
        ]
        assert [e.sequence_id for e in events] == [16, 17, 18, 19, 20]
        assert (events[0].lat, events[0].lon, events[1].lat) == ("41.88", "-87.63", "X")
        assert [(n.sequence_id, n.text) for n in notes] == [(19, "unloading; not rest")]

    def test_their_file_passes_the_check_value_reading(self):
        events, notes = duty_status_rows(self.LOG, username="nkowal", power_unit_number="PU-1187")
        base = report()
        text = build_output_file(
            EldReport(
                header=base.header, time_zone=CDT, users=base.users, cmvs=base.cmvs, events=events, annotations=notes
            )
        )
        parts = sections(text)
        checks = []
        for title, lines in parts.items():
            for line in lines if title != "End of File:" else []:
                body, check = line.rsplit(",", 1)
                assert check == spec_line_check(body)
                checks.append(check)
        assert parts["End of File:"] == [spec_file_check(checks)]
        assert parts["ELD Event List:"][1].split(",")[:11] == [
            "2",
            "1",
            "1",
            "1",
            "3",
            "040224",
            "063000",
            "0",
            "0.0",
            "X",
            "X",
        ]
