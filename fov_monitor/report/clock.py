"""The organisation's local time: the days and times people read, from the UTC the database stores.

The database keeps every time in UTC (``2026-03-01T02:15:07+00:00``); the report converts at the
edge. A year, a month and a day are local ones: a deviation opened at 23:30 UTC on 31 December is
in the next year's report in Stockholm, and the day on which summer time starts has 23 hours.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone_location

from fov_monitor.errors import ReportError
from fov_monitor.i18n import Language, date_in_words, translations
from fov_monitor.i18n.words import N_

DEFAULT_TIMEZONE = "UTC"
TIMEZONE_EXAMPLE = "Europe/Stockholm"
OPEN_IN_PERIOD = "opened_at < ? AND (closed_at IS NULL OR closed_at >= ?)"
"""SQL on ``alerts``: open at some time in a period such as :meth:`LocalTime.year_bounds` gives
(parameters: its end, then its start). The report's deviations are the alerts open in its year."""


ZONE_WORDS = {"Europe/Stockholm": N_("Stockholm time")}
"""Zones with a name of their own in a language (Swedish says "svensk tid", not "tid i Stockholm");
any other is "<city> time" (:meth:`LocalTime.label_in`)."""


def zone_of(name: str) -> tzinfo:
    """Return the IANA time zone ``name`` (``"UTC"``, ``"Europe/Stockholm"``); raise naming an example."""
    if name == DEFAULT_TIMEZONE:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, "Europe"
        raise ReportError(
            f"timezone {name!r} is not an IANA time zone name; give one like {TIMEZONE_EXAMPLE!r}"
        ) from None


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Converts stored UTC times to the organisation's time zone and finds local days and months.

    Parameters
    ----------
    name : str
        An IANA time zone name, ``"UTC"`` by default.
    """

    name: str = DEFAULT_TIMEZONE
    zone: tzinfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", zone_of(self.name))

    @property
    def label(self) -> str:
        """The zone as people say it: ``"Stockholm time"``, ``"UTC"``."""
        if self.name == DEFAULT_TIMEZONE:
            return "UTC"
        return self.name.rsplit("/", 1)[-1].replace("_", " ") + " time"

    def label_in(self, language: Language) -> str:
        """The zone as people of ``language`` say it: ``"Stockholm time"``, ``"svensk tid"``, ``"UTC"``."""
        if language is Language.EN or self.name == DEFAULT_TIMEZONE:
            return self.label
        _ = translations(language).gettext
        if self.name in ZONE_WORDS:
            return _(ZONE_WORDS[self.name])
        city = get_timezone_location(self.name, locale=str(language), return_city=True)
        return _("%(city)s time") % {"city": city}

    def midnight(self, day: date) -> datetime:
        """Return the first instant of the local ``day``, in UTC."""
        return datetime(day.year, day.month, day.day, tzinfo=self.zone).astimezone(UTC)

    def year_bounds(self, year: int) -> tuple[str, str]:
        """Return the first instant of the local ``year`` and of the next, as UTC texts.

        The texts (``"2025-12-31T23:00:00"``) sort with the stored times, so that ``at >= start AND
        at < end`` selects the year in SQL.
        """
        start, end = self.midnight(date(year, 1, 1)), self.midnight(date(year + 1, 1, 1))
        return _sortable(start), _sortable(end)

    def period_bounds(self, period: Period) -> tuple[str, str]:
        """Return the first instant of the period's first day and of the day after its last, as UTC texts."""
        start, end = self.midnight(period.first), self.midnight(period.last + timedelta(days=1))
        return _sortable(start), _sortable(end)

    def day_starts_s(self, period: Period | int) -> list[float]:
        """Return the UTC epoch seconds at which each local day of the period (or year) starts, and the next.

        ``(days + 1,)`` values; the day of an instant ``t`` is ``bisect_right(starts, t) - 1``.
        """
        if isinstance(period, int):
            period = Period(period, date(period, 12, 31))
        return [
            self.midnight(period.first + timedelta(days=day)).timestamp() for day in range(period.days + 1)
        ]

    def month_starts_s(self, year: int) -> list[float]:
        """Return the UTC epoch seconds at which each local month of ``year`` starts, and the next year."""
        months = [date(year, month, 1) for month in range(1, 13)] + [date(year + 1, 1, 1)]
        return [self.midnight(day).timestamp() for day in months]

    def text(self, stored: str) -> str:
        """Return a stored time as local ISO text with its offset (``"2026-01-01T00:30:00+01:00"``)."""
        return parse_stored(stored).astimezone(self.zone).isoformat(timespec="seconds")

    def now_text(self) -> str:
        """Return the local time now as ISO text with its offset."""
        return utc_now().astimezone(self.zone).isoformat(timespec="seconds")

    def today(self) -> date:
        """Return the local day now."""
        return utc_now().astimezone(self.zone).date()


def utc_now() -> datetime:
    """Return the time now (UTC): the one clock a report reads, for the day it is made and the period."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """The days a yearly report covers: a whole year, or from 1 January to the day it is made.

    Attributes
    ----------
    year : int
    last : date
        The last day covered: 31 December, or ``as_of`` for the current year.
    as_of : date or None
        The day the report was made, when the year was not over then (the report is "to date").
    """

    year: int
    last: date
    as_of: date | None = None

    @classmethod
    def of(cls, year: int, today: date) -> Period:
        """Return the period of ``year`` as seen on ``today`` (local): whole, or to date.

        Raises
        ------
        ReportError
            When the year has not begun on ``today``.
        """
        if year > today.year:
            raise ReportError(f"--year {year} has not begun; give a year up to {today.year}")
        if year == today.year:
            return cls(year, today, today)
        return cls(year, date(year, 12, 31))

    @property
    def first(self) -> date:
        """1 January of the year."""
        return date(self.year, 1, 1)

    @property
    def days(self) -> int:
        """The days covered (365 or 366 for a whole year)."""
        return (self.last - self.first).days + 1

    @property
    def to_date(self) -> bool:
        """True when the year was not over when the report was made."""
        return self.as_of is not None

    @property
    def words(self) -> str:
        """The period in English words (:meth:`in_words`)."""
        return self.in_words(Language.EN)

    def in_words(self, language: Language) -> str:
        """The period in words: ``"from 1 January to 31 December 2026"``, or for the current year
        ``"from 1 January 2026 to date, as of 6 December 2026"`` (``"från 1 januari 2026 till i dag
        (6 december 2026)"``)."""
        _ = translations(language).gettext
        if self.as_of is None:
            return _("from 1 January to 31 December %(year)s") % {"year": self.year}
        return _("from 1 January %(year)s to date, as of %(day)s") % {
            "year": self.year,
            "day": date_in_words(self.as_of, language),
        }


def parse_stored(text: str) -> datetime:
    """Return a stored time as an aware UTC datetime (a time without offset is taken as UTC)."""
    when = datetime.fromisoformat(text)
    return when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)


def index_of(starts_s: list[float], when_s: float) -> int:
    """Return which span of ``starts_s`` (day or month) holds ``when_s``, clamped to the first and last."""
    return min(max(bisect.bisect_right(starts_s, when_s) - 1, 0), len(starts_s) - 2)


def _sortable(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
