"""The built-in demo cameras as a source: ``demo:cam-02-cafe`` is that camera's view tonight.

Three cameras made from photographs that scikit-image ships, so they run anywhere: one unchanged, one
knocked 10% out of its permit, one turned so that a privacy zone shows. Each grab is the demo scene's
live view with fresh sensor noise, encoded as a JPEG as a snapshot camera would send it, so successive
grabs differ as a live camera's do (a frozen feed would not). Enrolling them in a store is a use case:
:func:`fov_monitor.workflows.demo.enrol_demo`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data as samples

from fov_monitor.core.permit import Permit
from fov_monitor.core.result import Status
from fov_monitor.core.synthetic import crop_move
from fov_monitor.errors import SourceUnreachable
from fov_monitor.sources.deadline import Deadline
from fov_monitor.sources.result import Grab, decode_received

SENSOR_NOISE_SIGMA = 1.5
"""Grey levels of noise added to every grab: what keeps two grabs of a still scene apart."""


DEMO_GROUP = "demo"
"""The group of the demo cameras: ``fov-monitor demo`` scans this group only."""


@dataclass(frozen=True, slots=True)
class DemoCamera:
    """One demo camera: what happened to it, the verdict that story calls for, its reference, permit
    and tonight's live view."""

    camera_id: str
    story: str
    expected: Status
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
        Status.COMPLIANT,
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
        "cam-02-cafe", "knocked 10% to the right", Status.REDIRECTED, panned.reference, permit, panned.live
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
        "cam-03-launch",
        "turned 12% left off its privacy mask",
        Status.ZONE_EXPOSED,
        reference,
        zone_permit,
        live,
    )
    return (unchanged, knocked, exposed)


def demo_names() -> list[str]:
    """Return the ids of the demo cameras."""
    return [camera.camera_id for camera in demo_cameras()]


def demo_scene(camera_id: str) -> DemoCamera | None:
    """Return the demo camera ``camera_id``, or None when there is none of that id."""
    return next((camera for camera in demo_cameras() if camera.camera_id == camera_id), None)


def grab_demo(name: str, deadline: Deadline) -> Grab:
    """Grab the live view of the demo camera ``name``.

    Raises
    ------
    SourceUnreachable
        When there is no demo camera of that name.
    """
    deadline.stage = "rendering"
    scene = demo_scene(name)
    if scene is None:
        raise SourceUnreachable(
            f"source 'demo:{name}' names no demo camera (there are {', '.join(demo_names())}); "
            "fix the camera's source"
        )
    noise = np.random.default_rng().normal(0.0, SENSOR_NOISE_SIGMA, scene.live.shape)
    frame = np.clip(scene.live.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    _, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return decode_received(encoded.tobytes(), f"demo:{name}", deadline)
