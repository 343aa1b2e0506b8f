"""Which cameras a report covers, and which of them cannot be read from the store.

A camera whose ``camera.json``, ``permit.json`` or reference records are damaged is not reported (a
report on it would show a permit or a name that is not the real one), but it does not stop the
report either: it is named, with the reason and the fix, in the report and by the command. A
camera whose ``camera.json`` cannot be read has no known group, so it is named in every group's
report: better seen twice than missed.

The yearly report also covers the cameras removed from the store that have figures in its year
(:mod:`fov_monitor.report.removed`); the register does not. A removed camera of no known group is
in the report of the whole organisation only: counted in every group's, it would be counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from fov_monitor.errors import FovMonitorError, ReportError
from fov_monitor.report.removed import RemovedCamera
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store


class DamagedFile(StrEnum):
    """The store file of a camera that could not be read."""

    CAMERA = "camera.json"
    PERMIT = "permit.json"
    REFERENCE_RECORD = "references/*.json"
    REFERENCE_IMAGE = "references/*.png"


@dataclass(frozen=True, slots=True)
class UnreadableCamera:
    """A camera of the store left out of a report: its folder, what could not be read, and the fix.

    Attributes
    ----------
    camera_id : str
        The camera's folder name in the store (its id, when ``camera.json`` is readable).
    damaged : DamagedFile
        Which of its files could not be read.
    reason : str
        One line: the file and what is wrong with it.
    fix : str
        One line: what to do so the camera is reported again.
    group : str or None
        Its group, None when ``camera.json`` itself cannot be read.
    """

    camera_id: str
    damaged: DamagedFile
    reason: str
    fix: str
    group: str | None = None

    @classmethod
    def of(
        cls, camera_id: str, damaged: DamagedFile, error: BaseException | str, group: str | None = None
    ) -> UnreadableCamera:
        """Return the camera with the one-line reason ``error`` and the fix for ``damaged``."""
        reason = " ".join(str(error).split())
        return cls(camera_id, damaged, reason, _FIXES[damaged].format(camera=camera_id), group)

    def warning(self) -> str:
        """Return the line the command prints for this camera."""
        return (
            f"camera {self.camera_id} could not be read and is not reported: {self.reason} (fix: {self.fix})"
        )


_REFERENCE_FIX = (
    "restore {camera}/references/ from a backup, or capture the reference again with "
    "'fov-monitor reference rebaseline {camera}'"
)
_FIXES = {
    DamagedFile.CAMERA: "restore {camera}/camera.json from a backup, or move the folder {camera} out of "
    "the store if the camera is gone",
    DamagedFile.PERMIT: "restore {camera}/permit.json from {camera}/history/ or a backup, or set the "
    "permit again with 'fov-monitor permit set {camera}'",
    DamagedFile.REFERENCE_RECORD: _REFERENCE_FIX,
    DamagedFile.REFERENCE_IMAGE: _REFERENCE_FIX,
}


@dataclass(frozen=True, slots=True)
class CameraSelection:
    """The cameras of a report: those of the store that can be read, those that cannot, those removed.

    ``configs`` are the readable cameras of the store by id; ``removed`` the cameras removed from the
    store that the report still covers, by id (none for the register).
    """

    configs: dict[str, CameraConfig]
    unreadable: list[UnreadableCamera]
    removed: dict[str, RemovedCamera] = field(default_factory=dict)

    @property
    def camera_ids(self) -> list[str]:
        """The readable cameras of the store, sorted by id."""
        return sorted(self.configs)

    @property
    def reported_ids(self) -> list[str]:
        """The cameras the report has figures for: the readable and the removed ones, sorted by id."""
        return sorted(self.configs.keys() | self.removed.keys())

    def without(self, more: list[UnreadableCamera]) -> CameraSelection:
        """Return the selection with ``more`` cameras moved from readable to unreadable."""
        gone = {camera.camera_id for camera in more}
        configs = {camera_id: c for camera_id, c in self.configs.items() if camera_id not in gone}
        unreadable = sorted([*self.unreadable, *more], key=lambda camera: camera.camera_id)
        return CameraSelection(configs, unreadable, self.removed)


def select_cameras(store: Store, group: str | None, removed: Sequence[RemovedCamera] = ()) -> CameraSelection:
    """Return the store's cameras (of ``group`` when given): those that can be read and those that cannot.

    Each camera's ``camera.json``, ``permit.json`` and reference records are read; the reference
    images are checked where the permit drawings are made
    (:func:`fov_monitor.report.drawing.permit_drawings`).

    Parameters
    ----------
    store : Store
        The cameras.
    group : str or None
        Only the cameras of this group.
    removed : sequence of RemovedCamera
        Cameras removed from the store that the report covers too (those of ``group``, when given).

    Raises
    ------
    ReportError
        When there is no camera to report, or none of ``group`` (naming the groups there are).
    """
    ids = store.camera_ids()
    if not ids and not removed:
        raise ReportError(f"the store {store.root} has no cameras; add them with 'fov-monitor camera add'")
    configs, unreadable = _read_configs(store, ids)
    kept = {camera.camera_id: camera for camera in removed}
    if group is not None:
        known = sorted({config.group for config in configs.values()} | _groups(removed))
        configs = {camera_id: config for camera_id, config in configs.items() if config.group == group}
        kept = {camera_id: camera for camera_id, camera in kept.items() if camera.group == group}
        if not configs and not kept:
            raise ReportError(f"no camera is in group {group!r}; the store's groups are: {', '.join(known)}")
    for camera_id, config in list(configs.items()):
        damage = _damage(store, camera_id, config.group)
        if damage is not None:
            unreadable.append(damage)
            del configs[camera_id]
    return CameraSelection(configs, sorted(unreadable, key=lambda camera: camera.camera_id), kept)


def _read_configs(store: Store, ids: list[str]) -> tuple[dict[str, CameraConfig], list[UnreadableCamera]]:
    configs: dict[str, CameraConfig] = {}
    unreadable: list[UnreadableCamera] = []
    for camera_id in ids:
        try:
            configs[camera_id] = store.camera(camera_id)
        except FovMonitorError as exc:
            unreadable.append(UnreadableCamera.of(camera_id, DamagedFile.CAMERA, exc))
    return configs, unreadable


def _groups(removed: Sequence[RemovedCamera]) -> set[str]:
    return {camera.group for camera in removed if camera.group is not None}


def _damage(store: Store, camera_id: str, group: str) -> UnreadableCamera | None:
    try:
        store.permit(camera_id)
    except FovMonitorError as exc:
        return UnreadableCamera.of(camera_id, DamagedFile.PERMIT, exc, group)
    try:
        store.reference_infos(camera_id)
    except FovMonitorError as exc:
        return UnreadableCamera.of(camera_id, DamagedFile.REFERENCE_RECORD, exc, group)
    return None
