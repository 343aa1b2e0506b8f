"""What a check of one enrolled camera costs end to end, from each kind of source.

For every source kind (image file, snapshot folder, HTTP JPEG, HTTP PNG, RTSP H.264) one camera is
enrolled in a temporary store (reference captured through the source, faces blurred, self-tested,
permit set), then checked as ``fov-monitor check`` does: grab (connect, transfer, decode), verdict,
evidence image (faces blurred, privacy zones filled) and the result row with its audit line.
An image-file camera gets a new picture (sensor noise) before each check, as a live camera has; the
RTSP stream's first frame is the same each time, so its checks are not recorded (a repeated
picture is a frozen feed). Figures are medians in ms: N checks without evidence (a compliant night)
and N with evidence (what a non-compliant camera costs), one thread for OpenCV and onnxruntime.
Baseline, same run, for the HTTP
JPEG camera: the obvious way (urllib + imdecode, the reference prepared again for every check).

Usage: python benchmarks/camera_check_cost.py [--repeats N] [--data DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2
import numpy as np
from _common import data_dir
from source_speed import http_server, rtsp_server, write_sources

from fov_monitor.core.check import check_frame
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.db.database import Database
from fov_monitor.settings import StoreSettings
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from fov_monitor.workflows.camera_check import EvidencePolicy, check_camera
from fov_monitor.workflows.reference_capture import capture_reference
from tests.support.real_data import video_frames

STEPS = ("load", "grab", "check", "evidence", "record", "total")


def enrol(store: Store, database: Database, camera_id: str, source: str) -> None:
    """Enrol one camera through ``source`` as a technician would."""
    store.add_camera(CameraConfig(camera_id=camera_id, source=source, timeout_s=15.0))
    privacy = StoreSettings(store.root).privacy
    outcome = capture_reference(store, database, camera_id, actor="benchmark", privacy=privacy)
    store.save_permit(camera_id, Permit.whole_image(outcome.info.size_wh), outcome.info.size_wh, "benchmark")


def measure(
    store: Store,
    database: Database,
    camera_id: str,
    evidence: EvidencePolicy,
    repeats: int,
    refresh: Callable[[], None] | None,
) -> tuple[dict[str, float], str]:
    """Return the median ms per step of ``repeats`` checks, and the last verdict.

    ``refresh`` gives the camera a new picture before each check (outside the timing), as a live
    camera has; without it the check is not recorded, since the same picture twice is a frozen feed.
    """
    privacy = StoreSettings(store.root).privacy
    runs = []
    for _ in range(repeats):
        if refresh is not None:
            refresh()
        runs.append(
            check_camera(
                store,
                database,
                camera_id,
                actor="benchmark",
                evidence=evidence,
                privacy=privacy,
                record=refresh is not None,
            )
        )
    medians = {step: statistics.median(run.timings_ms[step] for run in runs) for step in STEPS}
    return medians, str(runs[-1].result.status)


def live_writer(folder: Path, frame: np.ndarray) -> Callable[[], None]:
    """Return a function that writes the frame with new sensor noise to every file a source reads."""
    rng = np.random.default_rng(1)

    def refresh() -> None:
        noisy = np.clip(frame + rng.normal(0.0, 2.0, frame.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / "frame.jpg"), noisy, [cv2.IMWRITE_JPEG_QUALITY, 90])
        cv2.imwrite(str(folder / "frame.png"), noisy)
        cv2.imwrite(str(folder / "uploads" / "snap-049.jpg"), noisy, [cv2.IMWRITE_JPEG_QUALITY, 90])

    return refresh


def naive_check(reference_image: np.ndarray, url: str, repeats: int) -> float:
    """Median ms of the obvious way: urllib + imdecode, the reference prepared again, the core check."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=15) as response:
            live = cv2.imdecode(np.frombuffer(response.read(), np.uint8), cv2.IMREAD_COLOR)
        reference = Reference.from_image(reference_image)
        check_frame(reference, Permit.whole_image(reference.size_wh), live)
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--data", help="real data folder (default ../shared/data or $FOV_MONITOR_DATA)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    video = data_dir(args.data) / "videos" / "vtest.avi"
    frame = next(f for _, f in video_frames(video, 1))
    frame_720p = cv2.resize(frame, (1280, 720), interpolation=cv2.INTER_CUBIC)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        uploads = write_sources(folder, frame_720p)
        store = Store(folder / "store")
        store.init()
        with (
            Database(store.database_path) as database,
            http_server(folder) as base,
            rtsp_server(video) as stream,
        ):
            sources = {
                "file JPEG 1280x720": str(folder / "frame.jpg"),
                "folder (50 JPEG 1280x720)": f"folder:{uploads}",
                "HTTP JPEG 1280x720": f"{base}/frame.jpg",
                "HTTP PNG 1280x720": f"{base}/frame.png",
                "RTSP H.264 768x576": stream,
            }
            print(f"median of {args.repeats} checks of one enrolled camera, ms, one thread")
            header = (
                f"{'source':28} {'evidence':>9} " + " ".join(f"{step:>9}" for step in STEPS) + "  verdict"
            )
            print(header)
            for index, (name, source) in enumerate(sources.items()):
                camera_id = f"cam-{index}"
                enrol(store, database, camera_id, source)
                refresh = None if source.startswith("rtsp") else live_writer(folder, frame_720p)
                for evidence in (EvidencePolicy.NEVER, EvidencePolicy.ALWAYS):
                    medians, status = measure(store, database, camera_id, evidence, args.repeats, refresh)
                    figures = " ".join(f"{medians[step]:9.1f}" for step in STEPS)
                    print(f"{name:28} {evidence:>9} {figures}  {status}")
                    if (
                        source.startswith("http")
                        and source.endswith(".jpg")
                        and evidence is EvidencePolicy.NEVER
                    ):
                        baseline = naive_check(frame_720p, source, args.repeats)
                        print(
                            f"{'  baseline: urllib, no cache':40} total {baseline:9.1f}   "
                            f"ours/baseline {medians['total'] / baseline:.2f}"
                        )


if __name__ == "__main__":
    main()
