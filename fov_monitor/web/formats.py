"""How pages write times, numbers and audit details: one way everywhere, in the page's language.

The JSON API keeps the stored values (ISO 8601 times, detail objects); the pages go through these
Jinja filters. English pages write a time ``2026-11-29 02:15:07 UTC``, Swedish ones as a Swede writes
it, ``29 november 2026 02.15.07 UTC``; numbers take the language's decimal sign (``12,5``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from fov_monitor.i18n import Language, date_in_words, decimal
from fov_monitor.i18n.formats import clock_time

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
"""Every time on an English page: the stored UTC time, to the second, saying that it is UTC."""


def when(value: object, language: Language = Language.EN) -> str:
    """Return a stored ISO 8601 time as pages show it (``2026-11-29 02:15:07 UTC``); '' for none.

    A value that is not a time is returned as it is, so that nothing stored is hidden.
    """
    if value is None or value == "":
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if language is Language.EN:
        return moment.strftime(TIME_FORMAT)
    return f"{date_in_words(moment.date(), language)} {clock_time(moment.time(), language, seconds=True)} UTC"


def number(value: float, language: Language = Language.EN, digits: int = 1, signed: bool = False) -> str:
    """Return ``value`` with ``digits`` decimals and the language's decimal sign (``+`` if ``signed``)."""
    shown = decimal(value, language, digits)
    return f"+{shown}" if signed and value >= 0 else shown


def percent(share: float, language: Language = Language.EN, digits: int = 1) -> str:
    """Return a share of 0..1 in per cent: ``12.5 %``, ``12,5 %``."""
    return f"{number(share * 100, language, digits)} %"


def detail_items(detail: Mapping[str, object]) -> list[tuple[str, str]]:
    """Return an audit line's detail as (key, value) pairs to show, values in plain text.

    A string is shown as it is (no quotes, no escapes: the page escapes it for HTML); anything else
    as JSON with its characters as they are (``ensure_ascii=False``), never ``\\u0027``.
    """
    return [
        (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))
        for key, value in detail.items()
    ]


__all__ = ["TIME_FORMAT", "detail_items", "number", "percent", "when"]
