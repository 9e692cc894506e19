"""ELD records as the FMCSA ELD rule defines them (49 CFR 395 subpart B and its Appendix A).

``build_output_file`` writes the ELD output file of section 4.8.2; ``check_values`` holds the data
check values of section 4.4.5; ``duty_status_rows`` turns an HOS log into event-list rows. Pure code:
no I/O, no AWS.
"""

from .check_values import event_check_value, file_check_value, line_check_value
from .duty_events import duty_status_rows
from .output_file import (
    DUTY_STATUS_EVENTS,
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
)

__all__ = [
    "Annotation",
    "Certification",
    "Cmv",
    "DUTY_STATUS_EVENTS",
    "EldOutputError",
    "EldReport",
    "EnginePower",
    "Event",
    "Header",
    "Login",
    "Malfunction",
    "User",
    "build_output_file",
    "duty_status_rows",
    "event_check_value",
    "file_check_value",
    "line_check_value",
]
