"""A demo fleet made from photographs that scikit-image ships, so it runs on a fresh machine.

Three cameras served as HTTP snapshot cameras on loopback: one unchanged, one panned out of its
permit, one turned so that a privacy zone shows.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data as samples

from fov_monitor.camera import CameraConfig
from fov_monitor.camera_check import CameraCheck, check_camera
from fov_monitor.database import Database
from fov_monitor.permit import Permit
from fov_monitor.reference_capture import capture_reference
from fov_monitor.snapshot_server import SnapshotServer
from fov_monitor.store import Store
from fov_monitor.synthetic import crop_move


@dataclass(frozen=True, slots=True)
class DemoCamera:
    """One demo camera: its reference, permit and tonight's live frame."""

    camera_id: str
    story: str
    reference: NDArray[np.uint8]
    permit: Permit
    live: NDArray[np.uint8]


def demo_cameras() -> list[DemoCamera]:
    """Build the demo cameras from scikit-image's sample photographs."""
    astronaut = cv2.cvtColor(samples.astronaut(), cv2.COLOR_RGB2BGR)
    coffee = cv2.cvtColor(samples.coffee(), cv2.COLOR_RGB2BGR)
    rocket = cv2.cvtColor(samples.rocket(), cv2.COLOR_RGB2BGR)

    still = crop_move(astronaut, (0.002, 0.0))
    height, width = still.reference.shape[:2]
    unchanged = DemoCamera(
        "cam-01-square", "unchanged", still.reference, Permit.whole_image((width, height)), still.live
    )

    panned = crop_move(coffee, (0.10, 0.0))
    height, width = panned.reference.shape[:2]
    margin = 0.05 * width
    permit = Permit(
        permitted_xy=[(margin, 0), (width - margin, 0), (width - margin, height), (margin, height)]
    )
    knocked = DemoCamera("cam-02-cafe", "knocked 10% to the right", panned.reference, permit, panned.live)

    # The camera blanks a neighbour's window with its own privacy mask, fixed in image coordinates;
    # when the camera is turned, the mask stays put and the window slides out from under it.
    turned = crop_move(rocket, (-0.12, 0.0))
    height, width = turned.reference.shape[:2]
    x0, x1, y0, y1 = int(0.20 * width), int(0.32 * width), int(0.30 * height), int(0.60 * height)
    reference, live = turned.reference.copy(), turned.live.copy()
    for image in (reference, live):
        image[y0:y1, x0:x1] = 96
    zone_permit = Permit(
        permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)],
        privacy_zones={"neighbour-window": [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]},
    )
    exposed = DemoCamera(
        "cam-03-launch", "turned 12% left off its privacy mask", reference, zone_permit, live
    )
    return [unchanged, knocked, exposed]


@dataclass(frozen=True, slots=True)
class DemoRun:
    """The demo's store and, per camera, what happened and what the check found."""

    store_root: Path
    checks: list[tuple[DemoCamera, CameraCheck]]


def run_demo(store_root: Path | None = None, actor: str = "demo") -> DemoRun:
    """Enrol the demo cameras in a fresh store, serve them over HTTP on loopback and check each.

    Each camera is enrolled as a technician would: added with its snapshot URL, a reference captured
    from the camera (faces blurred, self-tested), the permit set. Then the cameras serve tonight's
    view and are checked through the same path as ``fov-monitor check``.

    Parameters
    ----------
    store_root : Path, optional
        An empty folder for the demo store; a new temporary folder when omitted (kept afterwards,
        so the evidence images can be opened).
    actor : str
        Name written to the audit log.
    """
    root = Path(store_root) if store_root else Path(tempfile.mkdtemp(prefix="fov-monitor-demo-"))
    store = Store(root)
    store.init()
    checks = []
    with Database(store.database_path) as database, SnapshotServer() as server:
        for camera in demo_cameras():
            path = f"/{camera.camera_id}.jpg"
            server.put(path, camera.reference)
            store.add_camera(
                CameraConfig(
                    camera_id=camera.camera_id,
                    source=server.url(path),
                    name=camera.story,
                    place="demo",
                    group="demo",
                    hfov_deg=60.0,
                )
            )
            outcome = capture_reference(store, database, camera.camera_id, actor=actor)
            store.save_permit(camera.camera_id, camera.permit, outcome.info.size_wh, actor)
            server.put(path, camera.live)
            checks.append((camera, check_camera(store, database, camera.camera_id, actor=actor)))
    return DemoRun(root, checks)
