"""Enrolling a fleet from its inventory: ``camera import`` of N cameras, then ``reference capture --all``.

N simulated cameras (1,000 by default) are served over HTTP on loopback by a snapshot server in a
process of its own: each a view cut from a real video (``../shared/data/videos``; 12 views), and 1%
of them silent (they accept the connection and never answer; timeout 2 s). Their inventory is a CSV
file as a municipality would bring it: id, name, place, group (10 groups), the snapshot URL, the
timeout, the decision (number, validity, permitted hours, purpose) and the permitted area ``whole
view``. Then, each command a process of its own as a technician would run it:

* ``fov-monitor camera import fleet.csv`` into a new store, ``--runs`` times (each into a fresh
  store): the median, and per camera; then once more into the same store (every row unchanged);
* ``fov-monitor reference capture --all`` on an imported store, ``--capture-runs`` times (1 by
  default: 1,000 cameras take minutes): every camera grabbed, faces blurred, self-tested and stored,
  its pending permit set; the median, per camera, and the results (captured, warned, failed);
* the baseline, in the same run: ``--sample`` of the same cameras enrolled the way the commands
  allowed before, one ``camera add`` and one ``reference capture`` process per camera (no permit:
  that would be a third process each); the median per camera, and what the whole fleet would take.

Printed: each time, the ratio of the baseline's time per camera to the import and capture's, and the
server's own CPU (it competes with the capture on this machine, unlike real cameras). Everything is
written to a temporary folder that is deleted at the end.

Usage: python benchmarks/enrol_fleet.py [--cameras 1000] [--runs 3] [--capture-runs 1] [--sample 20]
                                        [--concurrency 32] [--workers N] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import data_dir, server_process

from tests.support.real_data import VIDEOS, video_frames
from tests.support.snapshot_server import SnapshotServer

SILENT_EVERY = 100
"""Every this-many-th camera never answers."""
SILENT_TIMEOUT_S, TIMEOUT_S = 2.0, 10.0
VIEWS_PER_VIDEO = 4
GROUPS = 10
COLUMNS = "id,name,place,group,source,timeout_s,decision,valid_from,valid_to,hours,purpose,area"


def silent(index: int) -> bool:
    """Return True if camera ``index`` never answers."""
    return index % SILENT_EVERY == SILENT_EVERY - 1


def views(folder: Path) -> list[np.ndarray]:
    """Return frames spread over each real video, a camera's view each."""
    return [
        frame
        for name in VIDEOS
        for _, frame in list(video_frames(folder / "videos" / name, 60))[:VIEWS_PER_VIDEO]
    ]


def serve(size: int, images: list[np.ndarray], ready: Connection) -> None:
    """Serve the fleet until killed (in its own process); send the base URL and the silent port."""
    with SnapshotServer(noise_sigma=2.0) as server, socket.socket() as quiet:
        quiet.bind(("127.0.0.1", 0))
        quiet.listen(4096)
        for index in range(size):
            server.put(f"/cam-{index:05d}.jpg", images[index % len(images)])
        ready.send((server.url("/"), quiet.getsockname()[1]))
        threading.Event().wait()


def inventory(path: Path, size: int, base: str, port: int) -> None:
    """Write the fleet's CSV inventory, as a municipality's spreadsheet would give it."""
    lines = [COLUMNS]
    for index in range(size):
        camera_id = f"cam-{index:05d}"
        source = f"http://127.0.0.1:{port}/x.jpg" if silent(index) else f"{base}{camera_id}.jpg"
        timeout_s = SILENT_TIMEOUT_S if silent(index) else TIMEOUT_S
        place, group = f"Street {index // 7}", f"district-{index % GROUPS}"
        lines.append(
            f"{camera_id},Camera {index},{place},{group},{source},{timeout_s:g},"
            f"KS-2026-{index:04d},2026-01-01,2030-12-31,06:00-22:00,traffic safety,whole view"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fov_monitor(*args: str | Path, out: Path | None = None) -> tuple[float, int]:
    """Run ``fov-monitor ARGS`` as a process of its own, its output to ``out``; return wall time, exit code.

    Its errors go to the benchmark's own stderr.
    """
    command = [sys.executable, "-m", "fov_monitor", *(str(arg) for arg in args)]
    env = os.environ | {"FOV_MONITOR_ACTOR": "benchmark"}
    started = time.monotonic()
    with open(out or os.devnull, "w", encoding="utf-8") as printed:
        code = subprocess.run(command, stdout=printed, env=env, check=False).returncode
    return time.monotonic() - started, code


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a process has used (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_imports(tmp: Path, fleet: Path, runs: int, stores: int) -> tuple[list[float], list[Path], float]:
    """Import the fleet into ``stores`` fresh stores; return the first ``runs`` times, the stores, and
    the time of importing the same file again into the first (every row unchanged)."""
    times, made = [], []
    for run in range(stores):
        store = tmp / f"store-{run}"
        fov_monitor("init", "--store", store)
        seconds, code = fov_monitor("camera", "import", fleet, "--store", store)
        if code != 0:
            sys.exit(f"error: camera import exited {code}")
        times.append(seconds)
        made.append(store)
    again, _ = fov_monitor("camera", "import", fleet, "--store", made[0])
    return times[:runs], made, again


def time_captures(
    tmp: Path, stores: list[Path], server_pid: int, concurrency: int, workers: int
) -> tuple[list[float], dict[str, int], float]:
    """Capture every camera of each store; return the times, the last run's counts and exit code, and
    the server's CPU seconds a run."""
    times, counts, served = [], {}, 0.0
    for store in stores:
        before = cpu_seconds(server_pid)
        report = tmp / "capture.json"
        seconds, code = fov_monitor(
            "reference", "capture", "--all", "--json", "--store", store,
            "--concurrency", str(concurrency), "--workers", str(workers), out=report,
        )  # fmt: skip
        times.append(seconds)
        served += cpu_seconds(server_pid) - before
        counts = json.loads(report.read_text())["counts"] | {"exit": code}
        shutil.rmtree(store)
    return times, counts, served / len(stores)


def time_baseline(tmp: Path, sample: int, base: str, port: int) -> tuple[list[float], list[float]]:
    """Enrol the first ``sample`` cameras one ``camera add`` and one ``reference capture`` process
    each; return the time of each camera (both processes) and of its ``camera add``."""
    store = tmp / "sample"
    fov_monitor("init", "--store", store)
    per_camera, adds = [], []
    for index in range(sample):
        camera_id = f"cam-{index:05d}"
        source = f"http://127.0.0.1:{port}/x.jpg" if silent(index) else f"{base}{camera_id}.jpg"
        add_s, _ = fov_monitor(
            "camera", "add", camera_id, "--source", source, "--group", f"district-{index % GROUPS}",
            "--timeout", f"{SILENT_TIMEOUT_S if silent(index) else TIMEOUT_S:g}", "--store", store,
        )  # fmt: skip
        capture_s, _ = fov_monitor("reference", "capture", camera_id, "--store", store)
        adds.append(add_s)
        per_camera.append(add_s + capture_s)
    return per_camera, adds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1000, help="fleet size (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the import (median)")
    parser.add_argument("--capture-runs", type=int, default=1, help="runs of the capture (median)")
    parser.add_argument("--sample", type=int, default=20, help="cameras enrolled one process each (baseline)")
    parser.add_argument("--concurrency", type=int, default=32, help="capture: grabs at once")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="capture: worker processes")
    parser.add_argument("--data", help="real data folder (default ../shared/data or $FOV_MONITOR_DATA)")
    args = parser.parse_args()
    images = views(data_dir(args.data))
    size = args.cameras
    height, width = images[0].shape[:2]
    print(
        f"{size} cameras, {len(images)} views {width}x{height} served as JPEG over HTTP on loopback, "
        f"{sum(map(silent, range(size)))} silent (timeout {SILENT_TIMEOUT_S:g} s); capture --concurrency "
        f"{args.concurrency} --workers {args.workers}; {os.cpu_count()} cores",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp_name, server_process(serve, size, images) as (server, address):
        tmp = Path(tmp_name)
        fleet = tmp / "fleet.csv"
        inventory(fleet, size, *address)
        imports, stores, again = time_imports(tmp, fleet, args.runs, max(args.runs, args.capture_runs))
        import_s = statistics.median(imports)
        print(
            f"camera import:           median {import_s:7.2f} s of {len(imports)} "
            f"({1000 * import_s / size:.1f} ms a camera); again, every row unchanged: {again:.2f} s",
            flush=True,
        )
        captures, counts, served = time_captures(
            tmp, stores[: args.capture_runs], server.pid, args.concurrency, args.workers
        )
        capture_s = statistics.median(captures)
        print(
            f"reference capture --all: median {capture_s:7.2f} s of {len(captures)} "
            f"({capture_s / size:.3f} s a camera); {counts}; the server's CPU {served:.1f} s a run",
            flush=True,
        )
        per_camera, adds = time_baseline(tmp, args.sample, *address)
    baseline = statistics.median(per_camera)
    ours = (import_s + capture_s) / size
    print(
        f"baseline, camera add + reference capture, one process each, {args.sample} cameras: median "
        f"{baseline:.2f} s a camera (camera add {statistics.median(adds):.2f} s); {size} cameras: "
        f"~{baseline * size:.0f} s"
    )
    print(
        f"import + capture --all: {import_s + capture_s:.1f} s, {ours:.3f} s a camera: "
        f"{baseline / ours:.1f}x faster than the baseline"
    )


if __name__ == "__main__":
    main()
