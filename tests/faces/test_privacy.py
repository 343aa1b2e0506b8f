"""Privacy by default: no unblurred face on disk unless a setting says so; copies kept apart and purged."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import (
    UNBLURRED_ENV,
    UNBLURRED_FOLDER,
    ZONE_FILL_BGR,
    PrivacySettings,
    due_unblurred,
    fill_privacy_zones,
    purge_unblurred,
)
from fov_monitor.settings import SETTINGS_FILE, StoreSettings
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from fov_monitor.workflows.camera_check import check_camera
from fov_monitor.workflows.reference_capture import capture_reference
from tests.support.messages import assert_one_line


@pytest.fixture(autouse=True)
def _blurring_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UNBLURRED_ENV, raising=False)


@pytest.fixture(scope="module")
def face_box(astronaut: np.ndarray) -> tuple[int, int, int, int]:
    boxes = fm.detect_faces(astronaut)
    assert len(boxes) >= 1
    x1, y1, x2, y2 = (int(v) for v in boxes[0, :4])
    return x1, y1, x2, y2


def _detail(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x1, y1, x2, y2 = box
    patch = image[y1:y2, x1:x2].astype(np.float64)
    return float(np.abs(np.diff(patch, axis=1)).mean())


def _enrolled(tmp_path: Path, astronaut: np.ndarray) -> tuple[Store, Database, Path]:
    frame = tmp_path / "live.png"
    cv2.imwrite(str(frame), astronaut)
    store = Store(tmp_path / "store")
    store.init()
    store.add_camera(CameraConfig(camera_id="cam-1", source=str(frame)))
    database = Database(store.database_path)
    capture_reference(store, database, "cam-1", actor="tech", privacy=PrivacySettings())
    store.save_permit("cam-1", fm.Permit.whole_image((512, 512)), (512, 512), "tech")
    return store, database, frame


def test_stored_reference_and_evidence_show_no_sharp_face(
    tmp_path: Path, astronaut: np.ndarray, face_box: tuple[int, int, int, int]
) -> None:
    store, database, _ = _enrolled(tmp_path, astronaut)
    stored = store.reference_image("cam-1", "day")
    # The face loses most of its fine detail; the rest of the picture is untouched.
    assert _detail(stored, face_box) < 0.5 * _detail(astronaut, face_box)
    np.testing.assert_array_equal(stored[400:, 400:], astronaut[400:, 400:])

    outcome = check_camera(
        store, database, "cam-1", actor="tech", evidence="always", privacy=PrivacySettings()
    )
    assert outcome.evidence_path is not None
    # A blurred face still has a face's shape; the detector is no longer sure of it.
    assert fm.detect_faces(astronaut)[0, 4] > 0.8
    assert (fm.detect_faces(fm.read_image(outcome.evidence_path))[:, 4] < 0.5).all()
    assert not (store.root / UNBLURRED_FOLDER).exists()
    database.close()


def test_unblurred_copy_needs_the_setting_is_audited_private_and_purged(
    tmp_path: Path, astronaut: np.ndarray
) -> None:
    store, database, _ = _enrolled(tmp_path, astronaut)
    (store.root / SETTINGS_FILE).write_text(
        json.dumps({"schema_version": 1, "privacy": {"keep_unblurred": True, "unblurred_retention_days": 7}})
    )
    privacy = StoreSettings(store.root).privacy
    # Copies are kept of views that are not compliant only: this permit leaves 30% of the view outside.
    store.save_permit(
        "cam-1", fm.Permit(permitted_xy=[(0, 0), (358, 0), (358, 512), (0, 512)]), (512, 512), "t"
    )
    outcome = check_camera(store, database, "cam-1", actor="reviewer-7", evidence="always", privacy=privacy)
    assert outcome.result.status is fm.Status.REDIRECTED
    copies = list((store.root / UNBLURRED_FOLDER / "cam-1").glob("*.png"))
    assert len(copies) == 1
    np.testing.assert_array_equal(fm.read_image(copies[0]), astronaut)
    assert stat.S_IMODE(os.stat(copies[0]).st_mode) == 0o600
    kept = [e for e in database.audit_entries("cam-1") if e.action == "unblurred copy kept"]
    assert [entry.actor for entry in kept] == ["reviewer-7"]
    assert str(copies[0]) == kept[0].detail["path"]

    assert purge_unblurred(store.root, 7) == []  # not due yet
    in_eight_days = datetime.now(UTC) + timedelta(days=8)
    assert due_unblurred(store.root, 7, now=in_eight_days) == copies
    assert purge_unblurred(store.root, 7, now=in_eight_days) == copies
    assert not copies[0].exists()
    database.close()


@pytest.mark.parametrize(
    ("privacy", "fragment"),
    [
        ({"keep_unblurred": "yes"}, "privacy.keep_unblurred"),
        ({"unblurred_retention_days": 0}, "privacy.unblurred_retention_days"),
        ({"retention": 3}, "privacy.retention"),
        ({"face_threshold": 2.0}, "threshold"),
        ({"blur_method": "smudge"}, "method"),
    ],
)
def test_malformed_privacy_settings_name_the_file_and_field(
    tmp_path: Path, privacy: dict[str, object], fragment: str
) -> None:
    (tmp_path / SETTINGS_FILE).write_text(json.dumps({"schema_version": 1, "privacy": privacy}))
    with pytest.raises(fm.InvalidSettingsError) as caught:
        _ = StoreSettings(tmp_path).privacy
    assert_one_line(caught.value, str(tmp_path / SETTINGS_FILE), fragment)


def test_no_settings_file_means_blur_and_keep_nothing(tmp_path: Path) -> None:
    settings = StoreSettings(tmp_path).privacy
    assert settings.blur_faces
    assert not settings.keep_unblurred


def test_privacy_zones_are_filled_where_they_overlap_or_nest() -> None:
    # The evidence images, the web app's images and the report's drawings all fill zones here.
    image = np.full((100, 100, 3), 255, np.uint8)
    square = np.array([[10, 10], [60, 10], [60, 60], [10, 60]], np.float64)
    fill_privacy_zones(image, [square, square + 30, square / 5 + 20])
    filled = (image == ZONE_FILL_BGR).all(axis=2)
    for x, y in [(50, 50), (25, 25), (15, 50), (80, 80)]:  # overlap, nested, first only, second only
        assert filled[y, x], (x, y)
    assert not filled[5, 5]
    assert not filled[95, 5]
