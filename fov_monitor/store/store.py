"""The per-camera store: one readable, diffable folder per camera.

Layout (``reference_frames/`` by default)::

    <store>/
      fov-monitor.sqlite              results and the audit log (see fov_monitor.db.database)
      <camera_id>/
        camera.json                   CameraConfig
        permit.json                   the permitted area, privacy zones and the decision
        references/<label>.png        the reference image (faces blurred)
        references/<label>.json       when, by whom, from where; its checksum; the enrolment self-test
        references/<label>.npz        cached features (rebuilt from the image when missing or damaged)
        history/                      every permit and reference ever replaced, never deleted
      .removed/<camera_id>-<time>/    removed cameras, kept

Every write is atomic (:mod:`fov_monitor.files.atomic`): a crash leaves the old state whole.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.settings import CheckSettings
from fov_monitor.errors import (
    FovMonitorError,
    InvalidSettingsError,
    ReferenceCacheError,
    StoreError,
    UnknownCameraError,
)
from fov_monitor.files.atomic import write_bytes_atomic, write_json_atomic
from fov_monitor.files.images import read_image
from fov_monitor.sources import SourceAuth
from fov_monitor.store.camera import CameraConfig, check_camera_id
from fov_monitor.store.records import (
    PERMIT_SCHEMA_VERSION,
    REFERENCE_SCHEMA_VERSION,
    ReferenceInfo,
    StoredPermit,
    check_label,
    read_json,
    read_stored_permit,
)
from fov_monitor.store.reference_cache import load_reference, save_reference

log = logging.getLogger(__name__)

DATABASE_NAME = "fov-monitor.sqlite"
DEFAULT_STORE = Path("reference_frames")


def now_utc() -> str:
    """Return the current time as an ISO 8601 UTC string with seconds."""
    return iso_utc(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """Return an aware ``moment`` as the database stores times: ISO 8601 in UTC, with seconds."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Store:
    """The folder that holds every camera's settings, permit and references.

    Parameters
    ----------
    root : str or Path
        The store folder (``reference_frames/`` by default).
    """

    def __init__(self, root: str | Path = DEFAULT_STORE) -> None:
        self.root = Path(root)

    @property
    def database_path(self) -> Path:
        """The SQLite database of results and audit log, beside the camera folders."""
        return self.root / DATABASE_NAME

    def init(self) -> bool:
        """Create the store folder; return False when it already existed."""
        existed = self.root.is_dir()
        with _writing(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
        return not existed

    def require(self) -> None:
        """Raise unless the store folder exists."""
        if not self.root.is_dir():
            raise StoreError(
                f"store {self.root} does not exist; create it with 'fov-monitor init --store {self.root}'"
            )

    # cameras

    def camera_ids(self) -> list[str]:
        """Return the ids of every camera folder in the store, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.name.startswith(".") and (entry / "camera.json").exists()
        )

    def folder(self, camera_id: str) -> Path:
        """Return the folder of ``camera_id`` (checked to be a safe id)."""
        return self.root / check_camera_id(camera_id)

    def has_camera(self, camera_id: str) -> bool:
        """Tell whether ``camera_id`` is enrolled."""
        return (self.folder(camera_id) / "camera.json").is_file()

    def camera(self, camera_id: str) -> CameraConfig:
        """Load the settings of ``camera_id``.

        Raises
        ------
        UnknownCameraError
            When the camera is not in the store.
        InvalidSettingsError
            When ``camera.json`` is malformed (naming the file and field).
        """
        path = self.folder(camera_id) / "camera.json"
        if not path.is_file():
            raise UnknownCameraError(
                f"camera {camera_id!r} is not in the store {self.root}; see 'fov-monitor camera list' "
                "or add it with 'fov-monitor camera add'"
            )
        config = CameraConfig.from_dict(read_json(path), where=str(path))
        if config.camera_id != camera_id:
            raise InvalidSettingsError(
                f"{path}: field 'camera_id' is {config.camera_id!r} but the folder is {camera_id!r}; "
                "make them agree"
            )
        return config

    def source_auth(self, config: CameraConfig) -> SourceAuth | None:
        """Return the camera's credentials, a relative secret file taken as inside the store."""
        auth = config.auth
        if auth is not None and auth.password_file is not None and not auth.password_file.is_absolute():
            return replace(auth, password_file=self.root / auth.password_file)
        return auth

    def add_camera(self, config: CameraConfig) -> None:
        """Enrol a new camera; refuse an id already taken."""
        self.require()
        folder = self.folder(config.camera_id)
        if folder.exists():
            raise InvalidSettingsError(
                f"camera {config.camera_id!r} already exists in {self.root}; choose another id or "
                "use 'fov-monitor camera edit'"
            )
        with _writing(folder):
            folder.mkdir()
            (folder / "references").mkdir()
            write_json_atomic(folder / "camera.json", config.to_dict())

    def save_camera(self, config: CameraConfig) -> None:
        """Replace the settings of an enrolled camera."""
        self.camera(config.camera_id)
        path = self.folder(config.camera_id) / "camera.json"
        with _writing(path):
            write_json_atomic(path, config.to_dict())

    def remove_camera(self, camera_id: str) -> Path:
        """Move the camera's folder to ``.removed/`` (never deleted) and return where it went."""
        self.camera(camera_id)
        graveyard = self.root / ".removed"
        target = graveyard / f"{camera_id}-{_stamp()}"
        with _writing(graveyard):
            graveyard.mkdir(exist_ok=True)
            os.replace(self.folder(camera_id), target)
        return target

    # permits

    def permit(self, camera_id: str) -> StoredPermit | None:
        """Load the camera's permit, or None when none is set yet."""
        config = self.camera(camera_id)
        path = self.folder(camera_id) / "permit.json"
        return read_stored_permit(path, config.tolerance) if path.exists() else None

    def save_permit(
        self, camera_id: str, permit: Permit, reference_size: tuple[int, int] | None, actor: str
    ) -> Path | None:
        """Set the camera's permit; the previous one is kept in ``history/``; return its new path."""
        folder = self.folder(camera_id)
        self.camera(camera_id)
        if reference_size is not None:
            permit.check_fits(reference_size)
        document = permit.to_dict()
        document.pop("tolerance", None)  # the camera's setting, kept in camera.json
        document |= {
            "schema_version": PERMIT_SCHEMA_VERSION,
            "reference_size": list(reference_size) if reference_size else None,
            "set_at": now_utc(),
            "set_by": actor,
        }
        path = folder / "permit.json"
        kept = self._keep_in_history(path) if path.exists() else None
        with _writing(path):
            write_json_atomic(path, document)
        return kept

    # references

    def reference_infos(self, camera_id: str) -> list[ReferenceInfo]:
        """Return the camera's references, the first captured (the one permits are drawn on) first."""
        self.camera(camera_id)
        folder = self.folder(camera_id) / "references"
        infos = [
            ReferenceInfo.from_dict(read_json(path), where=str(path))
            for path in sorted(folder.glob("*.json"))
            if not path.name.startswith(".")
        ]
        return sorted(infos, key=lambda info: (info.captured_at, info.label))

    def reference_image(self, camera_id: str, label: str) -> NDArray[np.uint8]:
        """Read a reference image, checking it against its recorded checksum."""
        self._verified_image_bytes(camera_id, self._info(camera_id, label))
        return read_image(self._reference_path(camera_id, label, ".png"))

    def _verified_image_bytes(self, camera_id: str, info: ReferenceInfo) -> bytes:
        """Return the reference image file's bytes, raising unless they match the recorded checksum."""
        path = self._reference_path(camera_id, info.label, ".png")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(
                f"reference image {path} is missing; capture it again with 'fov-monitor reference "
                f"rebaseline {camera_id} --label {info.label}'"
            ) from None
        if hashlib.sha256(data).hexdigest() != info.image_sha256:
            restored = self._restore_from_history(camera_id, info)
            if restored is not None:
                return restored
            raise StoreError(
                f"reference image {path} does not match its recorded checksum (damaged or edited); "
                f"restore it from backup or re-baseline with 'fov-monitor reference rebaseline {camera_id}'"
            )
        return data

    def references(self, camera_id: str, settings: CheckSettings | None = None) -> list[Reference]:
        """Load the camera's prepared references, first captured first.

        A missing, damaged or outdated feature cache is rebuilt from the reference image and
        written again; a damaged image is an error, never a silent rebuild. The image is checked
        against its recorded checksum on every load, so a damaged reference is reported by the
        next check, not only when evidence is drawn.
        """
        settings = settings or CheckSettings()
        prepared = []
        for info in self.reference_infos(camera_id):
            self._verified_image_bytes(camera_id, info)
            cache = self._reference_path(camera_id, info.label, ".npz")
            try:
                if info.features_sha256 is not None and _file_sha256(cache) != info.features_sha256:
                    raise ReferenceCacheError(f"{cache} does not match its recorded checksum")
                prepared.append(load_reference(cache, settings))
                continue
            except (ReferenceCacheError, FileNotFoundError) as exc:
                log.warning("rebuilding the feature cache of %s/%s: %s", camera_id, info.label, exc)
            reference = Reference.from_image(
                self.reference_image(camera_id, info.label), label=info.label, settings=settings
            )
            self._rewrite_cache(camera_id, info, reference)
            prepared.append(reference)
        return prepared

    def _rewrite_cache(self, camera_id: str, info: ReferenceInfo, reference: Reference) -> None:
        """Write a rebuilt feature cache and record its checksum; a read-only store only loses speed."""
        cache = self._reference_path(camera_id, info.label, ".npz")
        try:
            save_reference(reference, cache)
            record = replace(info, features_sha256=_file_sha256(cache)).to_dict()
            write_json_atomic(self._reference_path(camera_id, info.label, ".json"), record)
        except OSError as exc:
            log.warning("could not rewrite the feature cache %s: %s", cache, exc)

    def _restore_from_history(self, camera_id: str, info: ReferenceInfo) -> bytes | None:
        """Put back the image the record names from ``history/`` (a re-baseline cut short by a crash)."""
        history = self.folder(camera_id) / "history"
        for kept in sorted(history.glob(f"reference-{info.label}-*/{info.label}.png"), reverse=True):
            data = kept.read_bytes()
            if hashlib.sha256(data).hexdigest() == info.image_sha256:
                log.warning(
                    "restoring %s/%s from %s: its image did not match its record",
                    camera_id,
                    info.label,
                    kept.parent,
                )
                with _writing(kept):
                    write_bytes_atomic(self._reference_path(camera_id, info.label, ".png"), data)
                return data
        return None

    def save_reference(
        self,
        camera_id: str,
        label: str,
        image: NDArray[np.uint8],
        info: ReferenceInfo,
        reference: Reference,
        *,
        replace_existing: bool = False,
    ) -> Path | None:
        """Store a reference image, its record and its feature cache.

        A reference that exists is replaced only with ``replace_existing`` (a re-baseline); the old
        one is then kept in ``history/`` and that folder is returned.
        """
        self.camera(camera_id)
        check_label(label)
        png = self._reference_path(camera_id, label, ".png")
        # The record is what makes a reference exist: an image left without one by a failed
        # capture is overwritten by the next capture.
        exists = self._reference_path(camera_id, label, ".json").exists()
        if exists and not replace_existing:
            raise InvalidSettingsError(
                f"camera {camera_id!r} already has a {label!r} reference; a reference is never replaced "
                f"silently: use 'fov-monitor reference rebaseline {camera_id} --label {label} --reason ... "
                "--approved-by ...'"
            )
        ok, encoded = cv2.imencode(".png", image)
        if not ok:
            raise StoreError(f"could not encode the {label!r} reference of {camera_id} as PNG")
        data = encoded.tobytes()
        kept = self._keep_references_in_history(camera_id, label) if exists else None
        record = info.to_dict() | {"image_sha256": hashlib.sha256(data).hexdigest()}
        with _writing(png.parent):
            png.parent.mkdir(exist_ok=True)
            try:
                write_bytes_atomic(png, data)
                cache = self._reference_path(camera_id, label, ".npz")
                save_reference(reference, cache)
                record["features_sha256"] = _file_sha256(cache)
                # The record goes last: it is the commit point. A reference counts as stored only once
                # its record exists, and files that disagree with it are restored or rebuilt on load.
                write_json_atomic(self._reference_path(camera_id, label, ".json"), record)
            except BaseException:
                self._undo_reference(camera_id, label, kept)
                raise
        return kept

    # helpers

    def _info(self, camera_id: str, label: str) -> ReferenceInfo:
        path = self._reference_path(camera_id, label, ".json")
        if not path.exists():
            known = ", ".join(info.label for info in self.reference_infos(camera_id)) or "none"
            raise StoreError(
                f"camera {camera_id!r} has no {label!r} reference (has: {known}); capture one with "
                f"'fov-monitor reference capture {camera_id} --label {label}'"
            )
        return ReferenceInfo.from_dict(read_json(path), where=str(path))

    def _reference_path(self, camera_id: str, label: str, suffix: str) -> Path:
        return self.folder(camera_id) / "references" / f"{check_label(label)}{suffix}"

    def _undo_reference(self, camera_id: str, label: str, kept: Path | None) -> None:
        """Put back the reference kept in ``kept`` (or remove a first one) after a failed write."""
        for suffix in (".json", ".npz", ".png"):
            path = self._reference_path(camera_id, label, suffix)
            old = kept / path.name if kept else None
            try:
                if old is not None and old.exists():
                    write_bytes_atomic(path, old.read_bytes())
                elif suffix != ".json" or kept is None:
                    path.unlink(missing_ok=True)
            except OSError as exc:
                log.error("could not restore %s after a failed write (%s); a copy is in %s", path, exc, kept)

    def _keep_in_history(self, path: Path) -> Path:
        history = path.parent / "history"
        target = history / f"{path.stem}-{_stamp()}{path.suffix}"
        with _writing(history):
            history.mkdir(exist_ok=True)
            shutil.copy2(path, target)
        return target

    def _keep_references_in_history(self, camera_id: str, label: str) -> Path:
        history = self.folder(camera_id) / "history" / f"reference-{label}-{_stamp()}"
        with _writing(history):
            history.mkdir(parents=True)
            for suffix in (".png", ".json", ".npz"):
                source = self._reference_path(camera_id, label, suffix)
                if source.exists():
                    shutil.copy2(source, history / source.name)
        return history


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write (read-only disk, full disk, no permission) into a one-line StoreError."""
    try:
        yield
    except FovMonitorError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StoreError(
            f"cannot write {path} ({reason}); make the store writable or point --store elsewhere; "
            "what was stored before is unchanged"
        ) from None


__all__ = [
    "PERMIT_SCHEMA_VERSION",
    "REFERENCE_SCHEMA_VERSION",
    "ReferenceInfo",
    "Store",
    "StoredPermit",
    "check_label",
    "now_utc",
]
