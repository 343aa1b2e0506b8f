"""The session's enrolled camera (the ``enrolled_template`` and ``enrolled`` fixtures of conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support.snapshot_server import SnapshotServer

CAMERA_SHIFT = 0.10
"""How far the 'panned' view of the enrolled camera is moved (share of the width)."""


@dataclass(frozen=True)
class EnrolledCamera:
    """A store with one camera served over HTTP, its reference captured and its permit set."""

    server: SnapshotServer
    template: Path
    camera_id: str
    path: str
    reference: np.ndarray
    panned: np.ndarray
    permit_xy: list[tuple[float, float]]
