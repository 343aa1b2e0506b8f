"""Enrol a simulated fleet fast, through the store's API: the scan's tests and its benchmark share it.

A technician's enrolment grabs, blurs faces and self-tests each camera; a fleet of thousands is
enrolled here from in-memory images instead: one reference (features computed once) per distinct
view, and every further camera of the same view gets hard links to that camera's reference files,
exactly as ``Store.save_reference`` wrote them (so checksums and caches stay valid).
"""

from __future__ import annotations

import os

import numpy as np

from fov_monitor.core.permit import Decision, Permit
from fov_monitor.core.reference import Reference
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import ReferenceInfo, Store, now_utc


def enrol_view(
    store: Store,
    camera_id: str,
    source: str,
    image: np.ndarray,
    *,
    timeout_s: float,
    group: str = "",
    permitted_hours: tuple[str, ...] = (),
) -> None:
    """Enrol one camera whose reference is ``image`` (the whole reference permitted)."""
    store.add_camera(CameraConfig(camera_id, source=source, timeout_s=timeout_s, group=group))
    reference = Reference.from_image(image)
    height, width = image.shape[:2]
    info = ReferenceInfo(reference.label, (width, height), now_utc(), "fleet", source, "", {})
    store.save_reference(camera_id, reference.label, image, info, reference)
    decision = Decision("FLEET-1", permitted_hours=permitted_hours) if permitted_hours else None
    permit = Permit(permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)], decision=decision)
    store.save_permit(camera_id, permit, (width, height), "fleet")


def enrol_like(store: Store, template_id: str, camera_id: str, source: str, *, timeout_s: float) -> None:
    """Enrol ``camera_id`` with the same view, reference and permit as ``template_id``, in hard links."""
    template = store.camera(template_id)
    store.add_camera(CameraConfig(camera_id, source=source, timeout_s=timeout_s, group=template.group))
    for name in ("references/day.png", "references/day.npz", "references/day.json", "permit.json"):
        os.link(store.folder(template_id) / name, store.folder(camera_id) / name)
