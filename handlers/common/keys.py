"""Redis keys read by one handler and written by another (docs/data-model.md)."""

from __future__ import annotations


def hos_drivers_key(local_date: str) -> str:
    """Set of drivers with duty-status records on a home-terminal day (hos_processor -> dot_reporting)."""
    return f"hos:drivers:{local_date}"
