"""Figures and permit terms in words: for the report's tables and the register's plain language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from fov_monitor.i18n import Language, decimal, translations
from fov_monitor.i18n.formats import clock_time
from fov_monitor.i18n.formats import date_in_words as day_in_words


def hours_in_words(
    permitted_hours: Sequence[str], zone_label: str = "", language: Language = Language.EN
) -> str:
    """Return when a camera may film, e.g. ``"every day from 22:00 to 06:00 (Stockholm time)"``.

    Parameters
    ----------
    permitted_hours : sequence of str
        The decision's ``"HH:MM-HH:MM"`` windows, wall-clock times; empty means all day.
    zone_label : str
        The time zone the windows are read in (``"Stockholm time"``), said after them; none if empty.
    language : Language
        The language of the words (``"alla dagar kl. 22.00–06.00"``).
    """
    _ = translations(language).gettext
    if not permitted_hours:
        return _("all day and all night, every day")
    spans = _joined(sorted(_minutes(window) for window in permitted_hours))
    if spans == [(0, 1440)]:
        return _("all day and all night, every day")
    windows = [
        _("from %(start)s to %(end)s") % {"start": _clock(start, language), "end": _clock(end, language)}
        for start, end in spans
    ]
    words = _("every day %(windows)s") % {"windows": _(" and ").join(windows)}
    return f"{words} ({zone_label})" if zone_label else words


def _minutes(window: str) -> tuple[int, int]:
    """Return a ``"HH:MM-HH:MM"`` window as minutes of the day; one past midnight ends after 1440."""
    start, end = ((int(h) * 60 + int(m)) for h, m in (part.strip().split(":") for part in window.split("-")))
    return (start, end) if end > start else (start, end + 1440)


def _joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join windows that meet or overlap, also over midnight: 22:00-24:00 and 00:00-06:00 read as one."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    if len(joined) > 1 and joined[-1][1] >= joined[0][0] + 1440:  # the last runs into the first, next day
        _, first_end = joined.pop(0)
        joined[-1] = (joined[-1][0], max(joined[-1][1], first_end + 1440))
    if joined and joined[-1][1] - joined[0][0] >= 1440 and len(joined) == 1:
        return [(0, 1440)]
    return joined


def _clock(minutes: int, language: Language) -> str:
    minutes %= 1440
    return clock_time(time(minutes // 60, minutes % 60), language)


def date_in_words(iso_day: str | None, language: Language = Language.EN) -> str:
    """Return ``"31 December 2027"`` (``"31 december 2027"``) for ``"2027-12-31"`` (empty for None)."""
    if not iso_day:
        return ""
    return day_in_words(date.fromisoformat(iso_day[:10]), language)


def percent(
    share: float | None, digits: int = 1, language: Language = Language.EN, *, signed: bool = False
) -> str:
    """Return a share as a percentage, ``"12.5%"``, ``"12,5 %"`` (``"-"`` for None).

    ``signed`` writes the sign of a positive share too (``"+3.1%"``), for a move.
    """
    if share is None:
        return "-"
    number = decimal(share * 100, language, digits)
    if signed and not number.startswith(("-", "\u2212")):
        number = "+" + number
    return translations(language).gettext("%(number)s%%") % {"number": number}


def hours(value: float | None, language: Language = Language.EN) -> str:
    """Return a duration in hours, with days beyond two days: ``"72 h (3.0 days)"`` (``"-"`` for None)."""
    _ = translations(language).gettext
    if value is None:
        return "-"
    if value >= 48:
        return _("%(hours)s h (%(days)s days)") % {
            "hours": decimal(value, language, 0),
            "days": decimal(value / 24, language),
        }
    return _("%(hours)s h") % {"hours": decimal(value, language)}


def day_time(iso_time: str | None, language: Language = Language.EN) -> str:
    """Return ``"2026-03-04 02:15"`` (``"2026-03-04 02.15"``) for an ISO time, as its own clock reads.

    None (an alert not closed) reads ``"still open"``.
    """
    if iso_time is None:
        return translations(language).gettext("still open")
    if len(iso_time) < 16:
        return iso_time
    moment = time.fromisoformat(iso_time[11:16])
    return f"{iso_time[:10]} {clock_time(moment, language)}"
