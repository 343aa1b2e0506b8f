"""Privacy by default: faces are blurred in every image fov-monitor writes or serves."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from fov_monitor.faces import FaceSettings, blur_faces

UNBLURRED_ENV = "FOV_MONITOR_UNBLURRED"
"""Set to ``1`` to write images without blurring faces (tests of the drawing only; never in service)."""


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """How images are anonymised before they are written or served.

    Attributes
    ----------
    blur_faces : bool
        Blur every detected face (the default). Turning it off is for tests only.
    faces : FaceSettings, optional
        The face model, threshold and blur method.
    """

    blur_faces: bool = True
    faces: FaceSettings | None = None

    @classmethod
    def from_environment(cls) -> PrivacySettings:
        """Return the default settings, unless the environment explicitly turns blurring off."""
        return cls(blur_faces=os.environ.get(UNBLURRED_ENV) != "1")


def protect(image: np.ndarray, settings: PrivacySettings | None = None) -> np.ndarray:
    """Return ``image`` with faces blurred, as ``settings`` (default: blur) say."""
    settings = settings or PrivacySettings.from_environment()
    if not settings.blur_faces:
        return image
    return blur_faces(image, settings=settings.faces)
