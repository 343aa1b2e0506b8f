"""How a nightly scan scales: N simulated cameras served over HTTP on loopback, scanned end to end.

Each size gets a fresh store of N cameras (views: real frames from ``../shared/data/videos``, cut to
a centred window; references enrolled through the store API, further cameras of a view as hard
links), served by a snapshot server in its own process: 5% of the cameras moved (a 10% pan), 5% that
accept the connection and never answer (timeout 2 s), 1% that answer with garbage, the rest as
enrolled. Then ``fov-monitor scan`` runs as a subprocess, as cron would run it: faces blurred in the
evidence images, every non-compliant camera grabbed and judged twice. Printed per size: wall time,
cameras per second, peak memory (the scan process and its worker processes, summed, sampled every
0.2 s from /proc), the outcomes, and whether every moved camera was reported. The server's own CPU
is reported apart: on this 2-core machine it competes with the scan, unlike real cameras.

With ``--cluster`` each size is also scanned, right after the local scan, on a twin of the store
(hard links, taken before the local scan: a second scan of the same store would see every
camera's frame repeated and report a frozen feed) with ``--cluster`` on a Dask ``LocalCluster``
of ``--workers`` worker processes with ``--cluster-threads`` threads each, over TCP on loopback;
its peak memory then counts the scan process only (the workers are the benchmark's children), the
workers' own is printed apart.

Usage: python benchmarks/scan_fleet.py [--sizes 1000,10000] [--concurrency 32] [--workers 2] [--data DIR]
                                       [--cluster] [--cluster-threads 4]
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import data_dir, server_process

from fov_monitor.core.synthetic import crop_move
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from tests.support.enrol import enrol_like, enrol_view
from tests.support.real_data import VIDEOS, video_frames
from tests.support.snapshot_server import SnapshotServer

MOVED_SHARE, SILENT_SHARE, GARBAGE_SHARE = 0.05, 0.05, 0.01
SILENT_TIMEOUT_S, TIMEOUT_S = 2.0, 10.0
BASELINE_CAMERAS = 200
VIEWS_PER_VIDEO = 4


def kind_of(index: int) -> str:
    """Return what camera ``index`` does: spread evenly, so any prefix of the fleet has its shares."""
    slot = index % 100
    if slot < 100 * SILENT_SHARE:
        return "silent"
    if slot < 100 * (SILENT_SHARE + MOVED_SHARE):
        return "moved"
    if slot < 100 * (SILENT_SHARE + MOVED_SHARE + GARBAGE_SHARE):
        return "garbage"
    return "normal"


def views(folder: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (reference, moved live) pairs cut from frames spread over each video."""
    pairs = []
    for name in VIDEOS:
        frames = [frame for index, frame in video_frames(folder / "videos" / name, 60)][:VIEWS_PER_VIDEO]
        for frame in frames:
            move = crop_move(frame, (0.10, 0.0))
            pairs.append((move.reference, move.live))
    return pairs


def serve(size: int, pairs: list[tuple[np.ndarray, np.ndarray]], ready: Connection) -> None:
    """Serve the fleet until killed (runs in its own process); send the base URL and silent port."""
    with SnapshotServer() as server, socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4096)
        for index in range(size):
            reference, live = pairs[index % len(pairs)]
            kind = kind_of(index)
            if kind == "garbage":
                server.put(f"/cam-{index:05d}.jpg", b"\xff\xd8\xff not a picture")
            elif kind != "silent":
                server.put(f"/cam-{index:05d}.jpg", live if kind == "moved" else reference)
        ready.send((server.url("/"), silent.getsockname()[1]))
        threading.Event().wait()


@contextmanager
def fleet_server(
    size: int, pairs: list[tuple[np.ndarray, np.ndarray]]
) -> Iterator[tuple[BaseProcess, str, int]]:
    """Serve the fleet from a process of its own (its CPU is measured apart); yield it, the base URL
    and the silent port; kill it at the end."""
    with server_process(serve, size, pairs) as (server, (base, port)):
        yield server, base, port


def enrol_fleet(
    store: Store, size: int, pairs: list[tuple[np.ndarray, np.ndarray]], base: str, port: int
) -> None:
    """Enrol ``size`` cameras; the first of each view through the store API, the others as links."""
    store.init()
    for index in range(size):
        camera_id = f"cam-{index:05d}"
        silent = kind_of(index) == "silent"
        source = f"http://127.0.0.1:{port}/x.jpg" if silent else f"{base}{camera_id}.jpg"
        timeout_s = SILENT_TIMEOUT_S if silent else TIMEOUT_S
        if index < len(pairs):
            enrol_view(store, camera_id, source, pairs[index][0], timeout_s=timeout_s)
        else:
            enrol_like(store, f"cam-{index % len(pairs):05d}", camera_id, source, timeout_s=timeout_s)


def tree_memory(pid: int) -> dict[int, tuple[str, int, int]]:
    """Return pid -> (name, RSS bytes, PSS bytes) of ``pid`` and all its descendants (Linux /proc).

    PSS shares each page among the processes that map it, so it can be summed; RSS counts the
    libraries every worker maps (OpenCV, onnxruntime) once per process.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found: dict[int, tuple[str, int, int]] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                fields = {line.split(":")[0]: line.split()[1] for line in rollup if ":" in line}
            with open(f"/proc/{current}/comm", encoding="ascii") as comm:
                name = comm.read().strip()
            found[current] = (name, int(fields["Rss"]) * 1024, int(fields["Pss"]) * 1024)
        except (OSError, KeyError, ValueError):
            continue
    return found


def scan(
    store: Store, report: Path, concurrency: int, workers: int, extra: tuple[str, ...] = ()
) -> tuple[float, int, int, dict[int, tuple[str, int, int]]]:
    """Run ``fov-monitor scan``; return wall time, exit code, peak summed PSS and the processes then."""
    command = [sys.executable, "-m", "fov_monitor", "scan", "--store", str(store.root), "--json", str(report)]
    command += ["--concurrency", str(concurrency), "--workers", str(workers), *extra]
    env = os.environ | {"FOV_MONITOR_ACTOR": "benchmark"}
    started = time.monotonic()
    with open(store.root.parent / "scan.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        peak, at_peak = 0, {}
        while process.poll() is None:
            processes = tree_memory(process.pid)
            pss = sum(p for _, _, p in processes.values())
            if pss > peak:
                peak, at_peak = pss, processes
            time.sleep(0.2)
    return time.monotonic() - started, process.returncode, peak, at_peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="fleet sizes, comma-separated")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data", help="real data folder (default ../shared/data or $FOV_MONITOR_DATA)")
    parser.add_argument("--cluster", action="store_true", help="also scan on a Dask LocalCluster")
    parser.add_argument("--cluster-threads", type=int, default=4, help="threads per Dask worker")
    args = parser.parse_args()
    cluster = start_cluster(args.workers, args.cluster_threads) if args.cluster else None
    pairs = views(data_dir(args.data))
    sizes = [int(size) for size in args.sizes.split(",")]
    height, width = pairs[0][0].shape[:2]
    print(
        f"{len(pairs)} views ~{width}x{height}; {MOVED_SHARE:.0%} moved, {SILENT_SHARE:.0%} silent "
        f"(timeout {SILENT_TIMEOUT_S:g} s), {GARBAGE_SHARE:.0%} garbage; concurrency {args.concurrency}, "
        f"workers {args.workers}, {os.cpu_count()} cores"
    )
    print(
        f"{'cameras':>8} {'enrol s':>8} {'wall s':>8} {'cams/s':>8} {'PSS MB':>8} "
        f"{'server cpu s':>12}  outcomes"
    )
    timings: list[tuple[int, float]] = []
    peaks: list[int] = []
    peak_rss: list[int] = []
    missed_total = 0
    alert_gaps = 0
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp, fleet_server(size, pairs) as (server, base, port):
            store = Store(Path(tmp) / "store")
            started = time.monotonic()
            enrol_fleet(store, size, pairs, base, port)
            enrol_s = time.monotonic() - started
            twin = Store(Path(tmp) / "twin")
            if cluster is not None:
                shutil.copytree(store.root, twin.root, copy_function=os.link)
                (twin.root / "fov-monitor.sqlite").unlink(missing_ok=True)
            server_cpu_before = _cpu_seconds(server.pid)
            wall_s, code, peak, processes = scan(
                store, Path(tmp) / "scan.json", args.concurrency, args.workers
            )
            server_cpu = _cpu_seconds(server.pid) - server_cpu_before
            if cluster is not None:
                cluster_s, cluster_code, cluster_peak, _ = scan(
                    twin,
                    Path(tmp) / "scan-cluster.json",
                    args.concurrency,
                    args.workers,
                    ("--cluster", cluster.scheduler_address),
                )
                workers_pss = sum(
                    pss
                    for worker in cluster.workers.values()
                    for _, _, pss in tree_memory(worker.pid).values()
                )
                cluster_counts = json.loads((Path(tmp) / "scan-cluster.json").read_text()).get("counts", {})
                print(
                    f"{'':8} on the Dask cluster ({args.workers} workers x {args.cluster_threads} threads): "
                    f"wall {cluster_s:.1f} s, {size / cluster_s:.1f} cameras/s, exit {cluster_code}, "
                    f"scan process {cluster_peak / 2**20:.0f} MB PSS, workers {workers_pss / 2**20:.0f} MB "
                    f"PSS after; {cluster_counts}",
                    flush=True,
                )
            document = json.loads((Path(tmp) / "scan.json").read_text()) if code in (0, 3, 4) else {}
            counts = document.get("counts", {})
            by_camera = {row["camera_id"]: row["outcome"] for row in document.get("cameras", [])}
            moved = [f"cam-{i:05d}" for i in range(size) if kind_of(i) == "moved"]
            missed = [camera for camera in moved if by_camera.get(camera) != "redirected"]
            # Silent and garbage cameras are offline: an alert only after 3 scans in a row.
            opened = (document.get("alerts") or {}).get("opened", 0)
            print(
                f"{size:8d} {enrol_s:8.1f} {wall_s:8.1f} {size / wall_s:8.1f} {peak / 2**20:8.0f} "
                f"{server_cpu:12.1f}  exit {code}, {counts}; moved reported {len(moved) - len(missed)}/"
                f"{len(moved)}, alerts opened {opened}",
                flush=True,
            )
            alert_gaps += abs(opened - len(moved))
            timings.append((size, wall_s))
            peaks.append(peak)
            peak_rss.append(sum(rss for _, rss, _ in processes.values()))
            missed_total += len(missed)
            shown = ", ".join(
                f"{name} {rss / 2**20:.0f}/{pss / 2**20:.0f}" for name, rss, pss in processes.values()
            )
            print(f"{'':8} at peak, MB RSS/PSS per process: {shown}")
    if len(timings) > 1:
        (small, small_s), (large, large_s) = timings[0], timings[-1]
        print(
            f"time grows x{large_s / small_s:.2f} for x{large / small:.1f} cameras; "
            f"projected 10,000 cameras: {large_s * 10_000 / large:.0f} s"
        )
    baseline_rate, ours_rate = sequential_baseline(pairs, args.concurrency, args.workers)
    hang_s = hang_cost(args.concurrency)
    print(f"benchmark's own peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    _goals(timings, peaks, peak_rss, missed_total, hang_s, baseline_rate, ours_rate)
    verdict = "PASS" if alert_gaps == 0 else "FAIL"
    print(f"goal: one alert per moved camera, no other: off by {alert_gaps}: {verdict}")


def sequential_baseline(
    pairs: list[tuple[np.ndarray, np.ndarray]], concurrency: int, workers: int
) -> tuple[float, float]:
    """Scan the same 200-camera fleet one camera at a time, then as configured; return cameras/s of each.

    Each scan gets its own copy of the store: a second scan of one store would see every camera's
    frame repeated (a frozen feed).
    """
    size = BASELINE_CAMERAS
    with tempfile.TemporaryDirectory() as tmp, fleet_server(size, pairs) as (_, base, port):
        store = Store(Path(tmp) / "store")
        enrol_fleet(store, size, pairs, base, port)
        twin = Store(Path(tmp) / "twin")
        shutil.copytree(store.root, twin.root, copy_function=os.link)
        sequential_s, *_ = scan(store, Path(tmp) / "sequential.json", 1, 1)
        ours_s, *_ = scan(twin, Path(tmp) / "ours.json", concurrency, workers)
    print(
        f"baseline, {size} cameras one at a time (--concurrency 1 --workers 1): {size / sequential_s:.1f} "
        f"cameras/s; as configured: {size / ours_s:.1f} cameras/s (x{sequential_s / ours_s:.1f})"
    )
    return size / sequential_s, size / ours_s


def hang_cost(concurrency: int) -> float:
    """Return the scan time each camera that never answers costs, per grab slot, in seconds.

    Two waves of ``concurrency`` silent cameras (timeout 2 s) are scanned, and a one-camera scan
    gives the fixed cost (start-up, worker processes) to take off: a hang that is cut at its timeout
    costs 2 s of a slot.
    """
    silent_count = 2 * concurrency
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as silent, SnapshotServer() as server:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4096)
        image = np.zeros((360, 640, 3), np.uint8)
        image[::8] = 255
        stores = []
        for name, count in (("one", 0), ("silent", silent_count)):
            store = Store(Path(tmp) / name)
            store.init()
            server.put("/ok.jpg", image)
            enrol_view(store, "cam-ok", server.url("/ok.jpg"), image, timeout_s=TIMEOUT_S)
            for index in range(count):
                url = f"http://127.0.0.1:{silent.getsockname()[1]}/x.jpg"
                store.add_camera(
                    CameraConfig(f"cam-silent-{index:03d}", source=url, timeout_s=SILENT_TIMEOUT_S)
                )
            stores.append(store)
        fixed_s, *_ = scan(stores[0], Path(tmp) / "one.json", concurrency, 1)
        wall_s, *_ = scan(stores[1], Path(tmp) / "silent.json", concurrency, 1)
    per_camera = (wall_s - fixed_s) * concurrency / silent_count
    print(
        f"hang cost: {silent_count} silent cameras (timeout {SILENT_TIMEOUT_S:g} s, "
        f"concurrency {concurrency}) "
        f"took {wall_s:.1f} s, {fixed_s:.1f} s of it fixed: {per_camera:.2f} s of a grab slot per camera"
    )
    return per_camera


def _goals(
    timings: list[tuple[int, float]],
    peaks: list[int],
    peak_rss: list[int],
    missed: int,
    hang_s: float,
    baseline_rate: float,
    ours_rate: float,
) -> None:
    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    largest, largest_s = timings[-1]
    projected = largest_s * 10_000 / largest
    print(
        f"goal: 10,000 cameras in <= 300 s: {projected:.0f} s{'' if largest == 10_000 else ' (projected)'}: "
        f"{verdict(projected <= 300)}"
    )
    growth = max(peaks) / min(peaks)
    print(
        f"goal: peak memory <= 1024 MB PSS and flat in N: {max(peaks) / 2**20:.0f} MB, "
        f"largest/smallest x{growth:.2f} (RSS summed over the processes, counting shared pages in each: "
        f"{max(peak_rss) / 2**20:.0f} MB): "
        f"{verdict(max(peaks) <= 2**30 and growth <= 1.2)}"
    )
    print(f"goal: every moved camera reported: {missed} missed: {verdict(missed == 0)}")
    print(
        f"goal: a hanging camera costs no more than its timeout ({SILENT_TIMEOUT_S:g} s): {hang_s:.2f} s: "
        f"{verdict(hang_s <= SILENT_TIMEOUT_S * 1.05)}"
    )
    print(f"against the one-at-a-time baseline: x{ours_rate / baseline_rate:.1f} cameras/s")


def start_cluster(workers: int, threads: int) -> Any:
    """Start a Dask LocalCluster of ``workers`` processes over TCP on loopback (closed at exit)."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=threads,
        processes=True,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=":0",
    )
    atexit.register(cluster.close)
    return cluster


def _cpu_seconds(pid: int | None) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
