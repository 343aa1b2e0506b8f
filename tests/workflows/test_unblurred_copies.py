"""An unblurred copy exists only with its audit line, only for a view that is not compliant.

A real SQLite results database locked by another connection (``BEGIN EXCLUSIVE``) makes the audit
line impossible: then no copy and no evidence image may be left behind, in ``check`` and in a scan.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import cv2
import pytest

from fov_monitor.core.permit import Permit
from fov_monitor.core.result import Outcome, Status
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRun
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.errors import StoreError
from fov_monitor.faces.privacy import UNBLURRED_FOLDER
from fov_monitor.scan.nightly import SilentListener, run_nightly_pass
from fov_monitor.scan.runner import ScanSettings
from fov_monitor.scan.selection import Selection
from fov_monitor.settings import SETTINGS_FILE, StoreSettings
from fov_monitor.store.store import Store
from fov_monitor.workflows.camera_check import check_camera
from tests.support.enrol import enrol_view
from tests.support.images import sample_bgr

KEEP = {"schema_version": 1, "privacy": {"keep_unblurred": True}}
ONE_TRY = RetryPolicy(attempts=1, first_delay_s=0.0, max_delay_s=0.0, busy_timeout_s=0.1)


def _store(tmp_path: Path, cameras: Mapping[str, float]) -> Store:
    """Cameras filming the coffee photograph, each permitted the given share of its width."""
    view = sample_bgr("coffee")
    source = tmp_path / "live.png"
    cv2.imwrite(str(source), view)
    store = Store(tmp_path / "store")
    store.init()
    height, width = view.shape[:2]
    for camera_id, share in cameras.items():
        enrol_view(store, camera_id, str(source), view, timeout_s=10.0)
        right = share * width
        store.save_permit(camera_id, Permit(permitted_xy=[(0, 0), (right, 0), (right, height), (0, height)]),
                          (width, height), "t")  # fmt: skip
    (store.root / SETTINGS_FILE).write_text(json.dumps(KEEP), encoding="utf-8")
    return store


@contextmanager
def _locked(path: Path) -> Iterator[sqlite3.Connection]:
    """Hold the database's write lock from another connection (readers still read: WAL)."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _files(root: Path, folder: str) -> list[Path]:
    return sorted(path for path in (root / folder).rglob("*") if path.is_file())


def test_a_check_that_cannot_audit_its_copy_writes_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path, {"cam-1": 0.7})
    privacy = StoreSettings(store.root).privacy
    with (
        Database(store.database_path, retry=ONE_TRY) as database,
        _locked(store.database_path),
        pytest.raises(StoreError, match="locked"),
    ):
        check_camera(store, database, "cam-1", actor="t", evidence="always", privacy=privacy)
    assert _files(store.root, UNBLURRED_FOLDER) == []
    assert _files(store.root, "_evidence") == [], "'nothing was written' is true"


def test_only_a_view_that_is_not_compliant_is_kept_unblurred(tmp_path: Path) -> None:
    store = _store(tmp_path, {"cam-in": 1.0, "cam-out": 0.7})
    privacy = StoreSettings(store.root).privacy
    with Database(store.database_path) as database:
        compliant = check_camera(store, database, "cam-in", actor="t", evidence="always", privacy=privacy)
        moved = check_camera(store, database, "cam-out", actor="t", evidence="always", privacy=privacy)
        kept = [entry.detail["path"] for entry in database.audit_entries(None, 100)
                if entry.action == "unblurred copy kept"]  # fmt: skip
    assert compliant.result.status is Status.COMPLIANT
    assert compliant.evidence_path is not None, "its evidence is kept (the web app shows the last frame)"
    assert moved.result.status is Status.REDIRECTED
    assert [path.parent.name for path in _files(store.root, UNBLURRED_FOLDER)] == ["cam-out"]
    assert [str(path) for path in _files(store.root, UNBLURRED_FOLDER)] == kept


class _LockAfterFirst(SilentListener):
    """Takes the database's write lock once the first camera's outcome is recorded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.holder: sqlite3.Connection | None = None

    def outcome(self, row: ScanOutcomeRow) -> None:
        if self.holder is None:
            self.holder = sqlite3.connect(self.path, isolation_level=None)
            self.holder.execute("BEGIN EXCLUSIVE")

    def scanned(self, run: ScanRun, counts: Mapping[Outcome, int], elapsed_s: float) -> None:
        raise AssertionError("the scan cannot finish: its database is locked")


def test_a_scan_that_cannot_record_a_verdict_leaves_no_copy_and_no_evidence_behind(tmp_path: Path) -> None:
    # cam-a is compliant and recorded first (one grab); cam-b, moved, needs a second grab first.
    store = _store(tmp_path, {"cam-a": 1.0, "cam-b": 0.7})
    listener = _LockAfterFirst(store.database_path)
    settings = StoreSettings(store.root).read_all()
    try:
        with Database(store.database_path, retry=ONE_TRY) as database, pytest.raises(StoreError):
            run_nightly_pass(
                store,
                database,
                Selection(cameras=("cam-a", "cam-b")),
                ScanSettings(concurrency=1, workers=1),
                settings,
                listener=listener,
            )
    finally:
        if listener.holder is not None:
            listener.holder.execute("ROLLBACK")
            listener.holder.close()
    assert listener.holder is not None, "cam-a was recorded"
    assert _files(store.root, UNBLURRED_FOLDER) == []
    assert _files(store.root, "_evidence") == [], "cam-b's evidence went with its verdict"
