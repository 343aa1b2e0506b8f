"""A camera loads in one pass: a scan task reads each of its camera's files once and writes none.

What is observed is what the operating system is asked: an audit hook (:func:`sys.addaudithook`)
records every file the process opens under the camera's folder, and whether for writing. The local
scan's two halves (the grab in the parent, the judge in a worker process) are run in this process,
as the backend runs them; the Dask task runs on a real in-process cluster, sent by the real backend.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import distributed
import numpy as np
import pytest

from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.synthetic import crop_move
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.scan.cluster import DaskBackend
from fov_monitor.scan.worker import CameraTask, CheckReply, CheckTask, check_task, grab_camera
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import ReferenceInfo, Store, now_utc
from tests.support.cli import run_main
from tests.support.images import sample_bgr

CAMERA = "cam-1"
ONCE_EACH = {"camera.json": 1, "permit.json": 1, "day.json": 1, "day.png": 1, "day.npz": 1}
"""Every file a check needs, each opened once."""
NO_FACE_BLUR = PrivacySettings(blur_faces=False)  # faces are tested elsewhere; this is about the files


@pytest.fixture(params=["compliant", "moved"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """One camera whose live view is a file: as enrolled (one task), or moved (a final task with evidence)."""
    move = crop_move(sample_bgr("coffee"), (0.12 if request.param == "moved" else 0.0, 0.0))
    live = tmp_path / "live.png"
    cv2.imwrite(str(live), move.live)
    store = Store(tmp_path / "store")
    store.init()
    store.add_camera(CameraConfig(CAMERA, source=str(live)))
    height, width = move.reference.shape[:2]
    info = ReferenceInfo("day", (width, height), now_utc(), "test", str(live), "", {})
    store.save_reference(CAMERA, "day", move.reference, info, Reference.from_image(move.reference))
    store.save_permit(CAMERA, Permit.whole_image((width, height)), (width, height), "test")
    return store


_recording: list[tuple[str, bool]] | None = None
_watched: Path | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or _recording is None or _watched is None:
        return
    path, mode, flags = args
    if not isinstance(path, str | bytes | os.PathLike):
        return  # a file descriptor
    opened = Path(os.fsdecode(path))
    if opened.is_relative_to(_watched):
        writes = any(c in str(mode or "") for c in "wax+") or bool(
            int(flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        )
        _recording.append((opened.name, writes))


sys.addaudithook(_audit)  # audit hooks cannot be removed: it records only inside opened_files()


@contextmanager
def opened_files(folder: Path) -> Iterator[list[tuple[str, bool]]]:
    """Record (file name, opened for writing) of every file opened below ``folder``."""
    global _recording, _watched
    _recording, _watched = [], folder
    try:
        yield _recording
    finally:
        _recording, _watched = None, None


def folder_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Return every file and folder below ``folder`` with its content and modification time."""
    return {
        str(path.relative_to(folder)): (path.read_bytes() if path.is_file() else b"", path.stat().st_mtime_ns)
        for path in sorted([folder, *folder.rglob("*")])
    }


def local_task(store: Store, final: bool) -> CheckReply:
    """Run a scan task of the local backend: the grab (the parent's thread), then the judge (a worker)."""
    task = CameraTask(store.root, CAMERA, None, final, NO_FACE_BLUR)
    check = grab_camera(store, task, write_files=True)
    assert isinstance(check, CheckTask), check
    return check_task(check)


@pytest.mark.parametrize("cache", ["cached", "cache missing"])
def test_a_local_scan_task_opens_each_file_of_its_camera_once_and_writes_none(
    store: Store, cache: str
) -> None:
    folder = store.folder(CAMERA)
    if cache == "cache missing":
        (folder / "references" / "day.npz").unlink()
    before = folder_state(folder)
    first_status = None
    for final in (False, True):
        with opened_files(folder) as opened:
            reply = local_task(store, final)
        assert reply.judgement is not None, reply.error
        assert Counter(name for name, _ in opened) == ONCE_EACH
        assert not any(writes for _, writes in opened)
        first_status = first_status or reply.judgement.result.status
    assert folder_state(folder) == before
    if first_status != "compliant":  # the final task of a moved camera drew its evidence on the reference
        assert reply.judgement.evidence_path is not None
        assert reply.judgement.evidence_path.is_file()


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A real Dask cluster whose worker runs in this process, so that its opens are recorded too."""
    with distributed.LocalCluster(
        n_workers=1,
        processes=False,
        threads_per_worker=1,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=":0",
    ) as local:
        yield local.scheduler_address


@pytest.mark.parametrize("cache", ["cached", "cache missing"])
def test_a_dask_scan_task_opens_each_file_of_its_camera_once_and_writes_none(
    store: Store, cluster: str, cache: str
) -> None:
    folder = store.folder(CAMERA)
    if cache == "cache missing":
        (folder / "references" / "day.npz").unlink()
    before = folder_state(folder)
    with DaskBackend(store, cluster, concurrency=1) as backend:
        for final in (False, True):
            with opened_files(folder) as opened:
                future = backend.start(CameraTask(store.root, CAMERA, None, final, NO_FACE_BLUR))
                backend.wait([future])
                reply = backend.advance(future)
            assert isinstance(reply, CheckReply)
            assert reply.judgement is not None, reply.error
            # The scan's machine reads camera.json to route the task; the worker reads it no more.
            assert Counter(name for name, _ in opened) == ONCE_EACH
            assert not any(writes for _, writes in opened)
    assert folder_state(folder) == before


def test_scan_check_and_validate_with_a_missing_cache_write_nothing_until_repair(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = store.folder(CAMERA)
    cache = folder / "references" / "day.npz"
    cache.unlink()
    before = folder_state(folder)
    code, out, err = run_main(capsys, "scan", "--store", store.root, "--workers", "1")
    assert code in (0, 3), out + err
    code, out, err = run_main(capsys, "check", CAMERA, "--store", store.root, "--evidence", "always")
    assert code in (0, 3), out + err
    code, out, _ = run_main(capsys, "validate", "--store", store.root)
    assert (code, str(cache) in out) == (1, True)
    assert folder_state(folder) == before
    code, out, err = run_main(capsys, "validate", "--store", store.root, "--repair")
    assert code == 0, out + err
    assert cache.is_file()
    loaded = store.load_camera(CAMERA)
    assert loaded.references[0].cache_problem is None
    assert np.array_equal(loaded.base_image(), store.reference_image(CAMERA, "day"))
