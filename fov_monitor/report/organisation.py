"""Who is responsible for the cameras: ``<store>/organisation.json``, read strictly.

::

    {"schema_version": 1,
     "name": "City of Example, Public Order Department",
     "contact": "privacy@example.org, phone 012 345 67 89",
     "address": "Town Hall, Market Square 1, 1234 AB Example",
     "responsible": "the head of the Public Order Department",
     "website": "https://example.org/cameras",
     "timezone": "Europe/Stockholm", "language": "sv"}

``language`` (``"sv"`` or ``"en"``, English when absent) is the language of the public register,
the signs and the yearly report (their commands' ``--language`` overrides it), of the web app for a
user whose browser asks for neither, and of the mails of a channel that names none. ``name``,
``contact`` and ``address`` are required; the public register names them on every page.
``timezone`` (an IANA name, UTC when absent) is the time zone of every day and time the report and
the register show.

What residents must be told of the cameras (the register and the signs say it) is given for the
organisation and, where a camera differs, under ``cameras`` for that camera::

     "legal_basis": "the Camera Surveillance Act (2018:1200), permit from the county board",
     "retention": "recordings are deleted after 7 days",
     "data_protection_officer": "dpo@example.org",
     "supervisory_authority": "the Swedish Authority for Privacy Protection (IMY), www.imy.se",
     "sound_recorded": false, "live_watching": false,
     "accessibility_statement": "https://example.org/accessibility",
     "register_url": "https://example.org/cameras/",
     "cameras": {"cam-07": {"sound_recorded": true, "decision_reference": "LST 2025-77",
                            "without_decision": "stopped"}}

``without_decision`` records, for a camera whose decision is not valid, whether filming there has
``stopped`` or the camera is ``under_review``. ``register_url`` is where the register is published:
the signs' QR codes open a camera's page there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from fov_monitor.errors import ReportError
from fov_monitor.files.settings_files import Expect, SettingsSchema, problem, read_settings_file, unfit
from fov_monitor.i18n import Language
from fov_monitor.i18n.words import N_
from fov_monitor.report.clock import DEFAULT_TIMEZONE, TIMEZONE_EXAMPLE, LocalTime
from fov_monitor.settings import ORGANISATION_FILE

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

IMY = N_("the Swedish Authority for Privacy Protection (IMY), www.imy.se")
DEFAULTS = frozenset({IMY})
"""What fov-monitor writes for the organisation when it writes nothing: translated where it is shown."""


class WithoutDecision(StrEnum):
    """What the owner records of a camera without a valid decision."""

    STOPPED = "stopped"
    """Filming there has stopped."""
    UNDER_REVIEW = "under_review"
    """A new decision is being sought; the camera does not film until it is made."""


class CameraNotice(SettingsSchema):
    """What residents are told of one camera where it differs from the organisation (``cameras.<id>``)."""

    legal_basis: str | None = Field(None, description="The camera's legal basis, if not the organisation's.")
    retention: str | None = Field(None, description="How long its recordings are kept, if not as usual.")
    sound_recorded: bool | None = Field(None, description="Whether it records sound.")
    live_watching: bool | None = Field(None, description="Whether someone watches it live.")
    decision_reference: str | None = Field(
        None, description="The decision's reference number, if not the one of its permit."
    )
    without_decision: Literal["stopped", "under_review"] | None = Field(
        None, description="For a camera without a valid decision: whether filming stopped or is under review."
    )


@dataclass(frozen=True, slots=True)
class Notice:
    """What residents are told of one camera: the organisation's facts with the camera's own over them."""

    legal_basis: str
    retention: str
    sound_recorded: bool | None
    live_watching: bool | None
    decision_reference: str
    without_decision: WithoutDecision | None


class Organisation(SettingsSchema):
    """The camera owner as the public and auditors see it: ``organisation.json`` without its version."""

    name: Named = Field(description="The organisation that owns the cameras.")
    contact: Named = Field(description="How people ask about the cameras (e-mail, phone), in words.")
    address: Named = Field(description="Where to write.")
    responsible: str = Field("", description="Who within the organisation answers for the cameras (a role).")
    website: str = Field("", description="Where to read more.")
    language: Language = Field(
        Language.EN,
        description="The language of the register, the signs and the yearly report: 'sv' or 'en'.",
    )
    timezone: Annotated[
        str, AfterValidator(_time_zone), Expect(f"an IANA time zone name like {TIMEZONE_EXAMPLE!r}")
    ] = Field(DEFAULT_TIMEZONE, description="The time zone of the days and times shown; UTC by default.")
    legal_basis: str = Field("", description="The law and permit by which the cameras film.")
    retention: str = Field("", description="How long recordings are kept, in words.")
    data_protection_officer: str = Field("", description="How to reach the data protection officer.")
    supervisory_authority: str = Field(
        IMY, description="Where people may complain about the filming: the supervisory authority."
    )
    sound_recorded: bool | None = Field(None, description="Whether the cameras record sound.")
    live_watching: bool | None = Field(None, description="Whether someone watches the cameras live.")
    accessibility_statement: str = Field("", description="The address of the accessibility statement.")
    register_url: str = Field(
        "", description="Where the public register is published (its index's folder); the signs link to it."
    )
    cameras: dict[str, CameraNotice] = Field(
        default_factory=dict, description="What differs for single cameras, by camera id."
    )

    def notice(self, camera_id: str, decision_reference: str = "") -> Notice:
        """Return what residents are told of ``camera_id`` (``decision_reference``: its permit's)."""
        own = self.cameras.get(camera_id, CameraNotice())
        return Notice(
            own.legal_basis if own.legal_basis is not None else self.legal_basis,
            own.retention if own.retention is not None else self.retention,
            own.sound_recorded if own.sound_recorded is not None else self.sound_recorded,
            own.live_watching if own.live_watching is not None else self.live_watching,
            own.decision_reference if own.decision_reference is not None else decision_reference,
            WithoutDecision(own.without_decision) if own.without_decision else None,
        )

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
