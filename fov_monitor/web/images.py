"""Every image the web app serves: faces blurred, privacy zones filled, the view audited first.

Faces are blurred here whatever the store's settings say (``blur_faces`` off, or
``FOV_MONITOR_UNBLURRED``): those govern what is written, never what is shown. A blurred face can
still be found by the detector (a strong face, lightly blurred): what is served is searched again and
what is still found is pixelated, until the detector finds no face. The audit line
(``image viewed``: who, which camera, which image) is written before a byte is sent; when it
cannot be written, nothing is sent.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import cv2
import numpy as np
from fastapi import Response

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import StoreError
from fov_monitor.faces.detection import blur_regions, detect_faces
from fov_monitor.faces.privacy import PrivacySettings, fill_privacy_zones, protect
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import StoredPermit, now_utc

JPEG_QUALITY = 85
EXTRA_PASSES = 2
"""Searches for faces left after blurring; each pixelates what it finds."""
CACHE_SIZE = 64
"""Protected images kept in memory, so that a page viewed again does not run the face model again."""

_cache: OrderedDict[Hashable, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def zones_for(stored: StoredPermit | None, size_wh: tuple[int, int]) -> list[np.ndarray]:
    """Return a camera's privacy zones scaled to an image of ``size_wh`` (the permit's reference is 1:1)."""
    if stored is None or not stored.permit.zones:
        return []
    drawn_wh = stored.reference_size or size_wh
    scale = np.array([size_wh[0] / drawn_wh[0], size_wh[1] / drawn_wh[1]])
    return [
        np.asarray(zone.exterior.coords, dtype=np.float64) * scale for zone in stored.permit.zones.values()
    ]


def protected_jpeg(image: np.ndarray, zones_xy: Sequence[np.ndarray], privacy: PrivacySettings) -> bytes:
    """Return ``image`` as JPEG with its faces blurred (no face left for the detector) and zones filled."""
    shown = protect(image, dataclasses.replace(privacy, blur_faces=True))
    for _ in range(EXTRA_PASSES):
        boxes = detect_faces(shown, settings=privacy.faces)
        if len(boxes) == 0:
            break
        shown = blur_regions(shown, boxes, method="pixelate", scale=privacy.faces.scale)
    shown = np.array(shown)  # filled on a copy, never on the caller's image
    fill_privacy_zones(shown, zones_xy)
    ok, encoded = cv2.imencode(".jpg", shown, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise StoreError("could not encode an image as JPEG")
    return bytes(encoded.tobytes())


def image_response(
    database: Database,
    settings: StoreSettings,
    *,
    actor: str,
    camera_id: str,
    image: Callable[[], np.ndarray],
    zones_xy: Sequence[np.ndarray],
    what: Mapping[str, Any],
    cache_key: Hashable,
) -> Response:
    """Blur faces, fill zones, write the audit line, then return the JPEG.

    Parameters
    ----------
    database : Database
        The audit log.
    settings : StoreSettings
        The request's reading of the store's settings: the face model's, read only when the image
        is not in the cache.
    actor : str
        The signed-in user who views the image.
    camera_id : str
    image : callable
        Returns the (H, W, 3) uint8 BGR image; called only when it is not in the cache.
    zones_xy : sequence of (N, 2) float arrays
        Privacy zones to fill, in the image's pixels (empty for images whose zones are filled already).
    what : mapping
        Which image this is (kind, label, result id), written to the audit line.
    cache_key : hashable
        Changes whenever the image or its zones do (file sizes and modification times).
    """
    with _cache_lock:
        data = _cache.get(cache_key)
        if data is not None:
            _cache.move_to_end(cache_key)
    if data is None:
        data = protected_jpeg(image(), zones_xy, settings.privacy)
        with _cache_lock:
            _cache[cache_key] = data
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    database.audit(actor, AuditAction.IMAGE_VIEWED, camera_id, dict(what), at=now_utc())
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "no-store, private"},
    )
