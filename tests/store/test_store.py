"""The store on disk: camera settings, permits, references, atomic writes and the results database."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

import fov_monitor.workflows.reference_capture as capture_module
from fov_monitor.alerts.settings import ALERTS_FILE
from fov_monitor.core.check import check_frame
from fov_monitor.core.enrolment import SelfTest
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import Status
from fov_monitor.db.database import Database
from fov_monitor.db.location import SQLITE_NAME
from fov_monitor.errors import InvalidPermitError, InvalidSettingsError, StoreError, UnknownCameraError
from fov_monitor.faces.privacy import UNBLURRED_FOLDER, PrivacySettings
from fov_monitor.files.atomic import write_json_atomic
from fov_monitor.report.drawing import CACHE_FOLDER
from fov_monitor.report.organisation import ORGANISATION_FILE
from fov_monitor.report.removed import REMOVED_FOLDER
from fov_monitor.report.weighing import WEIGHING_FOLDER
from fov_monitor.scan.lock import LOCK_NAME
from fov_monitor.settings import SETTINGS_FILE
from fov_monitor.store.camera import CameraConfig, check_camera_id
from fov_monitor.store.reference_cache import save_reference
from fov_monitor.store.store import ReferenceInfo, Store, check_label
from fov_monitor.workflows.reference_capture import Approval, capture_reference
from tests.support.files import temporary_files, tree_bytes
from tests.support.messages import assert_one_line

UNSAFE_IDS = ["../x", "a/b", "", "c" * 200, ".hidden", "_x", "..", "a..b", "a b", "cam\n1"]

BLUR = PrivacySettings()
"""The privacy settings of a store without settings.json: faces blurred, nothing unblurred kept."""


@pytest.mark.parametrize("camera_id", UNSAFE_IDS)
def test_unsafe_camera_ids_are_refused_naming_the_rule(camera_id: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        Store(tmp_path).folder(camera_id)
    assert_one_line(caught.value, "is not allowed", "letters, digits")
    assert len(str(caught.value)) < 300  # a 200-character id is shortened, not echoed whole
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("camera_id", ["cam-12", "A", "cam.7_north", "9" * 64, "weighing-2", "db-1"])
def test_safe_camera_ids_are_accepted(camera_id: str) -> None:
    assert check_camera_id(camera_id) == camera_id


STORE_OWN_NAMES = [
    SQLITE_NAME,
    *(f"{SQLITE_NAME}{companion}" for companion in ("-wal", "-shm", "-journal")),
    "results.sqlite",  # a database named in settings.json, relative to the store
    SETTINGS_FILE,
    ALERTS_FILE,
    ORGANISATION_FILE,
    WEIGHING_FOLDER,
    "Settings.JSON",  # a case-blind disk
    "outbox.jsonl",  # a JSON-lines alert channel's file
    REMOVED_FOLDER,
    LOCK_NAME,
    CACHE_FOLDER.parts[0],
    UNBLURRED_FOLDER,
    "_evidence",
]


@pytest.mark.parametrize("camera_id", STORE_OWN_NAMES)
def test_the_store_own_file_names_are_never_camera_ids(camera_id: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        Store(tmp_path).folder(camera_id)
    assert_one_line(caught.value, repr(camera_id), "is not allowed")
    with pytest.raises(InvalidSettingsError):
        CameraConfig(camera_id, source="a.jpg")


@pytest.mark.parametrize("label", ["", "../day", "night vision", "x" * 33, "dag-ø"])
def test_bad_reference_labels_are_refused(label: str) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        check_label(label)
    assert_one_line(caught.value, "reference label", "letters, digits")


def test_camera_settings_round_trip_through_camera_json(tmp_path: Path) -> None:
    store = Store(tmp_path)
    config = CameraConfig(
        "cam-1", source="http://x/s.jpg", name="Quay", place="Pier 4", group="harbour", site="north",
        hfov_deg=62.5, ptz_preset="3", tolerance=0.03, timeout_s=2.5,
    )  # fmt: skip
    store.add_camera(config)
    assert store.camera("cam-1") == config
    document = json.loads((tmp_path / "cam-1" / "camera.json").read_text())
    assert document["schema_version"] == 1
    assert document["hfov_deg"] == 62.5
    assert store.camera_ids() == ["cam-1"]
    assert (tmp_path / "cam-1" / "references").is_dir()


def test_camera_json_without_a_site_reads_as_any_site(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_camera(CameraConfig("cam-1", source="a.jpg"))
    path = tmp_path / "cam-1" / "camera.json"
    document = json.loads(path.read_text())
    del document["site"]  # written before sites existed
    path.write_text(json.dumps(document))
    assert store.camera("cam-1").site == ""


@pytest.mark.parametrize("site", ["north pole", "-north", "site=1", "a,b", "x" * 65, "nord-ø"])
def test_a_site_that_cannot_name_a_dask_resource_is_refused(site: str) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        CameraConfig("cam-1", site=site)
    assert_one_line(caught.value, "camera cam-1", "site", "letters, digits")


def test_duplicate_camera_is_refused_and_the_first_kept(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_camera(CameraConfig("cam-1", source="first.jpg"))
    with pytest.raises(InvalidSettingsError) as caught:
        store.add_camera(CameraConfig("cam-1", source="second.jpg"))
    assert_one_line(caught.value, "'cam-1' already exists", "camera edit")
    assert store.camera("cam-1").source == "first.jpg"


def test_unknown_camera_names_the_store_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(UnknownCameraError) as caught:
        Store(tmp_path).camera("cam-9")
    assert_one_line(caught.value, "'cam-9'", str(tmp_path), "camera add")


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (lambda d: "{not json", ["is not valid JSON"]),
        (lambda d: d | {"colour": "red"}, ["unknown field 'colour'"]),
        (lambda d: d | {"tolerance": "high"}, ["tolerance", "'high'"]),
        (lambda d: d | {"hfov_deg": 200}, ["hfov_deg", "200"]),
        (lambda d: d | {"timeout_s": -1}, ["timeout_s"]),
        (lambda d: d | {"schema_version": 99}, ["field 'schema_version' is 99"]),
        (lambda d: {k: v for k, v in d.items() if k != "camera_id"}, ["field 'camera_id' is missing"]),
        (lambda d: d | {"camera_id": "cam-2"}, ["field 'camera_id' is 'cam-2'"]),
        (lambda d: d | {"auth": {"kind": "basic"}}, ["field 'auth'"]),
        (lambda d: [d], ["expected a JSON object"]),
    ],
    ids=[
        "not-json", "unknown-field", "tolerance-text", "hfov-200", "timeout-negative", "schema-99",
        "no-id", "id-not-folder", "auth-incomplete", "list",
    ],
)  # fmt: skip
def test_malformed_camera_json_names_the_file_and_the_field(
    tmp_path: Path, edit: object, fragments: list[str]
) -> None:
    store = Store(tmp_path)
    store.add_camera(CameraConfig("cam-1", source="a.jpg"))
    path = tmp_path / "cam-1" / "camera.json"
    changed = edit(json.loads(path.read_text()))  # type: ignore[operator]
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed))
    with pytest.raises(InvalidSettingsError) as caught:
        store.camera("cam-1")
    assert_one_line(caught.value, str(path), *fragments)


def test_reference_info_round_trip_and_strictness() -> None:
    info = ReferenceInfo(
        "day", (640, 480), "2026-01-01T00:00:00+00:00", "ann", "a.jpg", "ab" * 32,
        {"smallest_shift_fraction": 0.005, "warnings": []},
    )  # fmt: skip
    assert ReferenceInfo.from_dict(json.loads(json.dumps(info.to_dict())), where="r.json") == info
    for broken, fragment in [
        (info.to_dict() | {"schema_version": 2}, "field 'schema_version' is 2"),
        ({k: v for k, v in info.to_dict().items() if k != "image_sha256"}, "field 'image_sha256' is missing"),
        (info.to_dict() | {"size_wh": "big"}, "field 'size_wh'"),
        ("day", "expected a JSON object"),
    ]:
        with pytest.raises(InvalidSettingsError) as caught:
            ReferenceInfo.from_dict(broken, where="r.json")
        assert_one_line(caught.value, "r.json", fragment)


def test_permit_round_trips_keeping_the_previous_one_in_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_camera(CameraConfig("cam-1", source="a.jpg", tolerance=0.05))
    first = Permit(permitted_xy=[(0, 0), (100, 0), (100, 80)])
    assert store.save_permit("cam-1", first, (100, 80), "ann") is None
    second = Permit(
        permitted_xy=[(0, 0), (90, 0), (90, 80)], privacy_zones={"door": [(1, 1), (9, 1), (9, 9)]}
    )
    kept = store.save_permit("cam-1", second, (100, 80), "bob")
    assert kept is not None
    assert json.loads(kept.read_text())["set_by"] == "ann"
    stored = store.permit("cam-1")
    assert stored is not None
    assert (stored.reference_size, stored.set_by) == ((100, 80), "bob")
    assert stored.permit.permitted.area == pytest.approx(90 * 80 / 2)
    assert list(stored.permit.zones) == ["door"]
    assert stored.permit.tolerance == 0.05  # the camera's tolerance, kept in camera.json


def test_permit_far_outside_the_reference_is_refused_and_the_old_one_kept(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_camera(CameraConfig("cam-1", source="a.jpg"))
    store.save_permit("cam-1", Permit(permitted_xy=[(0, 0), (100, 0), (100, 80)]), (100, 80), "ann")
    before = tree_bytes(tmp_path / "cam-1")
    with pytest.raises(InvalidPermitError) as caught:
        store.save_permit("cam-1", Permit(permitted_xy=[(0, 0), (1920, 0), (1920, 1080)]), (100, 80), "ann")
    assert_one_line(caught.value, "far outside", "100x80")
    assert tree_bytes(tmp_path / "cam-1") == before


# Atomic writes: a failure at the rename or the flush leaves the old state whole.


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, name: str, call: int = 1) -> list[int]:
    """Make ``os.<name>`` raise ENOSPC on its ``call``-th use from now on (once); return the counter."""
    real = getattr(os, name)
    calls = [0]

    def failing(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == call:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, failing)
    return calls


@pytest.mark.parametrize("at", ["replace", "fsync"])
def test_failed_write_of_camera_json_and_permit_json_leaves_the_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    store = Store(tmp_path)
    store.add_camera(CameraConfig("cam-1", source="old.jpg"))
    store.save_permit("cam-1", Permit(permitted_xy=[(0, 0), (100, 0), (100, 80)]), (100, 80), "ann")
    before = tree_bytes(tmp_path)
    _fail_on_call(monkeypatch, at)
    with pytest.raises(StoreError) as caught:
        store.save_camera(CameraConfig("cam-1", source="new.jpg"))
    assert_one_line(caught.value, "camera.json", "unchanged")
    _fail_on_call(monkeypatch, at)
    with pytest.raises(StoreError) as caught:
        store.save_permit("cam-1", Permit(permitted_xy=[(0, 0), (50, 0), (50, 80)]), (100, 80), "bob")
    assert_one_line(caught.value, "permit.json", "unchanged")
    monkeypatch.undo()
    assert temporary_files(tmp_path) == []
    after = tree_bytes(tmp_path)
    assert {k: v for k, v in after.items() if "history" not in k} == before
    assert store.camera("cam-1").source == "old.jpg"


def test_write_json_atomic_failure_removes_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.json"
    write_json_atomic(path, {"v": 1})
    _fail_on_call(monkeypatch, "replace")
    with pytest.raises(OSError, match="No space"):
        write_json_atomic(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


@pytest.fixture
def store_with_reference(tmp_path: Path, astronaut: np.ndarray) -> tuple[Store, Database, Path]:
    """A store whose camera 'cam-1' has a 'day' reference captured from an image file."""
    image_path = tmp_path / "view.png"
    cv2.imwrite(str(image_path), astronaut[::2, ::2])
    store = Store(tmp_path / "store")
    store.init()
    store.add_camera(CameraConfig("cam-1", source=str(image_path)))
    database = Database(store.database_path)
    capture_reference(store, database, "cam-1", actor="ann", privacy=BLUR)
    return store, database, image_path


@pytest.mark.parametrize("failing_call", [1, 2, 3], ids=["png", "feature-cache", "record"])
def test_failed_rebaseline_leaves_the_old_reference_whole(
    store_with_reference: tuple[Store, Database, Path], monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    store, database, image_path = store_with_reference
    references = store.root / "cam-1" / "references"
    before = tree_bytes(references)
    new_view = image_path.with_name("new-view.png")
    cv2.imwrite(str(new_view), cv2.flip(cv2.imread(str(image_path)), 1))
    approval = Approval("lens cleaned", "chief")

    # The self-test and the features of the new view are computed before any write.
    real_save = store.save_reference

    def failing_save(*args: object, **kwargs: object) -> object:
        _fail_on_call(monkeypatch, "replace", failing_call)
        return real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "save_reference", failing_save)
    monkeypatch.setattr(capture_module, "self_test", _no_self_test)
    with pytest.raises(StoreError) as caught:
        capture_reference(
            store, database, "cam-1", actor="bob", approval=approval, source=str(new_view), privacy=BLUR
        )
    assert_one_line(caught.value, "cannot write")
    monkeypatch.undo()
    assert tree_bytes(references) == before
    assert temporary_files(store.root) == []
    store.reference_image("cam-1", "day")  # its checksum still matches its record
    assert [info.label for info in store.reference_infos("cam-1")] == ["day"]
    assert [e.action for e in database.audit_entries("cam-1")] == [
        "reference rebaseline failed",
        "reference rebaseline started",
        "reference captured",
    ]


def _no_self_test(image: np.ndarray, **_: object) -> SelfTest:
    return SelfTest(0.01, None, None, [])


def test_failed_first_capture_leaves_no_half_reference_and_can_be_retried(
    tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:

    image_path = tmp_path / "view.png"
    cv2.imwrite(str(image_path), astronaut[::2, ::2])
    store = Store(tmp_path / "store")
    store.init()
    store.add_camera(CameraConfig("cam-1", source=str(image_path)))
    monkeypatch.setattr(capture_module, "self_test", _no_self_test)
    with Database(store.database_path) as database:
        real_save = store.save_reference

        def failing_save(*args: object, **kwargs: object) -> object:
            _fail_on_call(monkeypatch, "replace", 2)  # the PNG is written, the feature cache is not
            return real_save(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "save_reference", failing_save)
        with pytest.raises(StoreError):
            capture_reference(store, database, "cam-1", actor="ann", privacy=BLUR)
        monkeypatch.setattr(store, "save_reference", real_save)
        assert store.reference_infos("cam-1") == []
        # A retry is a capture, not a re-baseline of a reference that never was.
        capture_reference(store, database, "cam-1", actor="ann", privacy=BLUR)
    assert [info.label for info in store.reference_infos("cam-1")] == ["day"]


# Read-only disk: a one-line StoreError, the old files intact.


def _read_only(*_: object, **__: object) -> object:
    raise OSError(errno.EROFS, "Read-only file system")


@pytest.mark.parametrize("operation", ["save_camera", "save_permit", "add_camera", "remove_camera", "init"])
def test_read_only_store_is_a_one_line_error_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    store = Store(tmp_path / "store")
    store.init()
    store.add_camera(CameraConfig("cam-1", source="old.jpg"))
    store.save_permit("cam-1", Permit(permitted_xy=[(0, 0), (100, 0), (100, 80)]), (100, 80), "ann")
    before = tree_bytes(tmp_path)
    monkeypatch.setattr(tempfile, "mkstemp", _read_only)
    monkeypatch.setattr(os, "replace", _read_only)
    monkeypatch.setattr(Path, "mkdir", _read_only)
    monkeypatch.setattr("shutil.copy2", _read_only)
    actions = {
        "save_camera": lambda: store.save_camera(CameraConfig("cam-1", source="new.jpg")),
        "save_permit": lambda: store.save_permit(
            "cam-1", Permit(permitted_xy=[(0, 0), (50, 0), (50, 80)]), (100, 80), "bob"
        ),
        "add_camera": lambda: store.add_camera(CameraConfig("cam-2", source="b.jpg")),
        "remove_camera": lambda: store.remove_camera("cam-1"),
        "init": lambda: Store(tmp_path / "elsewhere").init(),
    }
    with pytest.raises(StoreError) as caught:
        actions[operation]()
    assert_one_line(caught.value, "Read-only file system", "cannot write", "--store")
    monkeypatch.undo()
    assert tree_bytes(tmp_path) == before
    assert store.camera("cam-1").source == "old.jpg"


# References and their feature cache.


@pytest.mark.parametrize("damage", ["deleted", "truncated", "garbage"])
def test_missing_or_damaged_feature_cache_is_computed_on_read_and_rebuilt_by_repair(
    store_with_reference: tuple[Store, Database, Path], damage: str
) -> None:
    store, _, _ = store_with_reference
    cache = store.root / "cam-1" / "references" / "day.npz"
    intact = store.load_camera("cam-1").prepared()[0]
    if damage == "deleted":
        cache.unlink()
    else:
        cache.write_bytes(cache.read_bytes()[:1000] if damage == "truncated" else b"not a zip file")
    before = tree_bytes(store.root / "cam-1")
    loaded = store.load_camera("cam-1")
    rebuilt = loaded.prepared()[0]
    assert rebuilt.size_wh == intact.size_wh
    np.testing.assert_array_equal(rebuilt.gray, intact.gray)
    np.testing.assert_array_equal(rebuilt.track_xy, intact.track_xy)
    assert "feature cache" in (loaded.references[0].cache_problem or "")
    assert tree_bytes(store.root / "cam-1") == before  # a read writes nothing
    assert store.repair(loaded) == ["reference day: feature cache day.npz rebuilt"]
    assert cache.stat().st_size > 1000  # written by the repair
    assert store.load_camera("cam-1").references[0].cache_problem is None


def test_reference_image_that_does_not_match_its_checksum_is_refused(
    store_with_reference: tuple[Store, Database, Path],
) -> None:
    store, _, _ = store_with_reference
    png = store.root / "cam-1" / "references" / "day.png"
    record = json.loads(png.with_suffix(".json").read_text())
    assert record["image_sha256"] == hashlib.sha256(png.read_bytes()).hexdigest()
    data = bytearray(png.read_bytes())
    data[-20] ^= 0xFF
    png.write_bytes(bytes(data))
    for load in (
        lambda: store.reference_image("cam-1", "day"),
        lambda: store.load_camera("cam-1").prepared(),
    ):
        with pytest.raises(StoreError) as caught:
            load()
        assert_one_line(caught.value, str(png), "checksum", "rebaseline cam-1")


def test_reference_is_never_replaced_silently(store_with_reference: tuple[Store, Database, Path]) -> None:
    store, database, _ = store_with_reference
    before = tree_bytes(store.root / "cam-1")
    with pytest.raises(InvalidSettingsError) as caught:
        capture_reference(store, database, "cam-1", actor="bob", privacy=BLUR)
    assert_one_line(caught.value, "already has a 'day' reference", "rebaseline cam-1")
    with pytest.raises(InvalidSettingsError) as caught:
        capture_reference(
            store, database, "cam-1", label="night", actor="bob", approval=Approval("x", "y"), privacy=BLUR
        )
    assert_one_line(caught.value, "no 'night' reference to replace")
    with pytest.raises(InvalidSettingsError):
        Approval(" ", "chief")
    assert tree_bytes(store.root / "cam-1") == before


def test_remove_moves_the_folder_aside(store_with_reference: tuple[Store, Database, Path]) -> None:
    store, _, _ = store_with_reference
    before = tree_bytes(store.root / "cam-1")
    kept = store.remove_camera("cam-1")
    assert kept.parent == store.root / ".removed"
    assert tree_bytes(kept) == before
    assert store.camera_ids() == []
    with pytest.raises(UnknownCameraError):
        store.camera("cam-1")


# The results database and the audit log.


def test_audit_log_refuses_update_and_delete(tmp_path: Path) -> None:
    path = tmp_path / "fov-monitor.sqlite"
    with Database(path) as database:
        database.audit("ann", "camera added", "cam-1", {"source": "a.jpg"}, at="2026-01-01T00:00:00+00:00")
    connection = sqlite3.connect(path)
    for statement in ("UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute(statement)
    connection.close()
    with Database(path) as database:
        [entry] = database.audit_entries()
    assert (entry.actor, entry.action, entry.camera_id, dict(entry.detail)) == (
        "ann", "camera added", "cam-1", {"source": "a.jpg"},
    )  # fmt: skip


def test_database_of_a_newer_schema_or_not_a_database_is_a_one_line_error(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    connection = sqlite3.connect(newer)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(StoreError) as caught:
        Database(newer)
    assert_one_line(caught.value, str(newer), "schema version 99", "upgrade")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        Database(garbage)
    assert_one_line(caught.value, str(garbage), "cannot be used")


def test_rebaseline_killed_between_image_and_record_reads_the_kept_image_until_repaired(
    store_with_reference: tuple[Store, Database, Path],
) -> None:
    store, database, image_path = store_with_reference
    references = store.root / "cam-1" / "references"
    old_png = (references / "day.png").read_bytes()
    old_reference = store.load_camera("cam-1").prepared()[0]
    new_view = image_path.with_name("new-view.png")
    cv2.imwrite(str(new_view), cv2.flip(cv2.imread(str(image_path)), 1))
    capture_reference(
        store,
        database,
        "cam-1",
        actor="bob",
        approval=Approval("pole moved", "chief"),
        source=str(new_view),
        privacy=BLUR,
    )
    new_record = (references / "day.json").read_bytes()
    # A process killed after the new image but before the new record: the old record (kept in
    # history/ by the re-baseline) is the commit point.
    kept = sorted((store.root / "cam-1" / "history").glob("reference-day-*"))[-1]
    (references / "day.json").write_bytes((kept / "day.json").read_bytes())
    assert (references / "day.png").read_bytes() != old_png
    before = tree_bytes(store.root / "cam-1")
    loaded = store.load_camera("cam-1")
    # The read uses the kept image (and computes its features: the cache is the new view's) and
    # writes nothing; the repair puts the image and its cache back.
    assert tree_bytes(store.root / "cam-1") == before
    assert loaded.references[0].restored_from == kept / "day.png"
    np.testing.assert_array_equal(loaded.prepared()[0].gray, old_reference.gray)
    assert loaded.base_png == old_png
    assert store.reference_image("cam-1", "day").shape[1::-1] == loaded.state.infos[0].size_wh
    assert tree_bytes(store.root / "cam-1") == before
    assert store.repair(loaded) == [
        f"reference day: image put back from {kept}",
        "reference day: feature cache day.npz rebuilt",
    ]
    assert (references / "day.png").read_bytes() == old_png
    assert (references / "day.json").read_bytes() != new_record
    repaired = store.load_camera("cam-1").references[0]
    assert (repaired.restored_from, repaired.cache_problem) == (None, None)


def test_feature_cache_that_does_not_match_its_record_is_not_used(
    store_with_reference: tuple[Store, Database, Path],
) -> None:
    store, _, _ = store_with_reference
    references = store.root / "cam-1" / "references"
    intact = store.load_camera("cam-1").prepared()[0]
    # A valid cache of another image, put in place of this camera's: only the checksum tells.
    stranger = Reference.from_image(cv2.flip(store.reference_image("cam-1", "day"), 0))
    save_reference(stranger, references / "day.npz")
    before = tree_bytes(references)
    loaded = store.load_camera("cam-1")
    np.testing.assert_array_equal(loaded.prepared()[0].gray, intact.gray)
    assert "does not match its recorded checksum" in (loaded.references[0].cache_problem or "")
    assert tree_bytes(references) == before
    store.repair(loaded)
    record = json.loads((references / "day.json").read_text())
    assert record["features_sha256"] == hashlib.sha256((references / "day.npz").read_bytes()).hexdigest()


@pytest.mark.parametrize("size", [["a", 1], [640], [0, 480], "640x480"])
def test_malformed_reference_size_in_permit_json_names_the_field(
    store_with_reference: tuple[Store, Database, Path], size: object
) -> None:
    store, _, _ = store_with_reference
    store.save_permit("cam-1", Permit.whole_image((256, 256)), (256, 256), "ann")
    path = store.root / "cam-1" / "permit.json"
    document = json.loads(path.read_text())
    document["reference_size"] = size
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidPermitError) as caught:
        store.permit("cam-1")
    assert_one_line(caught.value, str(path), "reference_size")


@pytest.mark.parametrize("forgery", ["record-names-no-cache", "cache-names-another-image"])
def test_feature_cache_of_another_image_is_never_used(
    store_with_reference: tuple[Store, Database, Path], forgery: str
) -> None:
    store, _, _ = store_with_reference
    references = store.root / "cam-1" / "references"
    view = store.reference_image("cam-1", "day")
    intact = store.load_camera("cam-1").prepared()[0]
    # Another camera's cache of the same size (here: the view upside down) put in this camera's place.
    stranger = Reference.from_image(cv2.flip(view, 0))
    record = json.loads((references / "day.json").read_text())
    if forgery == "record-names-no-cache":
        save_reference(stranger, references / "day.npz")
        record["features_sha256"] = None  # as older records or a hand edit have it
        problem = "not bound to its image"
    else:
        save_reference(stranger, references / "day.npz", image_sha256="0" * 64)
        record["features_sha256"] = hashlib.sha256((references / "day.npz").read_bytes()).hexdigest()
        problem = "made from another image"
    (references / "day.json").write_text(json.dumps(record))
    loaded = store.load_camera("cam-1")
    height, width = view.shape[:2]
    verdict = check_frame(loaded.prepared(), Permit.whole_image((width, height)), view)
    assert verdict.status is Status.COMPLIANT, verdict.reasons
    np.testing.assert_array_equal(loaded.prepared()[0].gray, intact.gray)
    assert problem in (loaded.references[0].cache_problem or "")
    assert store.repair(loaded) == ["reference day: feature cache day.npz rebuilt"]
    assert store.load_camera("cam-1").references[0].cache_problem is None
