"""Face blurring switched off, or on again, is a line of the audit log before an image is written so.

The store's settings (``privacy.blur_faces``) and ``$FOV_MONITOR_UNBLURRED`` can switch blurring off
without fov-monitor running. The first writer of images that sees a change (a check, a reference
capture, a scan pass, the web app's "check now") writes ``face blurring turned off`` (with what
switched it off) or ``face blurring turned on`` before it writes anything, and notes the state it
audited in ``<store>/.face-blurring.json``. A store without that file has never had blurring
switched off.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.files.atomic import write_json_atomic
from fov_monitor.store.store import now_utc

log = logging.getLogger(__name__)

STATE_FILE = ".face-blurring.json"
"""The face blurring state last written to the audit log, in the store's folder."""


def audit_face_blurring(store_root: Path, database: Database, actor: str, privacy: PrivacySettings) -> None:
    """Write the audit line of a change of face blurring since the last one, if there was one.

    Raises
    ------
    StoreError
        When the database refuses the line (then nothing is to be written unaudited).
    """
    audit_blurring_state(store_root, database, actor, privacy.blur_faces, privacy.off_because)


def audit_blurring_state(
    store_root: Path, database: Database, actor: str, blur_faces: bool, why: str
) -> None:
    """As :func:`audit_face_blurring`, for a writer that knows the state and what switched it off."""
    path = Path(store_root) / STATE_FILE
    if blur_faces == _audited_on(path):
        return
    at = now_utc()
    if blur_faces:
        database.audit(actor, AuditAction.FACE_BLURRING_ON, None, {}, at=at)
    else:
        database.audit(actor, AuditAction.FACE_BLURRING_OFF, None, {"why": why}, at=at)
    try:
        write_json_atomic(path, {"blur_faces": blur_faces, "at": at, "why": why})
    except OSError as exc:  # the next writer audits the change again: a line too many, never one missing
        log.warning("could not note the face blurring state in %s: %s", path, exc)


def _audited_on(path: Path) -> bool:
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("blur_faces", True))
    except FileNotFoundError:
        return True
    except (OSError, ValueError, AttributeError):
        return not path.exists()  # unreadable: audit the state again (a line too many)
