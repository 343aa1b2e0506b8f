"""A camera read from the store in one pass, and what the read had to make up for.

:meth:`Store.camera_state <fov_monitor.store.store.Store.camera_state>` reads what a camera's JSON
files say (``camera.json``, ``permit.json``, ``references/<label>.json``), each file once;
:meth:`Store.load_camera <fov_monitor.store.store.Store.load_camera>` adds each reference's image,
checked against its recorded checksum, and its features from ``<label>.npz``, each file once. The
value is then passed down: nothing under it reads the camera's files again.

Reading never writes. What a read had to make up for is kept in the value and said in a log line,
for ``fov-monitor validate`` to name and ``fov-monitor validate --repair``
(:meth:`Store.repair <fov_monitor.store.store.Store.repair>`) to write back:

- a feature cache that is missing, damaged, made at another working width, not the one the record
  names (or the record names none) or made from another image: the features are computed from the
  image, in memory;
- an image that does not match its record while a copy kept in ``history/`` does (a re-baseline cut
  short between the image and its record): that copy is used.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.reference import Reference
from fov_monitor.core.settings import CheckSettings
from fov_monitor.errors import N_, FovMonitorError, InvalidSettingsError, ReferenceCacheError, StoreError
from fov_monitor.files.images import decode_image_bytes
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.records import ReferenceInfo, StoredPermit, check_label, unreadable_file
from fov_monitor.store.reference_cache import decode_reference

log = logging.getLogger(__name__)

REPAIR = "'fov-monitor validate --repair'"
"""The command that writes back what a read had to make up for."""


@dataclass(frozen=True, slots=True)
class CameraState:
    """What a camera's JSON files say, each read and validated once.

    Attributes
    ----------
    folder : Path
        The camera's folder in the store.
    config : CameraConfig
        ``camera.json``.
    stored_permit : StoredPermit or None
        ``permit.json`` with its decision; None before a permit is set.
    infos : tuple of ReferenceInfo
        ``references/<label>.json``, the first captured (the one permits are drawn on) first.
    """

    folder: Path
    config: CameraConfig
    stored_permit: StoredPermit | None
    infos: tuple[ReferenceInfo, ...]

    @property
    def camera_id(self) -> str:
        """The camera's id."""
        return self.config.camera_id

    @property
    def permit_path(self) -> Path:
        """Where the camera's permit is kept, for messages."""
        return self.folder / "permit.json"

    def reference_path(self, label: str, suffix: str) -> Path:
        """Return the file of reference ``label`` with ``suffix`` (``.png``, ``.json``, ``.npz``)."""
        return reference_path(self.folder, label, suffix)


@dataclass(frozen=True, slots=True)
class LoadedReference:
    """One reference as read: its record, its prepared features, or why it has none.

    Attributes
    ----------
    info : ReferenceInfo
    prepared : Reference or None
        The features, at the settings' working width; None when ``error`` says why.
    error : FovMonitorError or None
        Why the reference cannot be used (its image missing, or not the recorded one with no copy in
        ``history/`` that is).
    cache_problem : str or None
        Why the features were computed from the image instead of read from ``<label>.npz``; None when
        the cache served.
    restored_from : Path or None
        The copy in ``history/`` the image was read from because the reference's own file does not
        match its record; None when the file does.
    """

    info: ReferenceInfo
    prepared: Reference | None
    error: FovMonitorError | None = None
    cache_problem: str | None = None
    restored_from: Path | None = None


@dataclass(frozen=True, slots=True)
class LoadedCamera:
    """A camera read in one pass: settings, permit, references with their features.

    Attributes
    ----------
    state : CameraState
        What its JSON files say.
    references : tuple of LoadedReference
        One per record of ``state.infos``, in the same order.
    base_png : bytes or None
        The first reference's image file (PNG), checked against its record, for evidence drawn on it;
        None when that reference could not be read.
    """

    state: CameraState
    references: tuple[LoadedReference, ...]
    base_png: bytes | None = field(default=None, repr=False)

    @property
    def camera_id(self) -> str:
        """The camera's id."""
        return self.state.camera_id

    @property
    def config(self) -> CameraConfig:
        """The camera's settings."""
        return self.state.config

    @property
    def stored_permit(self) -> StoredPermit | None:
        """The camera's permit as stored, None before one is set."""
        return self.state.stored_permit

    def prepared(self) -> list[Reference]:
        """Return every reference's features, the first captured first.

        Raises
        ------
        StoreError
            When the camera has no reference yet.
        FovMonitorError
            The first reference's error, when one cannot be used (naming the file and the fix).
        """
        if not self.references:
            raise StoreError(
                f"camera {self.camera_id!r} has no reference yet; capture one with "
                f"'fov-monitor reference capture {self.camera_id}'"
            ).saying(
                N_("Camera %(camera)s has no reference image yet: a technician captures one first."),
                camera=self.camera_id,
            )
        prepared = []
        for loaded in self.references:
            if loaded.prepared is None:
                raise loaded.error or StoreError(
                    f"camera {self.camera_id!r}: reference {loaded.info.label} unread"
                )
            prepared.append(loaded.prepared)
        return prepared

    def base_image(self) -> NDArray[np.uint8]:
        """Decode the first reference's image, (H, W, 3) uint8 BGR.

        Raises
        ------
        FovMonitorError
            When the camera has no usable first reference (see :meth:`prepared`).
        """
        if self.base_png is None:
            self.prepared()  # raises, saying why
            raise StoreError(f"camera {self.camera_id!r}: its first reference image was not read")
        path = self.state.reference_path(self.references[0].info.label, ".png")
        return decode_image_bytes(self.base_png, f"image file {path}")


def prepare_camera(state: CameraState, settings: CheckSettings | None = None) -> LoadedCamera:
    """Read every reference of ``state``: image checked against its record, features; write nothing.

    Parameters
    ----------
    state : CameraState
        From :meth:`Store.camera_state <fov_monitor.store.store.Store.camera_state>`.
    settings : CheckSettings, optional
        The settings the checks will run with (the cache must have been made at their working width).

    Returns
    -------
    LoadedCamera
        A reference that cannot be read is kept with its error, not raised: a check raises it
        (:meth:`LoadedCamera.prepared`), ``validate`` lists every one.
    """
    settings = settings or CheckSettings()
    loaded: list[LoadedReference] = []
    base_png = None
    for index, info in enumerate(state.infos):
        try:
            data, restored_from = read_reference_image(state.folder, state.camera_id, info)
        except FovMonitorError as exc:
            loaded.append(LoadedReference(info, None, exc))
            continue
        if index == 0:
            base_png = data
        try:
            prepared, cache_problem = _features(state, info, data, settings)
        except FovMonitorError as exc:  # an image that matches its record but cannot be decoded
            loaded.append(LoadedReference(info, None, exc, restored_from=restored_from))
            continue
        loaded.append(LoadedReference(info, prepared, None, cache_problem, restored_from))
    return LoadedCamera(state, tuple(loaded), base_png)


def read_reference_image(folder: Path, camera_id: str, info: ReferenceInfo) -> tuple[bytes, Path | None]:
    """Return a reference image file's bytes, checked against its record, and the copy they came from.

    A file that does not match its record is looked for in ``history/``, newest first: a re-baseline
    cut short between the image and its record leaves the old record with the new image, and the
    re-baseline kept the old image there. That copy is read, not put back: a read never writes.

    Parameters
    ----------
    folder : Path
        The camera's folder.
    camera_id : str
    info : ReferenceInfo
        The reference's record.

    Returns
    -------
    data : bytes
        The PNG file's content, matching ``info.image_sha256``.
    restored_from : Path or None
        The copy in ``history/`` read instead of the reference's own file, None when that file matches.

    Raises
    ------
    StoreError
        When the image is missing, or matches its record nowhere.
    """
    path = reference_path(folder, info.label, ".png")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(
            f"reference image {path} is missing; capture it again with 'fov-monitor reference "
            f"rebaseline {camera_id} --label {info.label}'"
        ).saying(
            N_(
                "The reference image %(label)s of camera %(camera)s is missing: a technician captures it "
                "again."
            ),
            camera=camera_id,
            label=info.label,
        ) from None
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    if _sha256(data) == info.image_sha256:
        return data, None
    history = folder / "history"
    for kept in sorted(history.glob(f"reference-{info.label}-*/{info.label}.png"), reverse=True):
        try:
            data = kept.read_bytes()
        except OSError:
            continue  # a copy that cannot be read is no copy
        if _sha256(data) == info.image_sha256:
            log.warning(
                "camera %s: reference image %s does not match its record; read the copy in %s instead "
                "(put it back with %s)",
                camera_id,
                path,
                kept.parent,
                REPAIR,
            )
            return data, kept
    raise StoreError(
        f"reference image {path} does not match its recorded checksum (damaged or edited); "
        f"restore it from backup or re-baseline with 'fov-monitor reference rebaseline {camera_id}'"
    ).saying(
        N_(
            "The reference image %(label)s of camera %(camera)s is damaged or was edited: an "
            "administrator restores it from a backup, or it is replaced by an approved re-baseline."
        ),
        camera=camera_id,
        label=info.label,
    )


def check_record_size(state: CameraState, info: ReferenceInfo, image_wh: tuple[int, int]) -> None:
    """Raise when the reference's record says another size than its image's ``image_wh``.

    The image matches its recorded checksum, so it is the record's ``size_wh`` that is wrong.

    Raises
    ------
    InvalidSettingsError
        Naming the record, the field, both sizes and the fix.
    """
    if tuple(info.size_wh) == tuple(image_wh):
        return
    record, png = state.reference_path(info.label, ".json"), state.reference_path(info.label, ".png")
    raise InvalidSettingsError(
        f"{record}: field 'size_wh' is {info.size_wh[0]}x{info.size_wh[1]}, but the image {png.name} is "
        f"{image_wh[0]}x{image_wh[1]}; set it to [{image_wh[0]}, {image_wh[1]}] (the image matches its "
        "recorded checksum) or restore the record from a backup"
    )


def reference_path(folder: Path, label: str, suffix: str) -> Path:
    """Return the file of reference ``label`` with ``suffix`` in a camera's ``folder``."""
    return folder / "references" / f"{check_label(label)}{suffix}"


def _features(
    state: CameraState, info: ReferenceInfo, png: bytes, settings: CheckSettings
) -> tuple[Reference, str | None]:
    """Return the reference's features, with a learned reference's homography to the base from its record."""
    reference, problem = _cached_or_computed(state, info, png, settings)
    if info.is_learned:
        reference = replace(reference, to_base=info.to_base())
    return reference, problem


def _cached_or_computed(
    state: CameraState, info: ReferenceInfo, png: bytes, settings: CheckSettings
) -> tuple[Reference, str | None]:
    """Return the reference's features from its cache, else computed from ``png`` with the reason."""
    cache = state.reference_path(info.label, ".npz")
    try:
        data = cache.read_bytes()
        # The record binds the cache to the image: the cache's checksum is in the record beside the
        # image's, and the cache names the image it was made from. A cache the record does not name
        # could be any image's (another camera's of the same size would give its verdicts).
        if info.features_sha256 is None:
            raise ReferenceCacheError(
                f"feature cache {cache} is not bound to its image (its record {info.label}.json names no "
                "checksum for it)"
            )
        if _sha256(data) != info.features_sha256:
            raise ReferenceCacheError(f"feature cache {cache} does not match its recorded checksum")
        return decode_reference(data, cache, settings, image_sha256=info.image_sha256), None
    except FileNotFoundError:
        problem = f"feature cache {cache} does not exist"
    except OSError as exc:
        problem = f"feature cache {cache} cannot be read ({exc.strerror or exc})"
    except ReferenceCacheError as exc:
        problem = str(exc).removesuffix("; prepare the reference again")
    log.warning(
        "camera %s: features of the %r reference computed from its image, not read: %s (rebuild it with %s)",
        state.camera_id,
        info.label,
        problem,
        REPAIR,
    )
    image = decode_image_bytes(png, f"image file {state.reference_path(info.label, '.png')}")
    return Reference.from_image(image, label=info.label, settings=settings), problem


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "CameraState",
    "LoadedCamera",
    "LoadedReference",
    "check_record_size",
    "prepare_camera",
    "read_reference_image",
    "reference_path",
]
