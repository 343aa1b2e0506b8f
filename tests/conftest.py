"""Shared fixtures: sample images that ship with scikit-image, and the real data in ../shared/data.

The helpers and servers behind them are in ``tests.support``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from fov_monitor.core.permit import Permit
from fov_monitor.core.synthetic import crop_move
from fov_monitor.db.database import Database
from fov_monitor.settings import StoreSettings
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from fov_monitor.workflows.reference_capture import capture_reference
from tests.support.enrolled_camera import CAMERA_SHIFT, EnrolledCamera
from tests.support.images import sample_bgr
from tests.support.loopback import free_port
from tests.support.postgres_server import REQUIRE_ENV, PostgresServer, find_bindir, running_server
from tests.support.processes import kill, scan_processes_left, wait_until_gone
from tests.support.real_data import VIDEOS, locate_data, video_frames
from tests.support.snapshot_server import SnapshotServer

# Shared fixtures: the headless Chromium ("browser") of the web app and report tests, and the scan
# tests' fleet of 20 served cameras ("fleet_template", "fleet").
pytest_plugins = ["tests.support.browser", "tests.support.fleet"]

VIDEO_STEP = 25
"""Every this-many-th frame of each video is checked (a fixed camera changes slowly)."""


@pytest.fixture(autouse=True)
def no_scan_process_left_behind() -> Iterator[None]:
    """Fail a test that leaves a scan's process alive: the scan, a worker, a fork server or a tracker.

    A process that a test killed may take a moment to be gone (its workers see their parent die, then
    the fork server and the tracker see their last user go), so leftovers are given 10 s.
    """
    yield
    if not scan_processes_left():
        return
    left = wait_until_gone(scan_processes_left, timeout_s=10.0)
    if left:
        kill(left)
        shown = "; ".join(f"pid {process.pid} ({process.command[:100]})" for process in left)
        pytest.fail(f"scan processes outlived the test (killed now): {shown}")


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and its key for 127.0.0.1, made by openssl: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return ``../shared/data`` (or ``$FOV_MONITOR_DATA``); skip only when the folder is absent."""
    folder = locate_data()
    if not folder.is_dir():
        pytest.skip(f"real test data not found at {folder}; set FOV_MONITOR_DATA or lay out ../shared/data")
    return folder


@pytest.fixture(scope="session")
def video_samples(shared_data: Path) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Decode each real video once per session, keeping every ``VIDEO_STEP``-th frame with its index."""
    return {name: list(video_frames(shared_data / "videos" / name, every=VIDEO_STEP)) for name in VIDEOS}


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return sample_bgr("astronaut")


@pytest.fixture(scope="session")
def enrolled_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnrolledCamera]:
    """Enrol one camera (coffee photograph, the whole reference permitted) once per session."""
    move = crop_move(sample_bgr("coffee"), (CAMERA_SHIFT, 0.0))
    height, width = move.reference.shape[:2]
    permit_xy = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    root = tmp_path_factory.mktemp("enrolled") / "store"
    with SnapshotServer() as server:
        server.put("/cam-a.jpg", move.reference)
        store = Store(root)
        store.init()
        store.add_camera(
            CameraConfig("cam-a", source=server.url("/cam-a.jpg"), hfov_deg=60.0, group="harbour")
        )
        with Database(store.database_path) as database:
            capture_reference(store, database, "cam-a", actor="fixture", privacy=StoreSettings(root).privacy)
        store.save_permit("cam-a", Permit(permitted_xy=permit_xy), (width, height), "fixture")
        yield EnrolledCamera(server, root, "cam-a", "/cam-a.jpg", move.reference, move.live, permit_xy)


@pytest.fixture
def enrolled(enrolled_template: EnrolledCamera, tmp_path: Path) -> Iterator[tuple[EnrolledCamera, Path]]:
    """A private copy of the enrolled store, its camera serving the unmoved view; yields (camera, store)."""
    root = tmp_path / "store"
    shutil.copytree(enrolled_template.template, root)
    enrolled_template.server.put(enrolled_template.path, enrolled_template.reference)
    yield enrolled_template, root
    enrolled_template.server.put(enrolled_template.path, enrolled_template.reference)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel completes them) but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


# A real PostgreSQL server (tests/support/postgres_server.py), and the results database of either dialect.


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start one PostgreSQL cluster per session; skip when its binaries are absent (fail under CI)."""
    bindir = find_bindir()
    if bindir is None:
        message = (
            "PostgreSQL's initdb/pg_ctl not found (Debian: apt-get install postgresql, or set "
            "$FOV_MONITOR_PG_BINDIR)"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message}; ${REQUIRE_ENV}=1 requires it")
        pytest.skip(message)
    with running_server(bindir) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new empty PostgreSQL database of its own, with the password in its URL."""
    url = postgres_server.create_database()
    yield url
    postgres_server.start_if_stopped()
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new empty results database of each dialect: a SQLite path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "results.sqlite")
    return str(request.getfixturevalue("postgres_url"))
