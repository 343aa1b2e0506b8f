"""The store's settings: ``settings.json`` and ``alerts.json``, read once per command or web request.

``<store>/settings.json`` (optional; without it faces are blurred, nothing unblurred is kept and
results go to ``<store>/fov-monitor.sqlite``)::

    {"schema_version": 1,
     "privacy": {"blur_faces": true, "keep_unblurred": false, "unblurred_retention_days": 30,
                 "face_model": null, "face_threshold": 0.15, "blur_method": "blur"},
     "database": "postgresql://fov@db.example/fov"}

``<store>/alerts.json`` is described in :mod:`fov_monitor.alerts.settings`; its mail channels write
in the language of ``<store>/organisation.json`` (:mod:`fov_monitor.report.organisation`) when they
name none, and only that field of the organisation's file is read here.

A command (:class:`fov_monitor.commands.common.Context`) or a web request holds one
:class:`StoreSettings` and passes what it reads down: the privacy settings to whatever writes an
image, the alert settings to the alert engine and the outbox. Nothing below reads a settings file
again, and a scan's worker processes and Dask workers are given the privacy settings of the machine
that runs the scan.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from fov_monitor.alerts.settings import AlertSettings
from fov_monitor.db.location import DatabaseLocation
from fov_monitor.errors import FovMonitorError
from fov_monitor.faces.privacy import PrivacySection, PrivacySettings, default_privacy
from fov_monitor.files.settings_files import Expect, SettingsSchema, read_settings_file, refuse_null, unfit
from fov_monitor.i18n import Language

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
ORGANISATION_FILE = "organisation.json"


def _database(text: str | None) -> str | None:
    if text is not None and DatabaseLocation.problem(text) is not None:
        raise unfit()
    return text


class SettingsFile(SettingsSchema):
    """``<store>/settings.json``, as the file writes it."""

    schema_version: Literal[1] = Field(description="The version of this file's format: 1.")
    privacy: PrivacySection = Field(
        PrivacySection(), description="How faces are anonymised in what fov-monitor writes."
    )
    database: Annotated[
        str | None,
        BeforeValidator(refuse_null),
        AfterValidator(_database),
        Expect("a postgresql:// URL or a SQLite file path"),
    ] = Field(
        None,
        description="The results database: a postgresql:// URL, or a SQLite file (relative to the store); "
        "--db and $FOV_MONITOR_DB come first.",
    )


class OrganisationLanguage(SettingsSchema):
    """The language of ``organisation.json``, its other fields left to the report that reads them all.

    A mistake elsewhere in the organisation's file stops the register, not the alert mails.
    """

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    language: Language = Field(Language.EN, description="The organisation's language: 'sv' or 'en'.")


def organisation_language(root: Path) -> Language:
    """Return the language ``<root>/organisation.json`` names: English when it names none or is absent.

    When the file cannot be read the language is English and the log says why: alert mails and web
    pages go on; the register's and the report's commands, which read the whole file, refuse it.
    """
    path = Path(root) / ORGANISATION_FILE
    if not path.exists():
        return Language.EN
    try:
        return read_settings_file(path, OrganisationLanguage).language
    except FovMonitorError as exc:
        log.warning("writing in English meanwhile: %s", exc)
        return Language.EN


class StoreSettings:
    """The settings of one store, each file read and validated once, when first needed.

    One per command or web request: what a command does not need is not read, so a mistake in
    ``alerts.json`` does not stop a technician's ``check``, and a web request sees what an admin
    wrote before it.

    Parameters
    ----------
    root : Path
        The store's folder.

    Raises
    ------
    InvalidSettingsError
        From each attribute, when its file is unreadable or invalid: one line naming the file, the
        line and the field.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"StoreSettings({str(self.root)!r})"

    def read_all(self) -> StoreSettings:
        """Read every settings file now, so that a long pass fails before it starts; return self."""
        _ = self.privacy, self.database, self.alerts
        return self

    @cached_property
    def privacy(self) -> PrivacySettings:
        """How images are anonymised (``privacy`` of ``settings.json``)."""
        file = self._settings_file
        return default_privacy() if file is None else file.privacy.to_settings(self.root / SETTINGS_FILE)

    @cached_property
    def database(self) -> DatabaseLocation | None:
        """The results database ``settings.json`` names (relative to the store); None when none."""
        file = self._settings_file
        if file is None or file.database is None:
            return None
        where = f"{self.root / SETTINGS_FILE}: field 'database'"
        return DatabaseLocation.parse(file.database, base=self.root, where=where)

    @cached_property
    def alerts(self) -> AlertSettings:
        """Where alerts go and how hard delivery tries (``alerts.json``); no channels when absent."""
        return AlertSettings.for_store(self.root, lambda: self.organisation_language)

    @cached_property
    def organisation_language(self) -> Language:
        """The language of ``organisation.json`` (:func:`organisation_language`)."""
        return organisation_language(self.root)

    @cached_property
    def _settings_file(self) -> SettingsFile | None:
        path = self.root / SETTINGS_FILE
        return read_settings_file(path, SettingsFile) if path.exists() else None
