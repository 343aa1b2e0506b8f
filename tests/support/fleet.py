"""The scan tests' fleet: 20 cameras served over HTTP on loopback, enrolled in a real store.

12 cameras as enrolled, 3 moved, 1 moved on its first frame only (a passing bus), 2 that accept the
connection and never answer, 1 that answers with garbage and 1 whose permit is missing. Shared by
``tests/scan/test_scan.py`` (this machine) and ``tests/scan/test_scan_dask.py`` (a Dask cluster).
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from fov_monitor.core.synthetic import crop_move
from fov_monitor.store.store import Store
from tests.support.enrol import enrol_like, enrol_view
from tests.support.images import sample_bgr
from tests.support.snapshot_server import SnapshotServer

VIEWS = ("coffee", "astronaut", "chelsea")
NORMAL = [f"cam-{i:02d}" for i in range(12)]
MOVED = ["cam-12", "cam-13", "cam-14"]
MOVED_ONCE = "cam-15"
SILENT = ["cam-16", "cam-17"]
GARBAGE = "cam-18"
NO_PERMIT = "cam-19"
EVERY = [*NORMAL, *MOVED, MOVED_ONCE, *SILENT, GARBAGE, NO_PERMIT]
EXPECTED = {
    **{camera: ("compliant", 0) for camera in NORMAL},
    **{camera: ("redirected", 1) for camera in MOVED},
    MOVED_ONCE: ("compliant", 1),  # moved on the first frame, as enrolled on the second
    **{camera: ("offline", 0) for camera in [*SILENT, GARBAGE]},
    NO_PERMIT: ("error", 0),
}
"""camera -> (outcome, rechecked) of a scan of the whole fleet."""
SILENT_TIMEOUT_S = 1.0
TIMEOUT_S = 10.0
"""Answering cameras get room: on 2 busy cores (worker processes starting) a grab can take a second."""


@dataclass(frozen=True)
class Fleet:
    server: SnapshotServer
    template: Path
    live: dict[str, object]  # camera id -> what it serves when moved

    def copy(self, root: Path) -> Path:
        """Copy the enrolled store to ``root``; the moved-once camera shows its odd frame next."""
        shutil.copytree(self.template, root)
        self.server.put_once(f"/{MOVED_ONCE}.jpg", self.live[MOVED_ONCE])  # type: ignore[arg-type]
        return root


@contextmanager
def serve_fleet(root: Path, noise_sigma: float = 0.0) -> Iterator[Fleet]:
    """Enrol the 20 cameras at ``root`` through the store API from in-memory images, and serve them.

    With ``noise_sigma`` each grab gets fresh sensor noise, so that the fleet can be scanned again
    without every camera looking frozen.
    """
    moves = [crop_move(sample_bgr(name), (0.10, 0.0)) for name in VIEWS]
    store = Store(root)
    store.init()
    with SnapshotServer(noise_sigma=noise_sigma) as server, socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}/snapshot.jpg"
        live: dict[str, object] = {}
        for index, camera_id in enumerate(EVERY):
            move = moves[index % len(VIEWS)]
            path = f"/{camera_id}.jpg"
            server.put(path, move.reference)
            source = silent_url if camera_id in SILENT else server.url(path)
            if index < len(VIEWS):
                enrol_view(store, camera_id, source, move.reference, timeout_s=TIMEOUT_S)
            else:
                timeout_s = SILENT_TIMEOUT_S if camera_id in SILENT else TIMEOUT_S
                enrol_like(store, EVERY[index % len(VIEWS)], camera_id, source, timeout_s=timeout_s)
            live[camera_id] = move.live
        for camera_id in MOVED:
            server.put(f"/{camera_id}.jpg", live[camera_id])  # type: ignore[arg-type]
        server.put(f"/{GARBAGE}.jpg", b"\xff\xd8\xff garbage, not a JPEG")
        (store.folder(NO_PERMIT) / "permit.json").unlink()
        yield Fleet(server, root, live)


@pytest.fixture(scope="module")
def fleet_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Enrol and serve the 20 cameras once per module."""
    with serve_fleet(tmp_path_factory.mktemp("fleet") / "store") as fleet:
        yield fleet


@pytest.fixture
def fleet(fleet_template: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the fleet's store, scanned as the nightly job would."""
    # Face blurring of the evidence images costs seconds per scan and is tested elsewhere; the scan's
    # parent reads this and sends it to Dask workers with each task.
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "night-scan")
    monkeypatch.delenv("FOV_MONITOR_CLUSTER", raising=False)
    return fleet_template.copy(tmp_path / "store")


def wait_for_progress(scan: subprocess.Popen[str], lines: int) -> None:
    """Read a running scan's output until it has printed ``lines`` progress lines (``[done/total] ...``)."""
    assert scan.stdout is not None
    seen = 0
    for line in scan.stdout:
        seen += line.startswith("[")
        if seen == lines:
            return


def outcomes(store: Path, run_id: int | None = None) -> dict[str, tuple[str, int]]:
    """Return camera -> (outcome, rechecked) of a run (the latest when None)."""
    with sqlite3.connect(store / "fov-monitor.sqlite") as connection:
        if run_id is None:
            run_id = connection.execute("SELECT MAX(id) FROM scan_runs").fetchone()[0]
        rows = connection.execute(
            "SELECT camera_id, outcome, rechecked FROM scan_outcomes WHERE run_id = ?", (run_id,)
        ).fetchall()
    return {camera: (outcome, rechecked) for camera, outcome, rechecked in rows}
