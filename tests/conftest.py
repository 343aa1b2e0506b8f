"""Shared fixtures: sample images that ship with scikit-image, and the real data in ../shared/data."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as samples

REPO = Path(__file__).resolve().parents[1]
# The tests read the real data through the same module as the benchmarks.
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import locate_data, video_frames  # noqa: E402
from loopback import free_port  # noqa: E402
from postgres_server import REQUIRE_ENV, PostgresServer, find_bindir, running_server  # noqa: E402
from snapshot_server import SnapshotServer  # noqa: E402

from fov_monitor.cli import main  # noqa: E402
from fov_monitor.core.permit import Permit  # noqa: E402
from fov_monitor.core.synthetic import crop_move  # noqa: E402
from fov_monitor.db.database import Database  # noqa: E402
from fov_monitor.settings import StoreSettings  # noqa: E402
from fov_monitor.store.camera import CameraConfig  # noqa: E402
from fov_monitor.store.store import Store  # noqa: E402
from fov_monitor.workflows.reference_capture import capture_reference  # noqa: E402

# Shared fixtures: the headless Chromium ("browser") of the web app and report tests, and the scan
# tests' fleet of 20 served cameras ("fleet_template", "fleet").
pytest_plugins = ["browser", "fleet"]

VIDEOS = ["vtest.avi", "one-by-one-person-detection.mp4", "video02.avi"]
VIDEO_STEP = 25
"""Every this-many-th frame of each video is checked (a fixed camera changes slowly)."""


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


def sample_bgr(name: str) -> np.ndarray:
    """Return a scikit-image sample photograph as BGR uint8."""
    image = getattr(samples, name)()
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2BGR)


def assert_one_line(error: BaseException, *fragments: str) -> None:
    """Assert that an error message is one line and contains every fragment (the input it names)."""
    message = str(error)
    assert message.strip(), f"{type(error).__name__} has an empty message"
    assert "\n" not in message, f"message is not one line: {message!r}"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """Return one PNG chunk: length, type, body and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims ``width`` x ``height`` (its pixel data is far too short)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return sample_bgr("astronaut")


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``fov-monitor`` in this process; return its exit code, stdout and stderr."""
    capsys.readouterr()
    try:
        code = main([str(arg) for arg in args])
    except SystemExit as exc:  # argparse's usage errors and --help
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_cli_error(result: tuple[int, str, str], *fragments: str | Path) -> str:
    """Assert that a command failed with exit 1 and one ``error:`` line naming every fragment."""
    code, _, err = result
    assert code == 1, result
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Return every file below ``folder`` (relative path to content), to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporary_files(folder: Path) -> list[Path]:
    """Return the atomic writers' leftover temporary files below ``folder``."""
    return sorted(p for p in folder.rglob(".*.tmp"))


CAMERA_SHIFT = 0.10
"""How far the 'panned' view of the enrolled camera is moved (share of the width)."""


@dataclass(frozen=True)
class EnrolledCamera:
    """A store with one camera served over HTTP, its reference captured and its permit set."""

    server: SnapshotServer
    template: Path
    camera_id: str
    path: str
    reference: np.ndarray
    panned: np.ndarray
    permit_xy: list[tuple[float, float]]


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


# A real PostgreSQL server (tests/postgres_server.py), and the results database of either dialect.


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
