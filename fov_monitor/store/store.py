"""The per-camera store: one readable, diffable folder per camera.

Layout (``reference_frames/`` by default)::

    <store>/
      fov-monitor.sqlite              results and the audit log (see fov_monitor.db.database)
      <camera_id>/
        camera.json                   CameraConfig
        permit.json                   the permitted area, privacy zones and the decision
        permit-pending.json           a permit of the whole view given before any reference (see
                                      PendingPermit): set on the first reference, then dropped
        references/<label>.png        the reference image (faces blurred)
        references/<label>.json       when, by whom, from where; its checksum; the enrolment self-test
        references/<label>.npz        cached features (written with the image; see Store.repair)
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
from fov_monitor.errors import N_, FovMonitorError, InvalidSettingsError, StoreError, UnknownCameraError
from fov_monitor.files.atomic import write_bytes_atomic, write_json_atomic
from fov_monitor.files.images import decode_image_bytes, image_size_wh
from fov_monitor.sources import SourceAuth
from fov_monitor.store.camera import CameraConfig, check_camera_id, is_reserved_name
from fov_monitor.store.loaded import (
    CameraState,
    LoadedCamera,
    check_record_size,
    prepare_camera,
    read_reference_image,
    reference_path,
)
from fov_monitor.store.records import (
    PENDING_PERMIT_FILE,
    PERMIT_SCHEMA_VERSION,
    REFERENCE_SCHEMA_VERSION,
    Enrolment,
    PendingPermit,
    ReferenceInfo,
    StoredPermit,
    check_label,
    read_json,
    read_stored_permit,
)
from fov_monitor.store.reference_cache import save_reference

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
            if entry.is_dir() and not is_reserved_name(entry.name) and (entry / "camera.json").exists()
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
        path = self._camera_json(camera_id)
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

    def check_new_camera(self, camera_id: str) -> None:
        """Raise unless ``camera_id`` can be enrolled: the store exists and the id is not taken.

        A folder left by an enrolment cut short (nothing in it but an empty ``references/``) does not
        take the id: :meth:`add_camera` uses it.
        """
        self.require()
        folder = self.folder(camera_id)
        if folder.exists() and not _is_unfinished_enrolment(folder):
            raise InvalidSettingsError(
                f"camera {camera_id!r} already exists in {self.root}; choose another id or "
                "use 'fov-monitor camera edit'"
            )

    def add_camera(self, config: CameraConfig) -> None:
        """Enrol a new camera; refuse an id already taken.

        All or nothing: a write that fails removes the folder it made, so that a retry can enrol the
        camera (and no folder without its ``camera.json`` is left).
        """
        self.check_new_camera(config.camera_id)
        folder = self.folder(config.camera_id)
        with _writing(folder):
            try:
                folder.mkdir(exist_ok=True)  # an unfinished enrolment's folder is used
                (folder / "references").mkdir(exist_ok=True)
                write_json_atomic(folder / "camera.json", config.to_dict())
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise

    def save_camera(self, config: CameraConfig) -> None:
        """Replace the settings of an enrolled camera."""
        self.camera(config.camera_id)
        path = self.folder(config.camera_id) / "camera.json"
        with _writing(path):
            write_json_atomic(path, config.to_dict())

    def removal_target(self, camera_id: str) -> Path:
        """Return where :meth:`remove_camera` would keep the camera's folder (checking it is enrolled)."""
        self.camera(camera_id)
        return self.root / ".removed" / f"{camera_id}-{_stamp()}"

    def remove_camera(self, camera_id: str, target: Path | None = None) -> Path:
        """Move the camera's folder to ``.removed/`` (never deleted) and return where it went.

        Parameters
        ----------
        camera_id : str
        target : Path, optional
            Where in ``.removed/`` to keep it (from :meth:`removal_target`, to name it before).
        """
        target = target or self.removal_target(camera_id)
        self.camera(camera_id)
        with _writing(target.parent):
            target.parent.mkdir(exist_ok=True)
            os.replace(self.folder(camera_id), target)
        return target

    def discard_camera(self, camera_id: str) -> None:
        """Delete the folder of a camera whose enrolment could not be finished (an import cut short).

        Only a camera without references: one that has any is removed with :meth:`remove_camera`,
        which keeps it.
        """
        folder = self.folder(camera_id)
        if any((folder / "references").glob("*.json")):
            raise StoreError(
                f"camera {camera_id!r} has references; remove it with 'fov-monitor camera remove'"
            )
        with _writing(folder):
            shutil.rmtree(folder)

    def restore_camera(self, camera_id: str, kept: Path) -> None:
        """Put a camera's folder kept by :meth:`remove_camera` back in its place (a removal undone)."""
        folder = self.folder(camera_id)
        if folder.exists():
            raise StoreError(f"cannot put {kept} back: {folder} exists; move one of them by hand")
        with _writing(folder):
            os.replace(kept, folder)

    # permits

    def permit(self, camera_id: str) -> StoredPermit | None:
        """Load the camera's permit, or None when none is set yet."""
        return self._stored_permit(self.camera(camera_id))

    def permit_history_path(self, camera_id: str) -> Path | None:
        """Return where :meth:`save_permit` would keep the current permit, None when there is none."""
        folder = self.folder(camera_id)
        return folder / "history" / f"permit-{_stamp()}.json" if (folder / "permit.json").exists() else None

    def save_permit(
        self,
        camera_id: str,
        permit: Permit,
        reference_size: tuple[int, int] | None,
        actor: str,
        *,
        keep_at: Path | None = None,
    ) -> Path | None:
        """Set the camera's permit; the previous one is kept in ``history/``; return where it is kept.

        All or nothing: a write that fails leaves the previous permit and no copy of it in ``history/``.

        Parameters
        ----------
        camera_id : str
        permit : Permit
        reference_size : (int, int) or None
            The size of the reference the permit is drawn on (checked to fit it).
        actor : str
        keep_at : Path, optional
            Where to keep the previous permit (from :meth:`permit_history_path`, to name it before).
        """
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
        kept = self._keep_in_history(path, keep_at) if path.exists() else None
        with _writing(path):
            try:
                write_json_atomic(path, document)
            except BaseException:
                if kept is not None:
                    kept.unlink(missing_ok=True)
                raise
        return kept

    def pending_permit(self, camera_id: str) -> PendingPermit | None:
        """Return the camera's permit of the whole view waiting for its first reference, if any.

        None too when the camera has a ``permit.json``: a pending permit counts only until then.
        """
        folder = self.folder(camera_id)
        path = folder / PENDING_PERMIT_FILE
        if (folder / "permit.json").exists() or not path.exists():
            return None
        return PendingPermit.from_dict(read_json(path), where=str(path))

    def save_pending_permit(self, camera_id: str, pending: PendingPermit) -> None:
        """Keep a permit of the whole view until the camera's first reference (which sets it)."""
        self.camera(camera_id)
        path = self.folder(camera_id) / PENDING_PERMIT_FILE
        with _writing(path):
            write_json_atomic(path, pending.to_dict())

    def drop_pending_permit(self, camera_id: str) -> None:
        """Remove the camera's pending permit (set, or replaced by a drawn one); nothing if none."""
        path = self.folder(camera_id) / PENDING_PERMIT_FILE
        with _writing(path):
            path.unlink(missing_ok=True)

    def enrolment(self, camera_id: str) -> Enrolment:
        """Return which references and permit the camera has, from the files there (nothing parsed)."""
        folder = self.folder(camera_id)
        try:
            names = os.listdir(folder / "references")
        except OSError:  # no folder (yet): no reference
            names = []
        labels = sorted(name[:-5] for name in names if name.endswith(".json") and not name.startswith("."))
        permit = os.path.exists(folder / "permit.json")
        return Enrolment(tuple(labels), permit, not permit and os.path.exists(folder / PENDING_PERMIT_FILE))

    # references

    def reference_infos(self, camera_id: str) -> list[ReferenceInfo]:
        """Return the camera's references, the first captured (the one permits are drawn on) first."""
        self.camera(camera_id)
        return self._reference_infos(camera_id)

    def reference_image(self, camera_id: str, label: str) -> NDArray[np.uint8]:
        """Read a reference image, checked against its record (see :func:`read_reference_image`)."""
        folder = self.folder(camera_id)
        data, _ = read_reference_image(folder, camera_id, self._info(camera_id, label))
        return decode_image_bytes(data, f"image file {reference_path(folder, label, '.png')}")

    def first_reference_size(self, state: CameraState) -> tuple[int, int] | None:
        """Return the size of the camera's first reference image (its permit is drawn on it).

        Read from the image itself (checked against its record), so that a record that says another
        size is blamed, not the permit measured against it. None when the camera has no reference.

        Raises
        ------
        InvalidSettingsError
            When the record's ``size_wh`` is not the image's, naming the record and the field.
        StoreError
            When the image cannot be read or does not match its record's checksum.
        """
        if not state.infos:
            return None
        info = state.infos[0]
        data, _ = read_reference_image(state.folder, state.camera_id, info)
        png = state.reference_path(info.label, ".png")
        size = image_size_wh(data, f"image file {png}")
        check_record_size(state, info, size)
        return size

    # a camera in one pass

    def camera_state(self, camera_id: str, *, config: CameraConfig | None = None) -> CameraState:
        """Read what the camera's JSON files say: settings, permit, reference records, each file once.

        Parameters
        ----------
        camera_id : str
        config : CameraConfig, optional
            The camera's settings when the caller has read them already (a scan grabs the frame
            before it judges it): ``camera.json`` is then not read again.

        Raises
        ------
        UnknownCameraError, InvalidSettingsError, InvalidPermitError, StoreError
            Naming the camera, or the file and the field.
        """
        if config is None:
            config = self.camera(camera_id)
        elif config.camera_id != camera_id:
            raise InvalidSettingsError(f"settings of camera {config.camera_id!r} given for {camera_id!r}")
        else:
            self._camera_json(camera_id)  # still enrolled
        stored_permit = self._stored_permit(config)
        infos = tuple(self._reference_infos(camera_id))
        return CameraState(self.folder(camera_id), config, stored_permit, infos)

    def load_camera(
        self, camera_id: str, settings: CheckSettings | None = None, *, config: CameraConfig | None = None
    ) -> LoadedCamera:
        """Read a camera in one pass: its state, each reference's image and features; write nothing.

        Each file is read once: ``camera.json`` (not at all when ``config`` is given), ``permit.json``,
        and each reference's ``.json``, ``.png`` (checked against its record) and ``.npz``. A cache that
        cannot be used costs speed only (the features are computed from the image); a reference that
        cannot be read is kept with its error (see :class:`LoadedCamera`). Neither is written back
        here: :meth:`repair` does that.

        Parameters
        ----------
        camera_id : str
        settings : CheckSettings, optional
            The settings the checks will run with.
        config : CameraConfig, optional
            As :meth:`camera_state`.

        Raises
        ------
        UnknownCameraError, InvalidSettingsError, InvalidPermitError, StoreError
            When the camera's JSON files cannot be read, naming the camera, or the file and the field.
        """
        return self.prepare(self.camera_state(camera_id, config=config), settings)

    def prepare(self, state: CameraState, settings: CheckSettings | None = None) -> LoadedCamera:
        """Read each reference's image and features for a state read already (see :meth:`load_camera`)."""
        return prepare_camera(state, settings)

    def repairs_needed(self, camera: LoadedCamera) -> list[str]:
        """Return what :meth:`repair` would write for ``camera``, in its words, writing nothing."""
        needed = []
        for loaded in camera.references:
            if loaded.prepared is None:
                continue
            label = loaded.info.label
            if loaded.restored_from is not None:
                needed.append(f"reference {label}: image put back from {loaded.restored_from.parent}")
            if loaded.cache_problem is not None:
                needed.append(f"reference {label}: feature cache {label}.npz rebuilt")
        return needed

    def repair(self, camera: LoadedCamera) -> list[str]:
        """Write back what reading ``camera`` had to make up for; return what was written.

        An image read from its copy in ``history/`` is put back; a feature cache that could not be
        used is written again from the features computed on load, and its checksum recorded. The
        record goes last, as in :meth:`save_reference`.

        Raises
        ------
        StoreError
            When the store cannot be written (what was there is unchanged).
        """
        done = []
        for loaded in camera.references:
            if loaded.prepared is None:
                continue
            info, label = loaded.info, loaded.info.label
            if loaded.restored_from is not None:
                data = loaded.restored_from.read_bytes()
                if hashlib.sha256(data).hexdigest() != info.image_sha256:
                    raise StoreError(f"{loaded.restored_from} changed since it was read; validate again")
                png = camera.state.reference_path(label, ".png")
                with _writing(png):
                    write_bytes_atomic(png, data)
                done.append(f"reference {label}: image put back from {loaded.restored_from.parent}")
            if loaded.cache_problem is not None:
                cache = camera.state.reference_path(label, ".npz")
                with _writing(cache):
                    save_reference(loaded.prepared, cache, image_sha256=info.image_sha256)
                    record = replace(info, features_sha256=_file_sha256(cache)).to_dict()
                    write_json_atomic(camera.state.reference_path(label, ".json"), record)
                done.append(f"reference {label}: feature cache {cache.name} rebuilt")
        return done

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
                save_reference(reference, cache, image_sha256=record["image_sha256"])
                record["features_sha256"] = _file_sha256(cache)
                # The record goes last: it is the commit point. A reference counts as stored only once
                # its record exists, and files that disagree with it are restored or rebuilt on load.
                write_json_atomic(self._reference_path(camera_id, label, ".json"), record)
            except BaseException:
                self._undo_reference(camera_id, label, kept)
                raise
        return kept

    def retire_reference(self, camera_id: str, label: str) -> Path:
        """Move a reference out of the camera's references into ``history/``; return where it went.

        The record goes first (a reference exists only while its record does), then the image and
        its cache; a crash between leaves files without a record, which the next capture overwrites.
        """
        kept = self._keep_references_in_history(camera_id, label)
        with _writing(kept):
            for suffix in (".json", ".png", ".npz"):
                self._reference_path(camera_id, label, suffix).unlink(missing_ok=True)
        return kept

    # helpers

    def _camera_json(self, camera_id: str) -> Path:
        """Return the camera's ``camera.json``, raising when the camera is not in the store."""
        path = self.folder(camera_id) / "camera.json"
        if not path.is_file():
            raise UnknownCameraError(
                f"camera {camera_id!r} is not in the store {self.root}; see 'fov-monitor camera list' "
                "or add it with 'fov-monitor camera add'"
            )
        return path

    def _stored_permit(self, config: CameraConfig) -> StoredPermit | None:
        path = self.folder(config.camera_id) / "permit.json"
        return read_stored_permit(path, config.tolerance) if path.exists() else None

    def _reference_infos(self, camera_id: str) -> list[ReferenceInfo]:
        folder = self.folder(camera_id) / "references"
        infos = [
            ReferenceInfo.from_dict(read_json(path), where=str(path))
            for path in sorted(folder.glob("*.json"))
            if not path.name.startswith(".")
        ]
        # The base reference first (its pixels are the permit's), learned ones last.
        return sorted(infos, key=lambda info: (info.is_learned, info.captured_at, info.label))

    def _info(self, camera_id: str, label: str) -> ReferenceInfo:
        path = self._reference_path(camera_id, label, ".json")
        if not path.exists():
            known = ", ".join(info.label for info in self.reference_infos(camera_id)) or "none"
            raise StoreError(
                f"camera {camera_id!r} has no {label!r} reference (has: {known}); capture one with "
                f"'fov-monitor reference capture {camera_id} --label {label}'"
            ).saying(N_("Camera %(camera)s has no reference %(label)s."), camera=camera_id, label=label)
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

    def _keep_in_history(self, path: Path, target: Path | None = None) -> Path:
        history = path.parent / "history"
        target = target or history / f"{path.stem}-{_stamp()}{path.suffix}"
        with _writing(history):
            history.mkdir(exist_ok=True)
            try:
                shutil.copy2(path, target)
            except BaseException:  # a copy cut short (a full disk) is no copy
                target.unlink(missing_ok=True)
                raise
        return target

    def _keep_references_in_history(self, camera_id: str, label: str) -> Path:
        history = self.folder(camera_id) / "history" / f"reference-{label}-{_stamp()}"
        with _writing(history):
            history.mkdir(parents=True)
            try:
                for suffix in (".png", ".json", ".npz"):
                    source = self._reference_path(camera_id, label, suffix)
                    if source.exists():
                        shutil.copy2(source, history / source.name)
            except BaseException:  # a copy cut short (a full disk) is no copy
                shutil.rmtree(history, ignore_errors=True)
                raise
        return history


def _is_unfinished_enrolment(folder: Path) -> bool:
    """Tell whether ``folder`` is what an enrolment cut short leaves: no ``camera.json``, and nothing
    in it but an empty ``references/``."""
    try:
        entries = list(folder.iterdir())
        return all(
            entry.name == "references" and entry.is_dir() and not any(entry.iterdir()) for entry in entries
        )
    except OSError:
        return False


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
        ).saying(
            N_(
                "The change cannot be written to the server's disk (%(reason)s); nothing was changed. "
                "Tell the administrator."
            ),
            reason=reason,
        ) from None


__all__ = [
    "PERMIT_SCHEMA_VERSION",
    "REFERENCE_SCHEMA_VERSION",
    "CameraState",
    "Enrolment",
    "LoadedCamera",
    "PendingPermit",
    "ReferenceInfo",
    "Store",
    "StoredPermit",
    "check_label",
    "iso_utc",
    "now_utc",
]
