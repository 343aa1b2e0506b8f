"""Dates, times and numbers as each language writes them ("1 juli 2026", "22.00–06.00", "12,5")."""

from __future__ import annotations

from datetime import date, time

from babel.dates import format_date
from babel.numbers import format_decimal

from fov_monitor.i18n.choice import Language

_TIME_SEPARATOR = {Language.EN: ":", Language.SV: "."}
"""Swedish writes the time of day with a full stop (Språkrådet's recommendation: 22.00)."""


def date_in_words(day: date, language: Language) -> str:
    """Return a day as people write it: ``1 July 2026``, ``1 juli 2026``."""
    return format_date(day, "d MMMM y", locale=str(language))


def clock_time(moment: time, language: Language, seconds: bool = False) -> str:
    """Return a time of day on a 24-hour clock: ``22:00``, ``22.00`` (``22.00.07`` with ``seconds``)."""
    separator = _TIME_SEPARATOR[language]
    shown = f"{moment.hour:02d}{separator}{moment.minute:02d}"
    return f"{shown}{separator}{moment.second:02d}" if seconds else shown


def time_span(start: time, end: time, language: Language) -> str:
    """Return a span of the day with an en dash: ``22:00–06:00``, ``22.00–06.00``."""
    return f"{clock_time(start, language)}\u2013{clock_time(end, language)}"


def decimal(value: float, language: Language, digits: int = 1) -> str:
    """Return a number with ``digits`` decimals and the language's decimal sign: ``12.5``, ``12,5``."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=str(language))
