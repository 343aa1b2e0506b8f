"""The web tests' store: two cameras checked once, a user per role, served by the app under test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from _fleet import enrol_view
from conftest import sample_bgr

from fov_monitor.camera_check import check_camera
from fov_monitor.database import Database
from fov_monitor.permit import Permit
from fov_monitor.store import Store
from fov_monitor.synthetic import crop_move
from fov_monitor.web.accounts import add_user
from fov_monitor.web.roles import Role

PASSWORD = "correct horse battery"
FACE_CAMERA = "cam-face"
"""Its reference is stored unblurred on purpose: what the app serves must be blurred by the app."""
MOVED_CAMERA = "cam-moved"
"""Its live frame is panned 10 % off its reference: redirected."""
ZONE_XY = [(400.0, 400.0), (500.0, 400.0), (500.0, 500.0), (400.0, 500.0)]
"""A privacy zone of the face camera, away from the face."""


@dataclass(frozen=True)
class WebStore:
    """A store made for the web tests, and what is known about it."""

    root: Path
    face_image: np.ndarray


def user_name(role: Role) -> str:
    """Return the name of the test user with ``role``."""
    return f"{role}-user"


def build_store(root: Path) -> WebStore:
    """Enrol the two cameras, check each once (evidence kept), and add one user per role."""
    face = sample_bgr("astronaut")
    move = crop_move(sample_bgr("coffee"), (0.10, 0.0))
    sources = root.parent / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(sources / "face.png"), face)
    cv2.imwrite(str(sources / "moved.png"), move.live)
    store = Store(root)
    store.init()
    enrol_view(store, FACE_CAMERA, str(sources / "face.png"), face, timeout_s=10.0, group="north")
    height, width = face.shape[:2]
    permit = Permit(
        permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)], privacy_zones={"shed": ZONE_XY}
    )
    store.save_permit(FACE_CAMERA, permit, (width, height), "fixture")
    enrol_view(store, MOVED_CAMERA, str(sources / "moved.png"), move.reference, timeout_s=10.0, group="south")
    with Database(store.database_path) as database:
        for camera_id in (FACE_CAMERA, MOVED_CAMERA):
            check_camera(store, database, camera_id, actor="fixture", evidence="always")
        for role in Role:
            add_user(database, user_name(role), PASSWORD, role, actor="fixture")
    return WebStore(root, face)


__all__ = ["FACE_CAMERA", "MOVED_CAMERA", "PASSWORD", "ZONE_XY", "WebStore", "build_store", "user_name"]
