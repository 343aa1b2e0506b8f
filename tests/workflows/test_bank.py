"""The reference bank in the store: a learned reference is audited first, never half-written, and a
re-baseline of the base retires what was learned against it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import cv2
import pytest

from fov_monitor.core.check import check_frame
from fov_monitor.db.database import Database
from fov_monitor.db.location import resolve_location
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.store.store import Store
from fov_monitor.workflows.bank import LearningCandidate, learn_reference, learning_candidate
from fov_monitor.workflows.reference_capture import Approval, capture_reference
from tests.support.cli import run_main
from tests.support.real_data import webcam_images, webcam_window

CAMERA = "cam-arch"
NEW_LIGHT = "20120721_002850"


def _actions(root: Path) -> list[tuple[str, dict]]:
    with sqlite3.connect(root / "fov-monitor.sqlite") as db:
        rows = db.execute("SELECT action, detail_json FROM audit ORDER BY id").fetchall()
    return [(action, json.loads(detail)) for action, detail in rows]


@pytest.fixture
def camera(tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Store, Path, Path]:
    paths = webcam_images(shared_data, "stlouis")
    root, reference = tmp_path / "store", tmp_path / "reference.png"
    cv2.imwrite(str(reference), webcam_window(cv2.imread(str(paths[0]))))
    height, width = cv2.imread(str(reference)).shape[:2]
    for args in (
        ("init",),
        ("camera", "add", CAMERA, "--source", reference),
        ("reference", "capture", CAMERA, "--from", reference),
        ("permit", "set", CAMERA, "--polygon", f"0,0 {width},0 {width},{height} 0,{height}"),
    ):
        code, _, err = run_main(capsys, "--store", root, *args)
        assert code == 0, err
    return Store(root), reference, paths[0].parent / f"{NEW_LIGHT}.jpg"


def _candidate(store: Store, frame_path: Path) -> LearningCandidate:
    loaded = store.load_camera(CAMERA)
    image = webcam_window(cv2.imread(str(frame_path)))
    result = check_frame(loaded.prepared(), loaded.stored_permit.permit, image)  # type: ignore[union-attr]
    candidate = learning_candidate(
        loaded, image, result, frame_at="2026-12-06T01:00:00+00:00", source="test", privacy=PrivacySettings()
    )
    assert isinstance(candidate, LearningCandidate), candidate
    return candidate


def test_a_learned_reference_that_cannot_be_written_leaves_nothing_and_says_so(
    camera: tuple[Store, Path, Path],
) -> None:
    store, _, frame = camera
    candidate = _candidate(store, frame)
    label = "learned-20261206T010000"
    blocker = store.folder(CAMERA) / "references" / f"{label}.png"
    blocker.mkdir()  # a folder where the image goes: the write fails for real
    with Database(resolve_location(store.root, None)) as database:
        assert learn_reference(store, database, CAMERA, candidate, actor="night-scan", scan_run=4) is None
    actions = [action for action, _ in _actions(store.root)]
    assert actions[-2:] == ["reference learned", "store change failed"]
    assert not (store.folder(CAMERA) / "references" / f"{label}.json").exists()
    assert [info.label for info in store.reference_infos(CAMERA)] == ["day"]


def test_a_rebaseline_of_the_base_retires_the_learned_references(camera: tuple[Store, Path, Path]) -> None:
    store, reference, frame = camera
    with Database(resolve_location(store.root, None)) as database:
        learned = learn_reference(
            store, database, CAMERA, _candidate(store, frame), actor="night-scan", scan_run=4
        )
        assert learned is not None
        assert [info.label for info in store.reference_infos(CAMERA)] == ["day", learned.label]
        capture_reference(
            store,
            database,
            CAMERA,
            actor="tech",
            source=str(reference),
            approval=Approval("pole replaced", "J. Berg"),
            privacy=PrivacySettings(),
        )
    assert [info.label for info in store.reference_infos(CAMERA)] == ["day"]
    forgotten = [detail for action, detail in _actions(store.root) if action == "reference forgotten"]
    assert forgotten == [{"label": learned.label, "why": "the 'day' base reference was re-baselined"}]
    assert len(list((store.folder(CAMERA) / "history").glob(f"reference-{learned.label}-*"))) == 1
