"""How pages write times and audit details: one way everywhere, for people rather than parsers.

The JSON API keeps the stored values (ISO 8601 times, detail objects); the pages go through these
Jinja filters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from jinja2 import Environment

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
"""Every time on a page: the stored UTC time, to the second, saying that it is UTC."""


def when(value: object) -> str:
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
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def detail_items(detail: Mapping[str, object]) -> list[tuple[str, str]]:
    """Return an audit line's detail as (key, value) pairs to show, values in plain text.

    A string is shown as it is (no quotes, no escapes: the page escapes it for HTML); anything else
    as JSON with its characters as they are (``ensure_ascii=False``), never ``\\u0027``.
    """
    return [
        (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))
        for key, value in detail.items()
    ]


def install(environment: Environment) -> None:
    """Add the filters ``when`` and ``detail_items`` to the pages' template environment."""
    environment.filters["when"] = when
    environment.filters["detail_items"] = detail_items


__all__ = ["TIME_FORMAT", "detail_items", "install", "when"]
