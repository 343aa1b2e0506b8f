"""Who is responsible for the cameras: ``<store>/organisation.json``, read strictly.

::

    {"schema_version": 1,
     "name": "City of Example, Public Order Department",
     "contact": "privacy@example.org, phone 012 345 67 89",
     "address": "Town Hall, Market Square 1, 1234 AB Example",
     "responsible": "the head of the Public Order Department",
     "website": "https://example.org/cameras",
     "timezone": "Europe/Stockholm"}

``name``, ``contact`` and ``address`` are required; the public register names them on every page.
``timezone`` (an IANA name, UTC when absent) is the time zone of every day and time the report and
the register show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from fov_monitor.errors import ReportError
from fov_monitor.files.settings_files import Expect, SettingsSchema, problem, read_settings_file, unfit
from fov_monitor.report.clock import DEFAULT_TIMEZONE, TIMEZONE_EXAMPLE, LocalTime

ORGANISATION_FILE = "organisation.json"

_EXAMPLE = (
    '{"schema_version": 1, "name": "...", "contact": "e-mail, phone", "address": "...", '
    '"responsible": "...", "website": "...", "timezone": "Europe/Stockholm"}'
)


def _named(value: str) -> str:
    if not value.strip():
        raise problem("is empty; the public register must name it: fill it in")
    return value


def _time_zone(name: str) -> str:
    try:
        LocalTime(name)
    except ReportError:
        raise unfit() from None
    return name


Named = Annotated[str, AfterValidator(_named)]


class Organisation(SettingsSchema):
    """The camera owner as the public and auditors see it: ``organisation.json`` without its version."""

    name: Named = Field(description="The organisation that owns the cameras.")
    contact: Named = Field(description="How people ask about the cameras (e-mail, phone), in words.")
    address: Named = Field(description="Where to write.")
    responsible: str = Field("", description="Who within the organisation answers for the cameras (a role).")
    website: str = Field("", description="Where to read more.")
    timezone: Annotated[
        str, AfterValidator(_time_zone), Expect(f"an IANA time zone name like {TIMEZONE_EXAMPLE!r}")
    ] = Field(DEFAULT_TIMEZONE, description="The time zone of the days and times shown; UTC by default.")

    @property
    def clock(self) -> LocalTime:
        """The organisation's time zone, for every day and time the report shows."""
        return LocalTime(self.timezone)

    @classmethod
    def for_store(cls, store_root: Path) -> Organisation | None:
        """Read ``<store>/organisation.json``; None when the file is absent.

        Raises
        ------
        ReportError
            Naming the file and the field at fault.
        """
        path = Path(store_root) / ORGANISATION_FILE
        if not path.exists():
            return None
        document = read_settings_file(path, OrganisationFile, error=ReportError, example=_EXAMPLE)
        return cls(**document.model_dump(exclude={"schema_version"}))

    @classmethod
    def require(cls, store_root: Path) -> Organisation:
        """Read ``<store>/organisation.json``, raising when it is absent."""
        organisation = cls.for_store(store_root)
        if organisation is None:
            raise ReportError(
                f"{Path(store_root) / ORGANISATION_FILE} is missing; the public register must say who is "
                f"responsible: write it, e.g. {_EXAMPLE}"
            )
        return organisation


class OrganisationFile(Organisation):
    """``<store>/organisation.json``, as the file writes it."""

    schema_version: Literal[1] = Field(description="The version of this file's format: 1.")
