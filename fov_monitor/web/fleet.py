"""The fleet's status per camera: the last verdict, when, and the trend of recent checks."""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fov_monitor.core.result import Status
from fov_monitor.db.database import RESULT_COLUMNS, Database, ResultRow
from fov_monitor.errors import FovMonitorError
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Enrolment, Store
from fov_monitor.web.context import public_text

TREND_LENGTH = 10
"""Results in a camera's trend on the fleet overview."""
PAGE_SIZE = 200
"""Cameras on one page of the overview (and of ``GET /api/fleet``)."""
CHUNK = 200
"""Cameras per query for their latest results (SQLite joins at most 500 SELECTs with UNION ALL)."""


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
    missing: tuple[str, ...] = ()
    """What the camera lacks to be checked: ``"reference"``, ``"permit"`` (see :class:`Enrolment`)."""
    permit_pending: bool = False
    """No permit yet, but one of the whole view waits for the first reference."""

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
            "missing": list(self.missing),
            "permit_pending": self.permit_pending,
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
        return _broken(store, camera_id, exc)
    row = _row(camera_id, config, database.history(camera_id, limit=TREND_LENGTH))
    return _with_enrolment(row, store.enrolment(camera_id))


@dataclass(frozen=True, slots=True)
class FleetPage:
    """One page of the fleet overview, and the whole fleet's counts."""

    rows: list[CameraStatus]
    """The page's cameras, by id."""
    total: int
    """Cameras that match the filters, on every page."""
    page: int
    pages: int
    page_size: int
    counts: dict[str, int]
    """Cameras per status in the whole fleet (filters aside); empty unless asked for."""
    groups: list[str]
    """Every group of the fleet, sorted."""
    lacking: dict[str, int] = field(default_factory=dict)
    """Cameras of the whole fleet without a reference, and without a permit; empty unless counted."""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (without the counts and groups, which the page shows)."""
        return {
            "cameras": [row.to_dict() for row in self.rows],
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "page_size": self.page_size,
        }


def fleet_page(
    store: Store,
    database: Database,
    *,
    group: str | None = None,
    statuses: Sequence[FleetStatus] = (),
    page: int = 1,
    page_size: int = PAGE_SIZE,
    with_counts: bool = False,
    incomplete: bool = False,
) -> FleetPage:
    """Return one page of the overview rows, by camera id, filtered by group and status when given.

    With ``incomplete``, only the cameras that have no reference or no permit yet; ``with_counts``
    counts those of the whole fleet too (from which files exist: nothing is parsed).

    The results database is read a bounded number of times, never once per camera: the page's trends
    in one query, and, when filtering by status or counting, every camera's latest result in one
    query per :data:`CHUNK` cameras.
    """
    configs: dict[str, CameraConfig | FovMonitorError] = {}
    for camera_id in store.camera_ids():
        try:
            configs[camera_id] = _camera(store, camera_id)
        except FovMonitorError as exc:
            configs[camera_id] = exc
    groups = sorted({c.group for c in configs.values() if isinstance(c, CameraConfig) and c.group})
    chosen = [
        camera_id
        for camera_id, config in configs.items()
        if group is None or (isinstance(config, CameraConfig) and config.group == group)
    ]
    counts: dict[str, int] = {}
    if statuses or with_counts:
        readable = [c for c in (configs if with_counts else chosen) if isinstance(configs[c], CameraConfig)]
        latest = recent_results(database, readable, 1)
        status_of = {
            camera_id: _status(latest.get(camera_id, []))
            if isinstance(configs[camera_id], CameraConfig)
            else FleetStatus.BROKEN
            for camera_id in (configs if with_counts else chosen)
        }
        if with_counts:
            for status in status_of.values():
                counts[str(status)] = counts.get(str(status), 0) + 1
        if statuses:
            chosen = [camera_id for camera_id in chosen if status_of[camera_id] in statuses]
    enrolments: dict[str, Enrolment] = {}
    lacking: dict[str, int] = {}
    if incomplete or with_counts:
        enrolments = {
            camera_id: store.enrolment(camera_id) for camera_id in (configs if with_counts else chosen)
        }
        if with_counts:
            needs = Counter(need for enrolment in enrolments.values() for need in enrolment.missing)
            lacking = {need: needs.get(need, 0) for need in ("reference", "permit")}
        if incomplete:
            chosen = [camera_id for camera_id in chosen if enrolments[camera_id].missing]
    pages = max(1, -(-len(chosen) // page_size))
    shown = chosen[(page - 1) * page_size : page * page_size]
    trends = recent_results(
        database, [c for c in shown if isinstance(configs[c], CameraConfig)], TREND_LENGTH
    )
    rows = []
    for camera_id in shown:
        config = configs[camera_id]
        if isinstance(config, FovMonitorError):
            rows.append(_broken(store, camera_id, config))
        else:
            row = _row(camera_id, config, trends.get(camera_id, []))
            rows.append(_with_enrolment(row, enrolments.get(camera_id) or store.enrolment(camera_id)))
    return FleetPage(rows, len(chosen), page, pages, page_size, counts, groups, lacking)


def recent_results(
    database: Database, camera_ids: Sequence[str], per_camera: int
) -> dict[str, list[ResultRow]]:
    """Return the latest ``per_camera`` results of each camera, newest first: one query per CHUNK cameras.

    Each camera's rows come from its own indexed ``ORDER BY ... LIMIT`` joined with ``UNION ALL``: that
    reads ``per_camera`` rows a camera, where a window function over the cameras' results would read
    their whole history (years of nightly scans).
    """
    found: dict[str, list[ResultRow]] = {}
    for start in range(0, len(camera_ids), CHUNK):
        chunk = camera_ids[start : start + CHUNK]
        sql = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {RESULT_COLUMNS} FROM results WHERE camera_id = ? "
            f"ORDER BY checked_at DESC, id DESC LIMIT ?) AS r{index}"
            for index in range(len(chunk))
        )
        for row in database.read(sql, tuple(p for camera_id in chunk for p in (camera_id, per_camera))):
            found.setdefault(row[1], []).append(ResultRow.from_row(row))
    for rows in found.values():
        rows.sort(key=lambda row: (row.checked_at, row.result_id), reverse=True)
    return found


def _with_enrolment(row: CameraStatus, enrolment: Enrolment) -> CameraStatus:
    return dataclasses.replace(row, missing=enrolment.missing, permit_pending=enrolment.permit_pending)


def _status(rows: Sequence[ResultRow]) -> FleetStatus:
    return FleetStatus(rows[0].status) if rows else FleetStatus.UNCHECKED


def _broken(store: Store, camera_id: str, exc: FovMonitorError) -> CameraStatus:
    return CameraStatus(
        camera_id, "", "", "", FleetStatus.BROKEN, None, None, (), public_text(store, str(exc))
    )


def _row(camera_id: str, config: CameraConfig, rows: Sequence[ResultRow]) -> CameraStatus:
    """Return a camera's overview row from its latest results (newest first)."""
    latest = rows[0] if rows else None
    return CameraStatus(
        camera_id,
        config.name,
        config.place,
        config.group,
        _status(rows),
        latest.checked_at if latest else None,
        latest.outside_fraction if latest else None,
        tuple(reversed(rows)),
    )
