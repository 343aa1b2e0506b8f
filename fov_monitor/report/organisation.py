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

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from fov_monitor.errors import ReportError
from fov_monitor.files.json_files import read_json_file
from fov_monitor.report.clock import DEFAULT_TIMEZONE, LocalTime

ORGANISATION_FILE = "organisation.json"
ORGANISATION_SCHEMA_VERSION = 1

_EXAMPLE = (
    '{"schema_version": 1, "name": "...", "contact": "e-mail, phone", "address": "...", '
    '"responsible": "...", "website": "...", "timezone": "Europe/Stockholm"}'
)


@dataclass(frozen=True, slots=True)
class Organisation:
    """The camera owner as the public and auditors see it.

    Attributes
    ----------
    name : str
        The organisation that owns the cameras.
    contact : str
        How people ask about the cameras (e-mail, phone), in words.
    address : str
        Where to write.
    responsible : str
        Who within the organisation answers for the cameras (a role); optional.
    website : str
        Where to read more; optional.
    timezone : str
        The IANA time zone of the days and times shown (``"Europe/Stockholm"``); UTC by default.
    """

    name: str
    contact: str
    address: str
    responsible: str = ""
    website: str = ""
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, str):
                raise ReportError(f"organisation {item.name} must be text, got {value!r}")
        for name in ("name", "contact", "address"):
            if not getattr(self, name).strip():
                raise ReportError(f"organisation {name} is empty; the public register must name it")
        try:
            LocalTime(self.timezone)
        except ReportError:
            raise ReportError(
                f"field 'timezone' is {self.timezone!r}, not an IANA time zone name; give one like "
                "'Europe/Stockholm'"
            ) from None

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
        document = read_json_file(path, error=ReportError, fix=f"fix it, e.g. {_EXAMPLE}")
        if not isinstance(document, Mapping):
            raise ReportError(f"{path}: expected a JSON object, e.g. {_EXAMPLE}")
        if document.get("schema_version") != ORGANISATION_SCHEMA_VERSION:
            raise ReportError(
                f"{path}: field 'schema_version' is {document.get('schema_version')!r}, expected "
                f"{ORGANISATION_SCHEMA_VERSION}"
            )
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(document) - known - {"schema_version"})
        if unknown:
            raise ReportError(f"{path}: unknown field {unknown[0]!r}; expected {', '.join(sorted(known))}")
        missing = [name for name in ("name", "contact", "address") if name not in document]
        if missing:
            raise ReportError(f"{path}: field {missing[0]!r} is missing, e.g. {_EXAMPLE}")
        try:
            return cls(**{key: value for key, value in document.items() if key != "schema_version"})
        except ReportError as exc:
            raise ReportError(f"{path}: {exc}") from None

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
