"""Wall time of one grab from each kind of source on loopback: what a camera check costs before the check.

Sources: an image file, a snapshot folder, HTTP snapshots (JPEG and PNG, 1280x720, a real frame of
vtest.avi scaled up) from Python's http.server, and the first frame of an RTSP stream (vtest.avi as
H.264, 768x576) from GStreamer's RTSP server (tests/support/rtsp_server.py under Debian's /usr/bin/python3).
Each figure is the median of N grabs, split into connect (``list`` for a folder), transfer and decode.

Usage: python benchmarks/source_speed.py [--repeats N] [--data DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2
import numpy as np
from _common import data_dir

from fov_monitor.sources import grab
from tests.support.paths import RTSP_SERVER
from tests.support.real_data import video_frames

STAGES = ("connect", "list", "transfer", "decode")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def http_server(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on loopback and yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def rtsp_server(video: Path) -> Iterator[str]:
    """Run tests/support/rtsp_server.py with Debian's python and yield the stream's URL."""
    server = subprocess.Popen(
        ["/usr/bin/python3", str(RTSP_SERVER), str(video)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready = server.stdout.readline() if server.stdout else ""
        if not ready.startswith("READY "):
            sys.exit("error: the RTSP server did not start; install the apt packages .ci/run installs")
        yield ready.split()[1]
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(10)


def write_sources(folder: Path, frame: np.ndarray) -> Path:
    """Write ``frame`` as frame.jpg, frame.png and 50 snapshots in uploads/; return uploads/."""
    cv2.imwrite(str(folder / "frame.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    cv2.imwrite(str(folder / "frame.png"), frame)
    uploads = folder / "uploads"
    uploads.mkdir(exist_ok=True)
    for index in range(50):
        cv2.imwrite(str(uploads / f"snap-{index:03d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return uploads


def measure(source: str, repeats: int) -> dict[str, float]:
    """Return the median seconds per stage (and in total) of ``repeats`` grabs of ``source``."""
    runs = [grab(source, timeout_s=15.0).timings for _ in range(repeats)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--data", help="real data folder (default ../shared/data or $FOV_MONITOR_DATA)")
    args = parser.parse_args()
    video = data_dir(args.data) / "videos" / "vtest.avi"
    frame = cv2.resize(next(f for _, f in video_frames(video, 1)), (1280, 720), interpolation=cv2.INTER_CUBIC)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        uploads = write_sources(folder, frame)
        with http_server(folder) as base, rtsp_server(video) as stream:
            sources = {
                "file JPEG 720p": str(folder / "frame.jpg"),
                "folder (50 JPEG 720p)": f"folder:{uploads}",
                f"HTTP JPEG 720p ({(folder / 'frame.jpg').stat().st_size // 1024} KiB)": f"{base}/frame.jpg",
                f"HTTP PNG 720p ({(folder / 'frame.png').stat().st_size // 1024} KiB)": f"{base}/frame.png",
                "RTSP H.264 768x576, first frame": stream,
            }
            print(f"median of {args.repeats} grabs on loopback, ms (connect = DNS/TCP/TLS/RTSP set-up)")
            print(f"{'source':36} {'total':>8} " + " ".join(f"{stage:>9}" for stage in STAGES))
            for name, source in sources.items():
                medians = measure(source, args.repeats)
                split = " ".join(
                    f"{medians[stage] * 1000:9.1f}" if stage in medians else f"{'-':>9}" for stage in STAGES
                )
                print(f"{name:36} {medians['total'] * 1000:8.1f} {split}")


if __name__ == "__main__":
    main()
