"""Privacy by default: faces are blurred in every image fov-monitor writes or serves.

An unblurred copy of a live frame is kept only when the store's settings say so. It is stored
apart (``<store>/_unblurred/<camera>/``), every copy is written to the audit log, and
:func:`purge_unblurred` deletes what is past its retention period (``fov-monitor purge``).

The store's settings live in ``<store>/settings.json``::

    {"schema_version": 1,
     "privacy": {"blur_faces": true, "keep_unblurred": false, "unblurred_retention_days": 30,
                 "face_model": null, "face_threshold": 0.2, "blur_method": "blur"},
     "database": "postgresql://fov@db.example/fov"}

Only the ``privacy`` section is read here; ``database`` (optional: where results go) is read by
:func:`fov_monitor.db.location.resolve_location`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from fov_monitor.errors import InvalidSettingsError, StoreError
from fov_monitor.faces.detection import FaceSettings, blur_faces
from fov_monitor.files.atomic import write_bytes_atomic
from fov_monitor.files.json_files import read_json_file

SETTINGS_FILE = "settings.json"
SETTINGS_SCHEMA_VERSION = 1
UNBLURRED_FOLDER = "_unblurred"

UNBLURRED_ENV = "FOV_MONITOR_UNBLURRED"
"""Set to ``1`` to write images without blurring faces (tests of the drawing only; never in service)."""

_STAMP = "%Y%m%dT%H%M%S.%fZ"


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """How images are anonymised before they are written or served.

    Attributes
    ----------
    blur_faces : bool
        Blur every detected face (the default).
    keep_unblurred : bool
        Also keep an unblurred copy of each live frame that gets an evidence image, apart, for
        ``unblurred_retention_days``. Off by default.
    unblurred_retention_days : int
        Days an unblurred copy is kept before :func:`purge_unblurred` deletes it.
    faces : FaceSettings
        The face model, threshold and blur method.
    """

    blur_faces: bool = True
    keep_unblurred: bool = False
    unblurred_retention_days: int = 30
    faces: FaceSettings = field(default_factory=FaceSettings)

    @classmethod
    def for_store(cls, store_root: Path) -> PrivacySettings:
        """Read ``<store>/settings.json``; the defaults (blur, keep nothing) when it is absent.

        Raises
        ------
        InvalidSettingsError
            Naming the file and the field at fault.
        """
        path = Path(store_root) / SETTINGS_FILE
        blur_off = os.environ.get(UNBLURRED_ENV) == "1"
        if not path.exists():
            return cls(blur_faces=not blur_off)
        document = read_json_file(path)
        if not isinstance(document, Mapping) or document.get("schema_version") != SETTINGS_SCHEMA_VERSION:
            raise InvalidSettingsError(f"{path}: field 'schema_version' must be {SETTINGS_SCHEMA_VERSION}")
        section = document.get("privacy", {})
        known = {
            "blur_faces",
            "keep_unblurred",
            "unblurred_retention_days",
            "face_model",
            "face_threshold",
            "blur_method",
        }
        if not isinstance(section, Mapping) or set(section) - known:
            unknown = sorted(set(section) - known) if isinstance(section, Mapping) else ["privacy"]
            raise InvalidSettingsError(
                f"{path}: unknown field 'privacy.{unknown[0]}'; expected {', '.join(sorted(known))}"
            )
        for name in ("blur_faces", "keep_unblurred"):
            if not isinstance(section.get(name, False), bool):
                raise InvalidSettingsError(f"{path}: field 'privacy.{name}' must be true or false")
        days = section.get("unblurred_retention_days", 30)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise InvalidSettingsError(
                f"{path}: field 'privacy.unblurred_retention_days' must be whole days 1..3650, got {days!r}"
            )
        try:
            faces = FaceSettings(
                model_path=Path(section["face_model"]) if section.get("face_model") else None,
                threshold=section.get("face_threshold", FaceSettings().threshold),
                method=section.get("blur_method", "blur"),
            )
        except InvalidSettingsError as exc:
            raise InvalidSettingsError(f"{path}: privacy {exc}") from None
        return cls(
            blur_faces=bool(section.get("blur_faces", True)) and not blur_off,
            keep_unblurred=bool(section.get("keep_unblurred", False)),
            unblurred_retention_days=days,
            faces=faces,
        )


def protect(image: np.ndarray, settings: PrivacySettings | None = None) -> np.ndarray:
    """Return ``image`` with faces blurred, as ``settings`` (default: blur) say."""
    if settings is None:
        settings = PrivacySettings(blur_faces=os.environ.get(UNBLURRED_ENV) != "1")
    if not settings.blur_faces:
        return image
    return blur_faces(image, settings=settings.faces)


ZONE_FILL_BGR = (70, 70, 70)
"""The grey privacy zones are filled with, in every image fov-monitor stores or shows."""


def fill_privacy_zones(image: np.ndarray, zones_xy: Sequence[np.ndarray]) -> None:
    """Fill each privacy zone ((N, 2) float polygon, pixel ``x, y``) on ``image``, in place.

    One polygon at a time: OpenCV fills several polygons given at once by the even-odd rule, which
    would leave where two zones overlap (or one lies inside another) unfilled.
    """
    for zone in zones_xy:
        cv2.fillPoly(image, [np.round(zone).astype(np.int32)], ZONE_FILL_BGR)


def keep_unblurred_copy(
    store_root: Path, camera_id: str, image: np.ndarray, settings: PrivacySettings
) -> tuple[Path, datetime]:
    """Write an unblurred copy of a live frame apart from everything else; return it and its expiry.

    The caller writes the audit line (who, which camera, until when).
    """
    path, data, delete_after = encode_unblurred_copy(store_root, camera_id, image, settings)
    return write_unblurred_copy(data, path), delete_after


def encode_unblurred_copy(
    store_root: Path, camera_id: str, image: np.ndarray, settings: PrivacySettings
) -> tuple[Path, bytes, datetime]:
    """Return where an unblurred copy of a live frame goes, the PNG to write there, and its expiry.

    For a process that cannot write the store (a scan's Dask worker): its caller writes the file
    with :func:`write_unblurred_copy`.
    """
    now = datetime.now(UTC)
    delete_after = now + timedelta(days=settings.unblurred_retention_days)
    path = Path(store_root) / UNBLURRED_FOLDER / camera_id / f"{now.strftime(_STAMP)}.png"
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise StoreError(f"could not encode the unblurred copy for {camera_id}")
    return path, bytes(encoded.tobytes()), delete_after


def write_unblurred_copy(data: bytes, path: Path) -> Path:
    """Write an encoded unblurred copy atomically, readable by its owner only; return the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        write_bytes_atomic(path, data)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot write the unblurred copy {path} ({exc.strerror or exc})") from None
    return path


def due_unblurred(store_root: Path, retention_days: int, now: datetime | None = None) -> list[Path]:
    """Return the unblurred copies older than ``retention_days``.

    Age is read from the file name (the time it was kept), not from the file's mtime, which a
    backup restore would change.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    due = []
    for path in sorted((Path(store_root) / UNBLURRED_FOLDER).glob("*/*.png")):
        try:
            kept_at = datetime.strptime(path.stem, _STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        if kept_at <= cutoff:
            due.append(path)
    return due


def purge_unblurred(store_root: Path, retention_days: int, now: datetime | None = None) -> list[Path]:
    """Delete the unblurred copies older than ``retention_days``; return what was deleted."""
    due = due_unblurred(store_root, retention_days, now)
    for path in due:
        path.unlink(missing_ok=True)
    return due
