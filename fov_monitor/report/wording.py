"""Figures and permit terms in words: for the report's tables and the register's plain language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def hours_in_words(permitted_hours: Sequence[str], zone_label: str = "") -> str:
    """Return when a camera may film, e.g. ``"every day from 22:00 to 06:00 (Stockholm time)"``.

    Parameters
    ----------
    permitted_hours : sequence of str
        The decision's ``"HH:MM-HH:MM"`` windows, wall-clock times; empty means all day.
    zone_label : str
        The time zone the windows are read in (``"Stockholm time"``), said after them; none if empty.
    """
    if not permitted_hours:
        return "all day and all night, every day"
    windows = []
    for window in permitted_hours:
        start, end = (part.strip() for part in window.split("-"))
        windows.append(f"from {start} to {end}")
    words = "every day " + " and ".join(windows)
    return f"{words} ({zone_label})" if zone_label else words


def date_in_words(iso_day: str | None) -> str:
    """Return ``"31 December 2027"`` for ``"2027-12-31"`` (empty for None)."""
    if not iso_day:
        return ""
    day = date.fromisoformat(iso_day[:10])
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def percent(share: float | None, digits: int = 1) -> str:
    """Return a share as a percentage (``"-"`` for None)."""
    return "-" if share is None else f"{share * 100:.{digits}f}%"


def hours(value: float | None) -> str:
    """Return a duration in hours, with days beyond two days (``"-"`` for None)."""
    if value is None:
        return "-"
    if value >= 48:
        return f"{value:.0f} h ({value / 24:.1f} days)"
    return f"{value:.1f} h"


def day_time(iso_time: str | None) -> str:
    """Return ``"2026-03-04 02:15"`` for an ISO time, as its own clock reads (``"still open"`` for None)."""
    if iso_time is None:
        return "still open"
    return iso_time[:16].replace("T", " ")
