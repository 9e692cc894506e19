"""Golden table: worked examples from FMCSA's published guidance and interpretations of it.

Each case cites where its numbers come from. Times are home-terminal local times (America/Chicago);
every log opens with a 10-hour off-duty period so the first duty period starts cleanly.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.hos import evaluate_log
from tests.unit.domain.hos.hos_log_builder import HOUR, local, steps_log

ZONE = "America/Chicago"

GOLDEN = [
    {
        "id": "faq2020-q6-5h-off-and-7h-sleeper-pair-excluded-from-window",
        "source": "FMCSA, FAQ on the 2020 HOS changes, question 6: a 5-hour off-duty break and a later "
        "7-hour sleeper-berth break pair, and both are excluded from the 14-hour window.",
        "start": "2024-04-04T06:00",
        "steps": [("ON", 1), ("D", 4), ("OFF", 5), ("D", 5), ("ON", 0.5), ("SB", 7)],
        "violations": [],
        # Recalculated from the end of the 5-hour break (16:00): 5 h driven, 5.5 h of window used.
        "available": {"drive_s": 6 * HOUR, "window_s": int(8.5 * HOUR)},
    },
    {
        "id": "faq2020-q6-control-6h-sleeper-does-not-pair",
        "source": "Same log as FAQ question 6 with a 6-hour berth period: 49 CFR 395.1(g)(1)(ii)(A) needs "
        "7 consecutive hours, so the 5-hour break counts in the window (395.3(a)(2)).",
        "start": "2024-04-04T06:00",
        "steps": [("ON", 1), ("D", 4), ("OFF", 5), ("D", 5), ("ON", 0.5), ("SB", 6)],
        "violations": [("WINDOW_14", "2024-04-04T20:00", "2024-04-04T21:00", "normal")],
        "available": {},
    },
    {
        "id": "faq2020-q4-pairing-without-violation-is-chosen",
        "source": "FMCSA, FAQ on the 2020 HOS changes, question 4: when several pairings are possible, use "
        "the one with no violation. Pairing the 8 h berth with the 2 h break leaves 30 minutes "
        "of driving past the window; pairing it with the later 3 h break leaves none.",
        "start": "2024-04-04T06:00",
        "steps": [("D", 5), ("SB", 8), ("D", 4), ("OFF", 2), ("D", 2), ("OFF", 3), ("ON", 2), ("D", 3.5), ("OFF", 1)],
        "violations": [],
        "available": {},
    },
    {
        "id": "jjkeller-split-sleeper-example-3h-off-then-7h-berth",
        "source": "J. J. Keller, 'Split-sleeper example' (interpretation of 395.1(g)): drive 1:30-7:30, "
        "off 8-11, drive 5 h, window extended from 3 p.m. to 6 p.m., berth from 6:30 p.m.; "
        "afterwards 7.5 h of the window are used since 11 a.m., 6.5 h remain.",
        "start": "2024-04-04T01:00",
        "steps": [("ON", 0.5), ("D", 6), ("ON", 0.5), ("OFF", 3), ("D", 5), ("ON", 2.5), ("SB", 7)],
        "violations": [],
        "available": {"drive_s": 6 * HOUR, "window_s": int(6.5 * HOUR)},
    },
    {
        "id": "jjkeller-8-2-split-counts-from-end-of-first-rest",
        "source": "J. J. Keller, 'After obtaining 10 hours of rest in two separate periods...': drive 7, "
        "berth 8, drive 4, off 2: 7 hours of driving left within a 10-hour window.",
        "start": "2024-04-04T06:00",
        "steps": [("D", 7), ("SB", 8), ("D", 4), ("OFF", 2)],
        "violations": [],
        "available": {"drive_s": 7 * HOUR, "window_s": 10 * HOUR},
    },
    {
        "id": "fmcsa-guide-2015-split-example-recomputed-under-2020-rule",
        "source": "FMCSA Interstate Truck Driver's Guide to HOS (2015), split sleeper-berth example: on "
        "duty 7 a.m., drive 10-2, berth 2-10 p.m., drive 10 p.m.-5 a.m., off 5-7 a.m.; new "
        "calculation point 10 p.m. The guide's 5 h of window predate 2020; under "
        "395.1(g)(1)(ii)(D) the 2-hour period is excluded too, leaving 7 h (4 h of driving).",
        "start": "2024-04-04T07:00",
        "steps": [("ON", 3), ("D", 4), ("SB", 8), ("D", 7), ("OFF", 2)],
        "violations": [],
        "available": {"drive_s": 4 * HOUR, "window_s": 7 * HOUR},
    },
    {
        "id": "fmcsa-guide-14-hour-window-off-duty-does-not-extend",
        "source": "FMCSA Interstate Truck Driver's Guide to HOS, 14-hour limit: the window starts with any "
        "work and off-duty time does not extend it (395.3(a)(2)); 11 hours of driving "
        "(395.3(a)(3)(i)).",
        "start": "2024-04-04T06:00",
        "steps": [("ON", 0.5), ("D", 5), ("OFF", 2), ("D", 6), ("ON", 0.5), ("D", 1), ("OFF", 10)],
        "violations": [
            ("DRIVING_11", "2024-04-04T20:00", "2024-04-04T21:00", "normal"),
            ("WINDOW_14", "2024-04-04T20:00", "2024-04-04T21:00", "normal"),
        ],
        "available": {"drive_s": 11 * HOUR, "window_s": 14 * HOUR},
    },
    {
        "id": "fmcsa-2020-rule-on-duty-time-satisfies-30-minute-break",
        "source": "FMCSA 2020 HOS final rule summary / 395.3(a)(3)(ii): the 30-minute interruption may be "
        "on duty not driving (e.g. fueling).",
        "start": "2024-04-04T06:00",
        "steps": [("D", 8), ("ON", 0.5), ("D", 2), ("OFF", 10)],
        "violations": [],
        "available": {},
    },
    {
        "id": "fmcsa-guide-30-minute-break-missed",
        "source": "FMCSA Interstate Truck Driver's Guide to HOS, 30-minute break: no driving after 8 hours "
        "of driving without a 30-minute interruption; 29 minutes do not count.",
        "start": "2024-04-04T06:00",
        "steps": [("D", 8), ("ON", 29 / 60), ("D", 1), ("OFF", 10)],
        "violations": [("BREAK_30", "2024-04-04T14:29", "2024-04-04T15:29", "normal")],
        "available": {},
    },
    {
        "id": "fmcsa-guide-70-hours-in-8-days",
        "source": "FMCSA Interstate Truck Driver's Guide to HOS, 60/70-hour limit (395.3(b)(2)): 10 h on "
        "duty on each of 7 days uses 70 h; driving on day 8 is over; on-duty work is not.",
        "start": "2024-04-04T06:00",
        "steps": [("ON", 1), ("D", 8), ("ON", 1), ("OFF", 14)] * 7 + [("ON", 0.5), ("D", 1), ("OFF", 1)],
        "violations": [("CYCLE_70_8", "2024-04-11T06:30", "2024-04-11T07:30", "normal")],
        "available": {"cycle_s": 0, "drive_s": 0},
    },
    {
        "id": "fmcsa-guide-34-hour-restart",
        "source": "FMCSA Interstate Truck Driver's Guide to HOS, 34-hour restart (395.3(c)): 34 hours off "
        "between day 6 and day 7 restart the 8-day period, so the same driving is legal.",
        "start": "2024-04-04T06:00",
        "steps": [("ON", 1), ("D", 8), ("ON", 1), ("OFF", 14)] * 5
        + [("ON", 1), ("D", 8), ("ON", 1), ("OFF", 38)]
        + [("ON", 1), ("D", 8), ("ON", 1), ("OFF", 14), ("ON", 0.5), ("D", 1), ("OFF", 1)],
        "violations": [],
        "available": {"cycle_s": int((70 - 11.5) * HOUR)},
    },
]


@pytest.mark.parametrize("case", GOLDEN, ids=[case["id"] for case in GOLDEN])
def test_golden_case(case):
    assert case["source"]
    events, end = steps_log(case["start"], case["steps"], ZONE)
    off_before = [{"status": "OFF", "at": (local(case["start"]) - timedelta(hours=10)).isoformat()}]
    result = evaluate_log(
        off_before + events,
        time_zone=ZONE,
        cycle=case.get("cycle", "70/8"),
        exceptions=case.get("exceptions", ()),
        as_of=end,
    )

    got = [(v.rule, v.start, v.end, v.severity) for v in result.violations]
    expected = [(rule, local(start), local(end_), severity) for rule, start, end_, severity in case["violations"]]
    assert got == expected
    for field, seconds in case["available"].items():
        assert getattr(result.available, field) == seconds, field
