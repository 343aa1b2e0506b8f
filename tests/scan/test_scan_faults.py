"""A scan goes on past each camera's own fault, and says what went wrong in one line.

Real faults on loopback and on disk: a port that refuses, a camera that now sends frames of another
size, a reference file damaged on disk, and evidence images that meet a full disk (a 64 KiB tmpfs
mounted over the evidence folder in a private mount namespace).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import pytest

from fov_monitor.core.synthetic import crop_move
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.enrol import enrol_view
from tests.support.images import sample_bgr
from tests.support.paths import REPO
from tests.support.snapshot_server import SnapshotServer

TIMEOUT_S = 10.0
GOOD, REFUSED, RESIZED, DAMAGED, MOVED = "cam-good", "cam-refused", "cam-resized", "cam-damaged", "cam-moved"

Cli = Callable[..., tuple[int, str, str]]


def _closed_port() -> int:
    """Return a loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[SnapshotServer]:
    with SnapshotServer() as running:
        yield running


@pytest.fixture
def store(server: SnapshotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Five cameras, one fault each (and one without)."""
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")  # blurring is tested elsewhere; this is about faults
    root = tmp_path / "store"
    cameras = Store(root)
    cameras.init()
    coffee = sample_bgr("coffee")
    move = crop_move(sample_bgr("astronaut"), (0.12, 0.0))
    views = {GOOD: coffee, REFUSED: coffee, RESIZED: coffee, DAMAGED: coffee, MOVED: move.reference}
    for camera_id, view in views.items():
        server.put(f"/{camera_id}.jpg", view)
        source = (
            f"http://127.0.0.1:{_closed_port()}/x.jpg"
            if camera_id == REFUSED
            else server.url(f"/{camera_id}.jpg")
        )
        enrol_view(cameras, camera_id, source, view, timeout_s=TIMEOUT_S)
    height, width = coffee.shape[:2]
    server.put(f"/{RESIZED}.jpg", cv2.resize(coffee, (width // 2, height // 2), interpolation=cv2.INTER_AREA))
    server.put(f"/{MOVED}.jpg", move.live)
    damaged = cameras.folder(DAMAGED) / "references" / "day.png"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 3])
    (cameras.folder(DAMAGED) / "references" / "day.npz").unlink()  # no cache to fall back on
    return root


def _outcomes(root: Path) -> dict[str, tuple[str, list[str]]]:
    """Return each camera's outcome in the latest run with its reasons."""
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        rows = connection.execute(
            "SELECT camera_id, outcome, reasons_json FROM scan_outcomes "
            "WHERE run_id = (SELECT MAX(id) FROM scan_runs)"
        ).fetchall()
    return {camera: (outcome, json.loads(reasons)) for camera, outcome, reasons in rows}


def test_each_fault_costs_its_own_camera_only(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "scan", "--store", store, "--workers", "1", "--concurrency", "4")
    found = _outcomes(store)
    assert set(found) == {GOOD, REFUSED, RESIZED, DAMAGED, MOVED}, (out, err)
    assert found[GOOD][0] == "compliant"
    assert found[REFUSED][0] == "offline"
    [refused] = found[REFUSED][1]  # offline and error: one reason, what failed
    assert "refused" in refused
    # Half the resolution, the same view: still judged, and judged right.
    assert found[RESIZED][0] == "compliant", found[RESIZED]
    assert found[DAMAGED][0] == "error"
    [damaged] = found[DAMAGED][1]
    assert "day.png" in damaged
    assert found[MOVED][0] == "redirected"
    assert code == 3
    assert all("\n" not in reason for _, reasons in found.values() for reason in reasons)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare for a private tmpfs")
def test_full_disk_for_evidence_keeps_the_verdict_and_leaves_no_partial_file(store: Path) -> None:
    evidence = store / "_evidence"
    evidence.mkdir()
    namespace = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--mount", "--map-root-user"]
    scan = [sys.executable, "-m", "fov_monitor", "scan", "--store", str(store), "--workers", "1"]
    # Fill the tmpfs, scan, then list what the scan left in it (the tmpfs dies with the namespace).
    script = (
        f"mount -t tmpfs -o size=64k fov-full {evidence} || exit 99; "
        f"dd if=/dev/zero of={evidence}/filler bs=4k 2>/dev/null; "
        f'"$@"; code=$?; echo "left: $(ls -A {evidence}/{MOVED} 2>/dev/null)" >&2; exit $code'
    )
    env = {**os.environ, "FOV_MONITOR_UNBLURRED": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*namespace, "sh", "-c", script, "scan", *scan, "--cameras", GOOD, MOVED],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    if done.returncode == 99:
        pytest.skip(f"this kernel refuses a private tmpfs mount: {done.stderr.strip()}")
    # The moved camera's verdict is recorded and counts; only its picture is missing, and says why.
    assert done.returncode == 3, done.stderr
    found = _outcomes(store)
    assert found[MOVED][0] == "redirected"
    assert found[GOOD][0] == "compliant"
    with sqlite3.connect(store / "fov-monitor.sqlite") as connection:
        (evidence_path,) = connection.execute(
            "SELECT evidence_path FROM results WHERE camera_id = ?", (MOVED,)
        ).fetchone()
        audit = connection.execute(
            "SELECT detail_json FROM audit WHERE action = 'evidence not written' AND camera_id = ?", (MOVED,)
        ).fetchall()
    assert evidence_path is None
    assert len(audit) == 1
    assert "No space left" in json.loads(audit[0][0])["error"]
    assert "free disk space" in done.stderr
    # The atomic writer removed its temporary file: the camera's evidence folder was left empty.
    assert done.stderr.rstrip().endswith("left:"), done.stderr[-300:]
