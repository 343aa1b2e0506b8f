"""Enrol the built-in demo cameras (:mod:`fov_monitor.sources.demo`) in a store as a technician would.

``fov-monitor demo`` then runs the nightly pass over them, and any later ``fov-monitor scan`` checks
them again like the rest of the fleet.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.sources.demo import DEMO_GROUP, demo_cameras
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store, now_utc
from fov_monitor.workflows.reference_capture import capture_reference


def enrol_demo(store: Store, database: Database, privacy: PrivacySettings, actor: str = "demo") -> list[str]:
    """Enrol the demo cameras a store does not hold yet, as a technician would; return their ids.

    Each is added with its ``demo:`` source, given a reference captured from the view it was
    installed with (faces blurred as ``privacy`` says, self-tested) and its permit drawn on that
    reference. A camera already there keeps what it has; a step a crash left undone is done now.
    """
    store.init()
    enrolled = []
    for camera in demo_cameras():
        if not store.has_camera(camera.camera_id):
            config = CameraConfig(
                camera_id=camera.camera_id,
                source=f"demo:{camera.camera_id}",
                name=camera.story,
                place="demo",
                group=DEMO_GROUP,
                hfov_deg=60.0,
            )
            store.check_new_camera(config.camera_id)
            settings = {"settings": config.to_dict()}
            with database.audited_change(
                actor, AuditAction.CAMERA_ADDED, config.camera_id, settings, now_utc()
            ):
                store.add_camera(config)
            enrolled.append(camera.camera_id)
        if not store.reference_infos(camera.camera_id):
            with tempfile.TemporaryDirectory(prefix="fov-monitor-demo-") as folder:
                installed = Path(folder) / f"{camera.camera_id}.png"
                cv2.imwrite(str(installed), camera.reference)
                capture_reference(
                    store, database, camera.camera_id, actor=actor, source=str(installed), privacy=privacy
                )
        if store.permit(camera.camera_id) is None:
            height, width = camera.reference.shape[:2]
            detail = {"permit": camera.permit.to_dict(), "previous_kept_at": None}
            with database.audited_change(actor, AuditAction.PERMIT_SET, camera.camera_id, detail, now_utc()):
                store.save_permit(camera.camera_id, camera.permit, (width, height), actor)
    return enrolled
