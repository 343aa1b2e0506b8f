"""A demo fleet made from photographs that scikit-image ships, so it runs on a fresh machine.

Three cameras: one unchanged, one panned out of its permit, one turned so that a privacy zone shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage import data as samples

from fov_monitor.check import check_frame
from fov_monitor.permit import Permit
from fov_monitor.reference import Reference
from fov_monitor.result import CheckResult
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


def run_demo() -> list[tuple[DemoCamera, CheckResult]]:
    """Check every demo camera and return the cameras with their results."""
    results = []
    for camera in demo_cameras():
        reference = Reference.from_image(camera.reference, label="day")
        results.append((camera, check_frame(reference, camera.permit, camera.live)))
    return results
