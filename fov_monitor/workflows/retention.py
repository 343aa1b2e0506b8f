"""What ``fov-monitor purge`` deletes: unblurred copies and evidence images past their retention.

Under ``<store>/_unblurred/`` every file goes that is past ``privacy.unblurred_retention_days`` or is
not a copy fov-monitor keeps there (another name or place, a subfolder, a link, a temporary file
left by a crash); under ``<store>/_evidence/`` every evidence image past
``privacy.evidence_retention_days`` (90 days unless set) and every file that is not one, except the
evidence of an alert still open, kept until the alert is closed. A temporary file of a write younger
than a quarter of an hour may be being written and is left for the next purge. Age is read from the
file's name (the time it was written), never from its mtime, which a restore from backup changes.
Each deletion is in the audit log.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import UNBLURRED_FOLDER, UNBLURRED_NAME, PrivacySettings, kept_files
from fov_monitor.store.store import now_utc

EVIDENCE_FOLDER = "_evidence"
EVIDENCE_NAME = re.compile(r"(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-[a-z_]+(-unblurred)?\.jpg")
"""How an evidence image is named in its camera's folder: when it was drawn, the verdict."""


class Kind(enum.StrEnum):
    """The two kinds of file ``purge`` deletes."""

    UNBLURRED = "unblurred copy"
    EVIDENCE = "evidence image"


@dataclass(frozen=True, slots=True)
class Due:
    """A file due for deletion: where, what kind of file it is kept as, and why it is due."""

    path: Path
    kind: Kind
    why: str

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form."""
        return {"path": str(self.path), "kind": str(self.kind), "why": self.why}


def due_files(
    store_root: Path, privacy: PrivacySettings, *, keep: Collection[Path] = (), now: datetime | None = None
) -> list[Due]:
    """Return every file under ``_unblurred/`` and ``_evidence/`` due for deletion (see the notes).

    Parameters
    ----------
    store_root : Path
    privacy : PrivacySettings
        The two retention periods.
    keep : collection of Path
        Evidence images kept whatever their age (those of alerts still open).
    now : datetime, optional
        The time to judge ages at (the real time by default).
    """
    root = Path(store_root)
    kept = {_camera_and_name(path) for path in keep}
    unblurred = kept_files(root / UNBLURRED_FOLDER, UNBLURRED_NAME, privacy.unblurred_retention_days, now)
    evidence = kept_files(root / EVIDENCE_FOLDER, EVIDENCE_NAME, privacy.evidence_retention_days, now)
    return [Due(path, Kind.UNBLURRED, why) for path, why in unblurred] + [
        Due(path, Kind.EVIDENCE, why) for path, why in evidence if _camera_and_name(path) not in kept
    ]


def open_alert_evidence(database: Database) -> list[Path]:
    """Return the evidence images of the alerts not closed yet."""
    rows = database.read(
        "SELECT evidence_path FROM alerts WHERE closed_at IS NULL AND evidence_path IS NOT NULL"
    )
    return [Path(str(path)) for (path,) in rows]


def purge(
    store_root: Path,
    privacy: PrivacySettings,
    database: Database,
    actor: str,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> list[Due]:
    """Delete what is due (see the notes) and write the audit lines; return what was (or is) due.

    Raises
    ------
    StoreError
        When the database cannot be read (nothing is deleted) or refuses the audit lines.
    """
    due = due_files(store_root, privacy, keep=open_alert_evidence(database), now=now)
    if dry_run:
        return due
    for item in due:
        item.path.unlink(missing_ok=True)
    at = now_utc()
    for kind, action in (
        (Kind.UNBLURRED, AuditAction.UNBLURRED_COPIES_PURGED),
        (Kind.EVIDENCE, AuditAction.EVIDENCE_PURGED),
    ):
        paths = [str(item.path) for item in due if item.kind is kind]
        if paths:
            database.audit(actor, action, None, {"paths": paths}, at=at)
    return due


def _camera_and_name(path: Path) -> tuple[str, str]:
    return path.parent.name, path.name
