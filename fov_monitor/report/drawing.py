"""The permit drawing: the reference with the permitted area and the privacy zones, faces blurred.

Every image leaving fov-monitor goes through :func:`fov_monitor.faces.privacy.protect`: the reference is
protected, shrunk to the report's working width, then the zones are filled (grey, red
border) and the permitted area outlined (green), as on the evidence images.

Faces are searched on the reference shrunk to the width shown: the face search enlarges what it is
given (``FaceSettings.enlarge``), so every face of 10 px or more in the drawing is found, and a face
shown is never smaller than when it was searched for.

The search gives the same answer as long as the reference and the privacy settings stay the same,
so the protected, shrunk reference is kept in ``<store>/.cache/report-views/``, named by the
reference's recorded checksum, its file's size, the width and the privacy settings; a changed
reference or setting gets a new name. The size costs one ``stat`` and catches a reference file cut
short since it was cached, which is then read, found damaged and reported, not drawn from the
cache. A store that cannot be written only loses the speed. Cache misses are protected in parallel
processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.errors import FovMonitorError, ReportError
from fov_monitor.faces.privacy import PrivacySettings, fill_privacy_zones, protect
from fov_monitor.files.atomic import write_bytes_atomic
from fov_monitor.report.embed import data_uri
from fov_monitor.report.selection import DamagedFile, UnreadableCamera
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store

log = logging.getLogger(__name__)

WORK_WIDTH_PX = 800
"""Width of the permit drawing in the yearly report."""

REGISTER_WIDTH_PX = 480
"""Width of the permitted view in the public register."""

CACHE_FOLDER = Path(".cache") / "report-views"
_CACHE_VERSION = "3"
_GREEN = (60, 200, 60)
_RED = (40, 40, 220)


@dataclass(frozen=True, slots=True)
class PermitDrawing:
    """A camera's permit drawing at the report's and the register's width, or why there is none.

    ``damaged`` names the store file that could not be read, telling such a camera from one that has
    no reference or permit yet (None).
    """

    yearly_uri: str | None
    register_uri: str | None
    reason: str = ""
    damaged: DamagedFile | None = None

    def __bool__(self) -> bool:
        return self.yearly_uri is not None


@dataclass(frozen=True, slots=True)
class _Base:
    """Where one camera's protected reference comes from and where its cached copy goes."""

    camera_id: str
    label: str
    cache_path: Path


def permit_drawings(
    store: Store, camera_ids: Sequence[str], privacy: PrivacySettings, *, jobs: int | None = None
) -> dict[str, PermitDrawing]:
    """Return the permit drawing of every camera (a drawing that cannot be made says why).

    Parameters
    ----------
    store : Store
        The cameras, their references and permits; its cache folder is used when writable.
    camera_ids : sequence of str
        The cameras.
    privacy : PrivacySettings
        How faces are blurred (the store's settings). Blurring is on whatever they say: a store may
        keep its references unblurred for its own reasons, but a report or a public register is
        published and never shows a face.
    jobs : int, optional
        Processes for the references not cached yet (default: the machine's cores).
    """
    privacy = dataclasses.replace(privacy, blur_faces=True)
    drawings: dict[str, PermitDrawing] = {}
    bases: dict[str, _Base] = {}
    for camera_id in camera_ids:
        try:
            infos = store.reference_infos(camera_id)
        except FovMonitorError as exc:
            drawings[camera_id] = PermitDrawing(
                None, None, f"its reference cannot be read ({exc})", DamagedFile.REFERENCE_RECORD
            )
            continue
        if not infos:
            drawings[camera_id] = PermitDrawing(None, None, "it has no reference image yet")
            continue
        # The store's layout of reference images (Store keeps the path private).
        image_path = store.folder(camera_id) / "references" / f"{infos[0].label}.png"
        try:
            image_bytes = image_path.stat().st_size
        except OSError:
            reason = f"its reference image {image_path} is missing"
            drawings[camera_id] = PermitDrawing(None, None, reason, DamagedFile.REFERENCE_IMAGE)
            continue
        key = hashlib.sha256(
            f"{_CACHE_VERSION}|{infos[0].image_sha256}|{image_bytes}|{WORK_WIDTH_PX}|{privacy!r}".encode()
        ).hexdigest()[:24]
        bases[camera_id] = _Base(
            camera_id, infos[0].label, store.root / CACHE_FOLDER / f"{camera_id}-{key}.png"
        )
    missing = [base for base in bases.values() if not base.cache_path.is_file()]
    _protect_missing(store, missing, privacy, jobs)
    for camera_id, base in bases.items():
        drawings[camera_id] = _draw(store, base, privacy)
    return drawings


def _protect_missing(
    store: Store, missing: Sequence[_Base], privacy: PrivacySettings, jobs: int | None
) -> None:
    if not missing:
        return
    workers = max(1, min(jobs or os.cpu_count() or 1, len(missing)))
    log.info("protecting %d references in %d processes", len(missing), workers)
    if workers == 1:
        for base in missing:
            _protect_and_cache(store.root, base, privacy)
        return
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_protect_and_cache, [store.root] * len(missing), missing, [privacy] * len(missing)))


def _protect_and_cache(root: Path, base: _Base, privacy: PrivacySettings) -> None:
    """Shrink and protect one reference and keep it in the cache; a failure is drawn as its reason later."""
    store = Store(root)
    try:
        reference = store.reference_image(base.camera_id, base.label)
    except FovMonitorError as exc:
        log.info("camera %s: no permit drawing (%s)", base.camera_id, exc)  # the caller reports it
        return
    protected = _protected(reference, privacy)
    ok, encoded = cv2.imencode(".png", protected)
    if not ok:
        return
    try:
        base.cache_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(base.cache_path, encoded.tobytes())
    except OSError as exc:
        log.warning("could not keep the protected reference %s: %s", base.cache_path, exc)


def _draw(store: Store, base: _Base, privacy: PrivacySettings) -> PermitDrawing:
    if base.cache_path.is_file():
        image = cv2.imread(str(base.cache_path), cv2.IMREAD_COLOR)
    else:  # the cache could not be written: protect here, slower but the same picture
        try:
            reference = store.reference_image(base.camera_id, base.label)
        except FovMonitorError as exc:
            return PermitDrawing(
                None, None, f"its reference cannot be read ({exc})", DamagedFile.REFERENCE_IMAGE
            )
        image = _protected(reference, privacy)
    if image is None:
        return PermitDrawing(None, None, "its cached reference view cannot be read")
    try:
        stored = store.permit(base.camera_id)
    except FovMonitorError as exc:
        return PermitDrawing(None, None, f"its permit cannot be read ({exc})", DamagedFile.PERMIT)
    if stored is None:
        return PermitDrawing(None, None, "it has no permit yet")
    source_width = stored.reference_size[0] if stored.reference_size else None
    if source_width is None:
        infos = store.reference_infos(base.camera_id)
        source_width = infos[0].size_wh[0]
    scale = image.shape[1] / source_width
    permit = stored.permit
    zones = [np.asarray(zone.exterior.coords) * scale for zone in permit.zones.values()]
    if zones:
        fill_privacy_zones(image, zones)
        cv2.polylines(image, [np.round(zone).astype(np.int32) for zone in zones], True, _RED, 2, cv2.LINE_AA)
    permitted = np.asarray(permit.permitted.exterior.coords) * scale
    cv2.polylines(image, [np.round(permitted).astype(np.int32)], True, _GREEN, 3, cv2.LINE_AA)
    return PermitDrawing(_jpeg_uri(image, 80), _jpeg_uri(_shrink(image, REGISTER_WIDTH_PX), 75))


def _protected(reference: NDArray[np.uint8], privacy: PrivacySettings) -> NDArray[np.uint8]:
    """Return the reference shrunk to the working width, faces blurred at that width."""
    return np.asarray(protect(_shrink(reference, WORK_WIDTH_PX), privacy), np.uint8)


def _shrink(image: NDArray[np.uint8], width: int) -> NDArray[np.uint8]:
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[1] <= width:
        return np.ascontiguousarray(image)
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def _jpeg_uri(image: NDArray[np.uint8], quality: int) -> str:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ReportError("could not encode the permit drawing as JPEG")
    return data_uri("image/jpeg", encoded.tobytes())


def damaged_drawings(
    drawings: dict[str, PermitDrawing], configs: dict[str, CameraConfig]
) -> list[UnreadableCamera]:
    """Return the cameras whose drawing could not be made because a store file of theirs is damaged."""
    return [
        UnreadableCamera.of(camera_id, drawing.damaged, drawing.reason, configs[camera_id].group)
        for camera_id, drawing in drawings.items()
        if drawing.damaged is not None
    ]
