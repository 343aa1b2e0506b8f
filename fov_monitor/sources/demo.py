"""The built-in demo cameras as a source: ``demo:cam-02-cafe`` is that camera's view tonight.

Each grab is the demo scene's live view with fresh sensor noise, encoded as a JPEG as a snapshot
camera would send it, so successive grabs differ as a live camera's do (a frozen feed would not).
"""

from __future__ import annotations

import cv2
import numpy as np

from fov_monitor.errors import SourceUnreachable
from fov_monitor.sources.deadline import Deadline
from fov_monitor.sources.result import Grab, decode_received

SENSOR_NOISE_SIGMA = 1.5
"""Grey levels of noise added to every grab: what keeps two grabs of a still scene apart."""


def grab_demo(name: str, deadline: Deadline) -> Grab:
    """Grab the live view of the demo camera ``name``.

    Raises
    ------
    SourceUnreachable
        When there is no demo camera of that name.
    """
    # Imported here: the scenes import the core, which imports the sources.
    from fov_monitor.demo import demo_names, demo_scene

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
