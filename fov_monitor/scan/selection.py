"""Which cameras a scan covers: all, a group, a list, and with ``--due`` only those due now."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fov_monitor.errors import FovMonitorError
from fov_monitor.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Selection:
    """The cameras a scan run covers; recorded with the run, so that a resumed run covers the same.

    Attributes
    ----------
    group : str or None
        Only cameras of this group (``camera.json``'s ``group``).
    cameras : tuple of str
        Only these cameras (all when empty).
    due : bool
        Only cameras whose permit allows filming at the run's start (see :func:`is_due`).
    """

    group: str | None = None
    cameras: tuple[str, ...] = ()
    due: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form stored with the run."""
        return {"group": self.group, "cameras": list(self.cameras), "due": self.due}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        """Read the JSON form stored with a run."""
        return cls(data.get("group"), tuple(data.get("cameras") or ()), bool(data.get("due")))


def is_due(store: Store, camera_id: str, at: datetime) -> bool:
    """Return True if the camera's permit allows filming at ``at`` (local wall-clock time).

    A camera permitted only at night (``permitted_hours: ["22:00-06:00"]``) is due only then: a view
    it may not film outside its hours cannot be judged against the permit then. A camera without a
    decision or without hours is always due.
    """
    stored = store.permit(camera_id)
    if stored is None or stored.permit.decision is None:
        return True
    local = at.astimezone()
    return stored.permit.decision.permits_filming_at(local.hour * 60 + local.minute)


def select_cameras(store: Store, selection: Selection, at: datetime) -> Iterator[str]:
    """Yield the ids of the cameras ``selection`` covers, in id order.

    A camera whose settings or permit cannot be read is kept: the scan records it as an error
    rather than leaving it out silently.

    Raises
    ------
    UnknownCameraError
        When a camera named in ``selection.cameras`` is not in the store.
    """
    if selection.cameras:
        for camera_id in selection.cameras:
            store.camera(camera_id)
        candidates = sorted(set(selection.cameras))
    else:
        candidates = store.camera_ids()
    for camera_id in candidates:
        try:
            if selection.group is not None and store.camera(camera_id).group != selection.group:
                continue
            if selection.due and not is_due(store, camera_id, at):
                continue
        except FovMonitorError as exc:
            log.warning("camera %s kept in the scan: %s", camera_id, exc)
        yield camera_id
