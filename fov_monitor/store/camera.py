"""One camera's settings: where to grab it, what it is, how strictly to judge it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fov_monitor.core.permit import DEFAULT_TOLERANCE
from fov_monitor.errors import InvalidSettingsError, SourceError
from fov_monitor.sources import SourceAuth, check_source

CAMERA_SCHEMA_VERSION = 1

_CAMERA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

DEFAULT_TIMEOUT_S = 10.0

RESERVED_NAMES = frozenset(
    {
        "fov-monitor.sqlite",
        "fov-monitor.sqlite-wal",
        "fov-monitor.sqlite-shm",
        "fov-monitor.sqlite-journal",
        "settings.json",
        "alerts.json",
        "organisation.json",
        "weighing",
    }
)
"""Names of the store's own files and folders beside the camera folders (lower case). Those that
begin with ``.`` or ``_`` (``.removed``, ``.scan.lock``, ``.cache``, ``_evidence``, ``_unblurred``)
are refused by the id's first character already."""
RESERVED_ENDINGS = (".sqlite", ".sqlite3", ".db", "-wal", "-shm", "-journal", ".json", ".jsonl", ".lock")
"""Endings of names the store's settings may give its own files (a database named in settings.json,
a JSON-lines alert channel, SQLite's companions of any database): no camera id ends so."""


def check_camera_id(camera_id: object) -> str:
    """Return ``camera_id`` if it is safe as a folder name, else raise.

    An id is 1-64 letters, digits, ``_``, ``.`` or ``-``, starting with a letter or digit, and
    never ``..``: it cannot leave the store or hide as a dot-file. It is never a name the store uses
    for its own files (:func:`is_reserved_name`).

    Raises
    ------
    InvalidSettingsError
        Naming the id and the rule.
    """
    if not isinstance(camera_id, str) or not _CAMERA_ID.fullmatch(camera_id) or ".." in camera_id:
        shown = (
            camera_id if not isinstance(camera_id, str) or len(camera_id) <= 70 else camera_id[:67] + "..."
        )
        raise InvalidSettingsError(
            f"camera id {shown!r} is not allowed; use 1-64 letters, digits, '_', '.' or '-', starting "
            "with a letter or digit (e.g. 'cam-12-harbour')"
        )
    if is_reserved_name(camera_id):
        raise InvalidSettingsError(
            f"camera id {camera_id!r} is not allowed: the store keeps its own files under such names "
            f"(the database and its -wal, -shm and -journal files, settings, alerts and organisation "
            f"JSON, weighing/); choose another id (e.g. 'cam-12-harbour')"
        )
    return camera_id


def is_reserved_name(name: str) -> bool:
    """Tell whether ``name`` is (or may be) one of the store's own files or folders, never a camera's.

    Those are :data:`RESERVED_NAMES`, names ending as in :data:`RESERVED_ENDINGS`, and names that
    begin with ``.`` or ``_``; compared without case (a store may live on a case-blind disk).
    """
    lowered = name.lower()
    return lowered in RESERVED_NAMES or lowered.endswith(RESERVED_ENDINGS) or name[:1] in ("", ".", "_")


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """The settings of one camera, kept in ``<store>/<camera_id>/camera.json``.

    Attributes
    ----------
    camera_id : str
        The camera's id, also its folder name (see :func:`check_camera_id`).
    source : str
        Where to grab a live frame: an image file, a folder of snapshots, an ``http(s)://``
        snapshot URL or an ``rtsp://`` stream (see :func:`fov_monitor.sources.grab`).
    name, place : str
        What people call the camera and where it hangs.
    group : str
        For scans, routing of alerts and reports (e.g. a district or an owner).
    site : str
        The network the camera sits in, when only machines there can reach it (e.g. ``"north"``):
        a scan on a Dask cluster grabs it only on workers started with ``--resources site-north=1``.
        Empty: any machine reaches it. 1-64 letters, digits, ``_``, ``.`` or ``-``.
    hfov_deg : float, optional
        The horizontal field of view, to report moves in degrees.
    ptz_preset : str, optional
        The PTZ preset the permit was drawn for.
    tolerance : float
        Share of the live view that may lie outside the permitted area.
    timeout_s : float
        Hard wall-clock limit on one grab.
    auth : SourceAuth, optional
        How to authenticate to the source; secrets stay in the environment or a private file.
    """

    camera_id: str
    source: str = ""
    name: str = ""
    place: str = ""
    group: str = "default"
    site: str = ""
    hfov_deg: float | None = None
    ptz_preset: str | None = None
    tolerance: float = DEFAULT_TOLERANCE
    timeout_s: float = DEFAULT_TIMEOUT_S
    auth: SourceAuth | None = field(default=None)

    def __post_init__(self) -> None:
        check_camera_id(self.camera_id)
        where = f"camera {self.camera_id}"
        for name in ("source", "name", "place", "group", "site"):
            if not isinstance(getattr(self, name), str):
                raise InvalidSettingsError(
                    f"{where}: {name} must be text, got {type(getattr(self, name)).__name__}"
                )
        if self.source:
            try:
                check_source(self.source)
            except SourceError as exc:
                raise InvalidSettingsError(f"{where}: {exc}") from None
        if self.site and not _SITE.fullmatch(self.site):
            raise InvalidSettingsError(
                f"{where}: site {self.site!r} is not allowed; use 1-64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit (it names a Dask worker resource, e.g. 'north')"
            )
        if self.hfov_deg is not None and not _number_in(self.hfov_deg, 0.0, 180.0):
            raise InvalidSettingsError(
                f"{where}: hfov_deg must be degrees between 0 and 180, got {_shown(self.hfov_deg)}"
            )
        if not _number_in(self.tolerance, 0.0, 1.0):
            raise InvalidSettingsError(
                f"{where}: tolerance must be a share between 0 and 1 (e.g. 0.02), "
                f"got {_shown(self.tolerance)}"
            )
        if not _number_in(self.timeout_s, 0.0, 600.0):
            raise InvalidSettingsError(
                f"{where}: timeout_s must be seconds between 0 and 600, got {_shown(self.timeout_s)}"
            )

    def with_changes(self, **changes: Any) -> CameraConfig:
        """Return a copy with ``changes`` applied and checked."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form written to ``camera.json``."""
        return {
            "schema_version": CAMERA_SCHEMA_VERSION,
            "camera_id": self.camera_id,
            "source": self.source,
            "name": self.name,
            "place": self.place,
            "group": self.group,
            "site": self.site,
            "hfov_deg": self.hfov_deg,
            "ptz_preset": self.ptz_preset,
            "tolerance": self.tolerance,
            "timeout_s": self.timeout_s,
            "auth": self.auth.to_dict() if self.auth else None,
        }

    @classmethod
    def from_dict(cls, data: object, *, where: str) -> CameraConfig:
        """Build the settings from their JSON form, strictly.

        Parameters
        ----------
        data : mapping
            The parsed ``camera.json``.
        where : str
            Named in errors, e.g. the file's path.

        Raises
        ------
        InvalidSettingsError
            Naming ``where`` and the field at fault.
        """
        if not isinstance(data, Mapping):
            raise InvalidSettingsError(f"{where}: expected a JSON object of camera settings")
        version = data.get("schema_version")
        if version != CAMERA_SCHEMA_VERSION:
            raise InvalidSettingsError(
                f"{where}: field 'schema_version' is {version!r}, this fov-monitor reads "
                f"{CAMERA_SCHEMA_VERSION}; upgrade fov-monitor or fix the file"
            )
        known = {f for f in cls.__dataclass_fields__} | {"schema_version"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidSettingsError(
                f"{where}: unknown field {unknown[0]!r}; expected one of {', '.join(sorted(known))}"
            )
        if "camera_id" not in data:
            raise InvalidSettingsError(f"{where}: field 'camera_id' is missing")
        values = {key: value for key, value in data.items() if key not in ("schema_version", "auth")}
        auth_data = data.get("auth")
        auth = SourceAuth.from_dict(auth_data, where=f"{where}: field 'auth'") if auth_data else None
        try:
            return cls(**values, auth=auth)
        except InvalidSettingsError as exc:
            raise InvalidSettingsError(f"{where}: {exc}") from None
        except TypeError as exc:
            raise InvalidSettingsError(f"{where}: {exc}") from None


def _number_in(value: object, low: float, high: float) -> bool:
    """Tell whether ``value`` is a real number strictly between ``low`` and ``high``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return low < value < high  # False for NaN and the infinities; exact for an integer of any size


def _shown(value: object) -> str:
    """Return ``value`` as an error shows it: a huge integer by its length, anything cut to 40 characters."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"a number of {int(abs(value).bit_length() * math.log10(2)) + 1} digits"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
