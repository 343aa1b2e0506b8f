"""The built-in demo cameras, made from photographs that scikit-image ships, so they run anywhere.

Three cameras whose source is ``demo:<camera id>`` (:mod:`fov_monitor.sources.demo`): one unchanged,
one knocked 10% out of its permit, one turned so that a privacy zone shows. :func:`enrol_demo` enrols
them in a store as a technician would; ``fov-monitor demo`` then runs the nightly scan over them, and
any later ``fov-monitor scan`` checks them again like the rest of the fleet.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data as samples

from fov_monitor.camera import CameraConfig
from fov_monitor.database import Database
from fov_monitor.permit import Permit
from fov_monitor.reference_capture import capture_reference
from fov_monitor.store import Store
from fov_monitor.synthetic import crop_move

DEMO_GROUP = "demo"
"""The group of the demo cameras: ``fov-monitor demo`` scans this group only."""


@dataclass(frozen=True, slots=True)
class DemoCamera:
    """One demo camera: what happened to it, the verdict that story calls for, its reference, permit
    and tonight's live view."""

    camera_id: str
    story: str
    expected: str
    reference: NDArray[np.uint8]
    permit: Permit
    live: NDArray[np.uint8]

    def __post_init__(self) -> None:
        # Shared by every grab of the process (demo_cameras is cached): nobody may paint on them.
        self.reference.setflags(write=False)
        self.live.setflags(write=False)


@functools.cache
def demo_cameras() -> tuple[DemoCamera, ...]:
    """Build the demo cameras from scikit-image's sample photographs (once per process)."""
    astronaut = cv2.cvtColor(samples.astronaut(), cv2.COLOR_RGB2BGR)
    coffee = cv2.cvtColor(samples.coffee(), cv2.COLOR_RGB2BGR)
    rocket = cv2.cvtColor(samples.rocket(), cv2.COLOR_RGB2BGR)

    still = crop_move(astronaut, (0.002, 0.0))
    height, width = still.reference.shape[:2]
    unchanged = DemoCamera(
        "cam-01-square",
        "unchanged",
        "compliant",
        still.reference,
        Permit.whole_image((width, height)),
        still.live,
    )

    panned = crop_move(coffee, (0.10, 0.0))
    height, width = panned.reference.shape[:2]
    margin = 0.05 * width
    permit = Permit(
        permitted_xy=[(margin, 0), (width - margin, 0), (width - margin, height), (margin, height)]
    )
    knocked = DemoCamera(
        "cam-02-cafe", "knocked 10% to the right", "redirected", panned.reference, permit, panned.live
    )

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
        "cam-03-launch", "turned 12% left off its privacy mask", "zone_exposed", reference, zone_permit, live
    )
    return (unchanged, knocked, exposed)


def demo_names() -> list[str]:
    """Return the ids of the demo cameras."""
    return [camera.camera_id for camera in demo_cameras()]


def demo_scene(camera_id: str) -> DemoCamera | None:
    """Return the demo camera ``camera_id``, or None when there is none of that id."""
    return next((camera for camera in demo_cameras() if camera.camera_id == camera_id), None)


def enrol_demo(store: Store, database: Database, actor: str = "demo") -> list[str]:
    """Enrol the demo cameras a store does not hold yet, as a technician would; return their ids.

    Each is added with its ``demo:`` source, given a reference captured from the view it was
    installed with (faces blurred, self-tested) and its permit drawn on that reference. A camera
    already there keeps what it has; a step a crash left undone is done now.
    """
    store.init()
    enrolled = []
    for camera in demo_cameras():
        if not store.has_camera(camera.camera_id):
            store.add_camera(
                CameraConfig(
                    camera_id=camera.camera_id,
                    source=f"demo:{camera.camera_id}",
                    name=camera.story,
                    place="demo",
                    group=DEMO_GROUP,
                    hfov_deg=60.0,
                )
            )
            enrolled.append(camera.camera_id)
        if not store.reference_infos(camera.camera_id):
            with tempfile.TemporaryDirectory(prefix="fov-monitor-demo-") as folder:
                installed = Path(folder) / f"{camera.camera_id}.png"
                cv2.imwrite(str(installed), camera.reference)
                capture_reference(store, database, camera.camera_id, actor=actor, source=str(installed))
        if store.permit(camera.camera_id) is None:
            height, width = camera.reference.shape[:2]
            store.save_permit(camera.camera_id, camera.permit, (width, height), actor)
    return enrolled
