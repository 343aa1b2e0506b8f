"""Cameras removed from the store whose year is still to be reported.

``fov-monitor camera remove`` moves a camera's folder to ``<store>/.removed/<camera_id>-<stamp>/``;
its scan outcomes, results and alerts stay in the database. A yearly report covers every camera
with outcomes, results or alerts in the year, not only those in the store now, so that removing a
camera does not take its deviations out of the year's figures. A removed camera's settings, permit
and references are read from its newest kept folder when there is one; without one (or when its
``camera.json`` cannot be read there) it is reported from the database alone. Its group is that of
its kept ``camera.json``, else that of its newest alert. The public register does not list removed
cameras: they no longer film.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import FovMonitorError
from fov_monitor.i18n import Language, translations
from fov_monitor.report.clock import OPEN_IN_PERIOD, LocalTime
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store

REMOVED_FOLDER = ".removed"

# The folder names Store.remove_camera gives: "<camera_id>-%Y%m%dT%H%M%S.%fZ" (UTC).
_KEPT_NAME = re.compile(r"(?P<camera_id>.+)-(?P<stamp>\d{8}T\d{6}\.\d{6}Z)")
_STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"


@dataclass(frozen=True, slots=True)
class RemovedCamera:
    """A camera no longer in the store that has outcomes, results or alerts in the report's year.

    Attributes
    ----------
    camera_id : str
        Its id, as the database names it.
    removed_at : str or None
        When it was removed (stored UTC text): from its kept folder's name, else from the audit
        line of its removal; None when neither is there.
    folder : Path or None
        Its newest kept folder under ``<store>/.removed/``, None when none is there.
    config : CameraConfig or None
        Its kept settings, None when no readable ``camera.json`` is kept.
    group : str or None
        The group of its kept settings, else of its newest alert; None when neither is known.
    problem : str
        Why kept settings could not be read (empty when they were, or none are kept).
    """

    camera_id: str
    removed_at: str | None
    folder: Path | None
    config: CameraConfig | None
    group: str | None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Removal:
    """How a reported camera left the store, as the report marks it.

    ``on`` is the local day it was removed (ISO date), None when not recorded; ``settings_kept``
    tells whether its settings, permit and references could still be read.
    """

    on: str | None
    settings_kept: bool

    @property
    def text(self) -> str:
        """The mark in English (:meth:`text_in`)."""
        return self.text_in(Language.EN)

    def text_in(self, language: Language) -> str:
        """The mark: ``"removed on 2025-06-01"``, with ``"; its settings are no longer kept"`` if so."""
        _ = translations(language).gettext
        mark = _("removed on %(day)s") % {"day": self.on} if self.on else _("removed")
        return mark if self.settings_kept else _("%(mark)s; its settings are no longer kept") % {"mark": mark}

    @classmethod
    def of(cls, camera: RemovedCamera, clock: LocalTime) -> Removal:
        """Return the mark of ``camera``, its day of removal in ``clock``'s time zone."""
        on = clock.text(camera.removed_at)[:10] if camera.removed_at else None
        return cls(on, camera.config is not None)


class KeptFolders(Store):
    """The store, reading each removed camera from its kept folder under ``.removed/``.

    Only for reading: the report reads settings, permits and references through
    :meth:`Store.folder`, so pointing it at the kept folder lets the same code read a removed camera.
    """

    def __init__(self, store: Store, removed: Iterable[RemovedCamera]) -> None:
        super().__init__(store.root)
        self._kept = {camera.camera_id: camera.folder for camera in removed if camera.folder is not None}

    def folder(self, camera_id: str) -> Path:
        """Return the kept folder of a removed camera, else the camera's folder in the store."""
        kept = self._kept.get(camera_id)
        return kept if kept is not None else super().folder(camera_id)


def removed_cameras(store: Store, database: Database, year_bounds: tuple[str, str]) -> list[RemovedCamera]:
    """Return the cameras not in the store that have outcomes, results or alerts in the year, by id.

    Parameters
    ----------
    store, database : Store, Database
        The cameras now, and the results and alerts of every camera there ever was.
    year_bounds : (str, str)
        The first instant of the year and of the next, as stored UTC texts
        (:meth:`~fov_monitor.report.clock.LocalTime.year_bounds`).
    """
    gone = _ids_with_data(database, year_bounds) - set(store.camera_ids())
    if not gone:
        return []
    folders = _kept_folders(store.root / REMOVED_FOLDER)
    audited = _audited_removals(database)
    alert_groups = _alert_groups(database)
    cameras = []
    for camera_id in sorted(gone):
        folder = folders.get(camera_id)
        removed_at = _stamp_time(folder) if folder is not None else audited.get(camera_id)
        config, problem = _kept_config(store, camera_id, folder)
        group = config.group if config is not None else alert_groups.get(camera_id)
        cameras.append(RemovedCamera(camera_id, removed_at, folder, config, group, problem))
    return cameras


def _ids_with_data(database: Database, year_bounds: tuple[str, str]) -> set[str]:
    start, end = year_bounds
    rows = database.read(
        "SELECT camera_id FROM scan_outcomes WHERE at >= ? AND at < ? "
        "UNION SELECT camera_id FROM results WHERE checked_at >= ? AND checked_at < ? "
        f"UNION SELECT camera_id FROM alerts WHERE {OPEN_IN_PERIOD}",
        (start, end, start, end, end, start),
    )
    return {str(camera_id) for (camera_id,) in rows}


def _kept_folders(graveyard: Path) -> dict[str, Path]:
    """Return each removed camera's newest kept folder (the stamps sort in time order)."""
    newest: dict[str, tuple[str, Path]] = {}
    if not graveyard.is_dir():
        return {}
    for entry in graveyard.iterdir():
        match = _KEPT_NAME.fullmatch(entry.name)
        if match is None or not entry.is_dir():
            continue
        camera_id, stamp = match["camera_id"], match["stamp"]
        if camera_id not in newest or stamp > newest[camera_id][0]:
            newest[camera_id] = (stamp, entry)
    return {camera_id: folder for camera_id, (_, folder) in newest.items()}


def _stamp_time(folder: Path) -> str | None:
    match = _KEPT_NAME.fullmatch(folder.name)
    if match is None:
        return None
    when = datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)
    return when.isoformat(timespec="seconds")


def _audited_removals(database: Database) -> Mapping[str, str]:
    """Return when each camera was last removed, by the audit log (for a kept folder that is gone)."""
    rows = database.read(
        "SELECT camera_id, at FROM audit WHERE action = ? AND camera_id IS NOT NULL ORDER BY id",
        (str(AuditAction.CAMERA_REMOVED),),
    )
    return {str(camera_id): str(at) for camera_id, at in rows}


def _alert_groups(database: Database) -> Mapping[str, str]:
    """Return the group each camera's newest alert was raised in."""
    rows = database.read("SELECT camera_id, camera_group FROM alerts ORDER BY opened_at, id")
    return {str(camera_id): str(group) for camera_id, group in rows}


def _kept_config(store: Store, camera_id: str, folder: Path | None) -> tuple[CameraConfig | None, str]:
    if folder is None:
        return None, ""
    kept = KeptFolders(store, [RemovedCamera(camera_id, None, folder, None, None)])
    try:
        return kept.camera(camera_id), ""
    except FovMonitorError as exc:
        return None, f"its kept settings cannot be read: {' '.join(str(exc).split())}"
