"""What an alert mail attaches of its evidence image: the picture as the web app would show it.

Whatever the store's settings said when the image was written (``privacy.blur_faces`` off), what a
mail carries has its faces blurred until the face model finds none in the JPEG sent, and every
privacy zone of the camera's permit of now hidden (see :mod:`fov_monitor.workflows.evidence_view`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fov_monitor.db.database import Database
from fov_monitor.errors import FovMonitorError, StoreError
from fov_monitor.faces.privacy import PrivacySettings, default_privacy, shown_jpeg
from fov_monitor.files.images import read_image
from fov_monitor.store.store import Store
from fov_monitor.workflows.evidence_view import drawn_check, evidence_as_shown, evidence_file

EvidenceReader = Callable[[Mapping[str, Any]], bytes]
"""Return the evidence image of a payload's ``alert`` as a mail may carry it (JPEG); raise
:class:`~fov_monitor.errors.FovMonitorError` saying why there is none."""


def store_evidence(database: Database, store_root: Path, privacy: PrivacySettings) -> EvidenceReader:
    """Return the reader of evidence images for the mails of one store.

    Parameters
    ----------
    database : Database
        The results table: which check an image was drawn for (its homography, its time).
    store_root : Path
        The store: the camera's evidence folder, its permit and references now.
    privacy : PrivacySettings
        The face model and threshold (blurring is on whatever ``blur_faces`` says).
    """
    store = Store(store_root)

    def read(alert: Mapping[str, Any]) -> bytes:
        camera_id, recorded = str(alert.get("camera_id", "")), str(alert.get("evidence_path") or "")
        found = drawn_check(database, camera_id, evidence_path=recorded) if recorded else None
        if found is None:
            raise StoreError(
                f"no result of camera {camera_id} records the evidence image {Path(recorded).name}"
            )
        drawn, recorded_path = found
        path = evidence_file(store, camera_id, recorded_path)
        if not path.is_file():
            raise StoreError(f"the evidence image {path.name} is no longer in the store")
        return shown_jpeg(evidence_as_shown(store, camera_id, read_image(path), drawn), privacy)

    return read


def file_evidence(privacy: PrivacySettings | None = None) -> EvidenceReader:
    """Return a reader of the evidence image at the path a payload names, faces blurred (no store known).

    For a channel used without its store: the image's zones are as drawn (fov-monitor's evidence
    images hide them when written); its faces are blurred again.
    """
    settings = privacy or default_privacy()

    def read(alert: Mapping[str, Any]) -> bytes:
        path = Path(str(alert.get("evidence_path") or ""))
        if not path.is_file():
            raise StoreError(f"the evidence image {path.name} is no longer in the store")
        try:
            return shown_jpeg(read_image(path), settings)
        except FovMonitorError:
            raise
        except Exception as exc:  # a file that is not an image must not stop the mail
            raise StoreError(f"the evidence image {path.name} cannot be read ({exc})") from None

    return read
