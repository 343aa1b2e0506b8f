"""The fleet's status per camera: the last verdict, when, and the trend of recent checks."""

from __future__ import annotations

import enum
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fov_monitor.camera import CameraConfig
from fov_monitor.database import Database, ResultRow
from fov_monitor.errors import FovMonitorError
from fov_monitor.result import Status
from fov_monitor.store import Store

TREND_LENGTH = 10
"""Results in a camera's trend on the fleet overview."""


class FleetStatus(enum.StrEnum):
    """A camera's status on the overview: its last verdict, or why there is none."""

    COMPLIANT = Status.COMPLIANT.value
    REDIRECTED = Status.REDIRECTED.value
    ZONE_EXPOSED = Status.ZONE_EXPOSED.value
    TAMPERED = Status.TAMPERED.value
    UNVERIFIABLE = Status.UNVERIFIABLE.value
    UNCHECKED = "unchecked"
    BROKEN = "broken"
    """The camera's folder cannot be read (a malformed camera.json)."""


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """One row of the fleet overview."""

    camera_id: str
    name: str
    place: str
    group: str
    status: FleetStatus
    checked_at: str | None
    outside_fraction: float | None
    trend: tuple[ResultRow, ...]
    """The latest results, oldest first."""
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "camera_id": self.camera_id,
            "name": self.name,
            "place": self.place,
            "group": self.group,
            "status": str(self.status),
            "checked_at": self.checked_at,
            "outside_fraction": self.outside_fraction,
            "trend": [
                {"checked_at": row.checked_at, "status": row.status, "outside_fraction": row.outside_fraction}
                for row in self.trend
            ],
            "problem": self.problem,
        }


_configs: dict[Path, tuple[tuple[int, int, int], CameraConfig]] = {}
_configs_lock = threading.Lock()


def _camera(store: Store, camera_id: str) -> CameraConfig:
    """Return a camera's settings, parsed again only when its file changed (the overview reads them all)."""
    path = store.folder(camera_id) / "camera.json"
    try:
        status = path.stat()
    except FileNotFoundError:
        return store.camera(camera_id)  # raises, naming the camera
    # Atomic writes replace the file: a new inode, time and size.
    key = (status.st_ino, status.st_mtime_ns, status.st_size)
    with _configs_lock:
        cached = _configs.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    config = store.camera(camera_id)
    with _configs_lock:
        _configs[path] = (key, config)
    return config


def camera_status(store: Store, database: Database, camera_id: str) -> CameraStatus:
    """Return the overview row of one camera."""
    try:
        config = _camera(store, camera_id)
    except FovMonitorError as exc:
        return CameraStatus(camera_id, "", "", "", FleetStatus.BROKEN, None, None, (), str(exc))
    rows = database.history(camera_id, limit=TREND_LENGTH)
    latest = rows[0] if rows else None
    return CameraStatus(
        camera_id,
        config.name,
        config.place,
        config.group,
        FleetStatus(latest.status) if latest else FleetStatus.UNCHECKED,
        latest.checked_at if latest else None,
        latest.outside_fraction if latest else None,
        tuple(reversed(rows)),
    )


def fleet_status(
    store: Store, database: Database, *, group: str | None = None, statuses: Sequence[FleetStatus] = ()
) -> list[CameraStatus]:
    """Return the overview rows of every camera, by id, filtered by group and status when given."""
    rows = [camera_status(store, database, camera_id) for camera_id in store.camera_ids()]
    return [
        row
        for row in rows
        if (group is None or row.group == group) and (not statuses or row.status in statuses)
    ]
