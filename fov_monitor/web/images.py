"""Every image the web app serves: faces blurred, privacy zones filled, the view audited first.

Faces are blurred here whatever the store's settings say (``blur_faces`` off, or
``FOV_MONITOR_UNBLURRED``): those govern what is written, never what is shown. A blurred face can
still be found by the detector (a strong face, lightly blurred): what is served is searched again and
what is still found is pixelated, then filled (:func:`~fov_monitor.faces.privacy.shown_jpeg`). The audit line
(``image viewed``: who, which camera, which image) is written before a byte is sent; when it
cannot be written, nothing is sent.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from fastapi import Response

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import PrivacySettings, shown_jpeg
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import now_utc

JPEG_QUALITY = 85
CACHE_SIZE = 64
"""Protected images kept in memory, so that a page viewed again does not run the face model again."""

_cache: OrderedDict[Hashable, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def protected_jpeg(image: np.ndarray, zones_xy: Sequence[np.ndarray], privacy: PrivacySettings) -> bytes:
    """Return ``image`` as JPEG with its faces blurred (no face left for the detector) and zones filled."""
    return shown_jpeg(image, privacy, zones_xy, JPEG_QUALITY)


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
