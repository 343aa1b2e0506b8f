"""Issue 18 end to end: a municipality's nightly scans of 15 real webcams over months, enrolled by the CLI.

Data: ``webcams/<camera>/*.jpg`` of the real-data folder (four fixed outdoor webcams, 40 to 50 images
each over months, by day and by night). Each webcam gives four cameras: four windows of about 80% of
its images (78% to 82%), each at another position so no two coincide; the first 15 of the 16,
interleaved by webcam, make the fleet (``--cameras N``). Each camera uploads to a folder of its own
(a ``folder:DIR`` source: the scan takes its newest complete image), the file's time being the
image's own timestamp.

A technician enrols each camera with the CLI: ``fov-monitor camera add ID --source folder:DIR``,
``reference capture ID`` on the first image and ``permit set ID --polygon`` covering the whole
reference. Then every night the next image of each webcam is uploaded and ``fov-monitor scan --json
FILE`` runs once, as cron would run it; outcomes are read from that file. Every camera is moved
twice, on two different nights: its window shifted by 8% of its size (the first time sideways, the
second time up or down, towards the room its position leaves), and back the next night. An unmoved
camera-night reported ``redirected``, ``zone_exposed`` or ``tampered`` is a false alarm;
``unverifiable``, ``offline`` and ``error`` are counted apart. A move is caught when reported
``redirected`` or ``zone_exposed``, or ``tampered`` with the move measured (the stored result's
``outside_fraction``, read from the store's database by the row's ``result_id``, above the
tolerance of 2%).

Prints per camera and in total: camera-nights, false alarms (and per 1,000 unmoved camera-nights),
unverifiable, moves caught / moves, with every false alarm and missed move listed, and the wall time
of each scan (the CLI's start included). The nights are the images after the first of the webcam with
fewest (39 with all four webcams); ``--nights N`` takes the first N. Everything is written to a
temporary folder that is deleted at the end.

Usage: python benchmarks/webcams_nightly.py [--data DIR] [--nights N] [--cameras N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2
import numpy as np
from _common import data_dir

from fov_monitor.db.database import Database

WEBCAMS = ("chamonix", "courbevoie", "mexico", "stlouis")
WINDOWS = {
    "a": (0.80, 0.02, 0.03, ("right", "down")),
    "b": (0.78, 0.20, 0.05, ("left", "down")),
    "c": (0.82, 0.04, 0.16, ("right", "up")),
    "d": (0.79, 0.18, 0.19, ("left", "up")),
}
"""Per window: its size (share of the image's width and height), its left and top (shares of the image)
and the directions of its two moves."""
DIRECTIONS = {"right": (1, 0), "left": (-1, 0), "down": (0, 1), "up": (0, -1)}
MOVE = 0.08
"""A move shifts the window by this share of its own width or height."""
TOLERANCE = 0.02
ALARMS = frozenset({"redirected", "zone_exposed", "tampered"})
FLAGS = frozenset({"redirected", "zone_exposed"})
UNCHECKED = frozenset({"unverifiable", "offline", "error"})
SCAN_EXIT_CODES = (0, 3, 4)
"""All compliant; some camera not compliant; some camera unchecked. Anything else is a failed scan."""
ENROLLING = 2
"""Cameras enrolled at once (each by its own CLI calls, one after another)."""
CLEARED_ENV = ("FOV_MONITOR_DB", "FOV_MONITOR_STORE", "FOV_MONITOR_CLUSTER")
"""Settings of the caller's own deployment that must not reach the benchmark's store."""


@dataclass(frozen=True)
class Camera:
    """One simulated camera: a window of a webcam's images and the nights it is moved on."""

    camera_id: str
    webcam: str
    images: list[Path]
    box: tuple[int, int, int, int]
    moves: dict[int, str]
    """Night index -> direction of the move that night (the camera is back the next night)."""

    def frame(self, image: np.ndarray, direction: str | None) -> np.ndarray:
        """Return the camera's view of ``image``, shifted by ``MOVE`` of its size towards ``direction``."""
        left, top, width, height = self.box
        dx, dy = DIRECTIONS[direction] if direction else (0, 0)
        left, top = left + dx * round(MOVE * width), top + dy * round(MOVE * height)
        if left < 0 or top < 0 or left + width > image.shape[1] or top + height > image.shape[0]:
            sys.exit(
                f"error: {self.camera_id}: the window leaves an image of {image.shape[1]}x{image.shape[0]}"
            )
        return np.ascontiguousarray(image[top : top + height, left : left + width])


@dataclass(frozen=True)
class Night:
    """One camera's outcome in one night's scan."""

    camera_id: str
    night: int
    image: str
    moved: str | None
    outcome: str
    reason: str
    rechecked: bool
    outside: float | None

    @property
    def false_alarm(self) -> bool:
        """An unmoved camera reported redirected, zone exposed or tampered."""
        return self.moved is None and self.outcome in ALARMS

    @property
    def caught(self) -> bool:
        """A moved camera reported redirected or zone exposed, or tampered with the move measured."""
        if self.moved is None:
            return False
        if self.outcome in FLAGS:
            return True
        return self.outcome == "tampered" and self.outside is not None and self.outside > TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-ready values."""
        return {
            "camera": self.camera_id,
            "night": self.night,
            "image": self.image,
            "moved": self.moved,
            "outcome": self.outcome,
            "reason": self.reason,
            "rechecked": self.rechecked,
            "outside_fraction": None if self.outside is None else round(self.outside, 5),
            "false_alarm": self.false_alarm,
            "caught": self.caught if self.moved else None,
        }


def move_nights(index: int, nights: int) -> tuple[int, int]:
    """Return the two nights camera ``index`` is moved on: one in each half, each with a night after it."""
    half = nights // 2
    return (index * 3) % (half - 1), half + (index * 5) % (nights - half - 1)


def fleet(folder: Path, count: int, nights: int | None) -> tuple[list[Camera], int]:
    """Return the first ``count`` cameras (windows interleaved by webcam) and the number of nights."""
    slots = [(webcam, slot) for slot in WINDOWS for webcam in WEBCAMS][:count]
    images = {webcam: sorted((folder / "webcams" / webcam).glob("*.jpg")) for webcam, _ in slots}
    available = min(len(paths) for paths in images.values()) - 1
    total = available if nights is None else min(nights, available)
    if total < 4:
        sys.exit(f"error: {total} nights: two moves per camera, each followed by a night back, need 4")
    cameras = []
    for index, (webcam, slot) in enumerate(slots):
        first = cv2.imread(str(images[webcam][0]))
        if first is None:
            sys.exit(f"error: cannot read {images[webcam][0]}; check the data folder")
        size, left, top, directions = WINDOWS[slot]
        height, width = first.shape[:2]
        box = (round(left * width), round(top * height), round(size * width), round(size * height))
        moves = dict(zip(move_nights(index, total), directions, strict=True))
        cameras.append(Camera(f"{webcam}-{slot}", webcam, images[webcam][: total + 1], box, moves))
    return cameras, total


def cli(store: Path, *arguments: str, ok: Sequence[int] = (0,)) -> subprocess.CompletedProcess[str]:
    """Run ``fov-monitor --store STORE ARGUMENTS`` in this Python; exit with its output on another code."""
    env = {name: value for name, value in os.environ.items() if name not in CLEARED_ENV}
    command = [sys.executable, "-m", "fov_monitor", "--store", str(store), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in ok:
        sys.exit(f"error: {' '.join(arguments)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


def upload(camera: Camera, uploads: Path, night: int, direction: str | None) -> str:
    """Write the camera's view of image ``night`` (0: the reference's) into its folder, as a camera would.

    The file appears whole (written aside, then renamed) and its time is the image's timestamp.
    """
    path = camera.images[night]
    image = cv2.imread(str(path))
    if image is None:
        sys.exit(f"error: cannot read {path}; check the data folder")
    folder = uploads / camera.camera_id
    folder.mkdir(exist_ok=True)
    ok, encoded = cv2.imencode(".jpg", camera.frame(image, direction), [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        sys.exit(f"error: cannot encode {camera.camera_id}'s view of {path}")
    partial = folder / f"{path.name}.part"
    partial.write_bytes(encoded.tobytes())
    taken = datetime.strptime(path.stem, "%Y%m%d_%H%M%S").timestamp()
    os.utime(partial, (taken, taken))
    os.replace(partial, folder / path.name)
    return path.name


def enrol(store: Path, uploads: Path, camera: Camera) -> None:
    """Enrol a camera as a technician would: add it, capture its reference, permit the whole view."""
    upload(camera, uploads, 0, None)
    source = f"folder:{uploads / camera.camera_id}"
    cli(store, "--actor", "technician", "camera", "add", camera.camera_id, "--source", source)
    cli(store, "--actor", "technician", "reference", "capture", camera.camera_id)
    _, _, width, height = camera.box
    polygon = f"0,0 {width},0 {width},{height} 0,{height}"
    cli(store, "--actor", "technician", "permit", "set", camera.camera_id, "--polygon", polygon)


def scan_night(
    store: Path, uploads: Path, cameras: list[Camera], night: int, report: Path
) -> tuple[list[Night], float, float]:
    """Upload night ``night`` (0-based: image ``night + 1``) and scan.

    Returns the outcomes, the scan's wall time and its own time as it prints it.
    """
    uploaded = {}
    for camera in cameras:
        direction = camera.moves.get(night)
        uploaded[camera.camera_id] = (upload(camera, uploads, night + 1, direction), direction)
    started = time.perf_counter()
    done = cli(store, "--actor", "nightly", "scan", "--json", str(report), ok=SCAN_EXIT_CODES)
    seconds = time.perf_counter() - started
    said = re.search(r"camera\(s\), ([0-9.]+) s this session", done.stdout)
    session = float(said.group(1)) if said else math.nan
    rows = {row["camera_id"]: row for row in json.loads(report.read_text(encoding="utf-8"))["cameras"]}
    missing = sorted(set(uploaded) - set(rows))
    if missing:
        sys.exit(f"error: night {night + 1}: the scan's --json has no outcome for {missing}")
    outcomes = []
    with Database(store / "fov-monitor.sqlite") as database:
        for camera_id, (image, direction) in uploaded.items():
            row = rows[camera_id]
            document = database.result_document(row["result_id"]) if row["result_id"] is not None else None
            outside = document.get("outside_fraction") if document else None
            outcomes.append(
                Night(
                    camera_id,
                    night,
                    image,
                    direction,
                    row["outcome"],
                    row["reason"],
                    row["rechecked"],
                    outside,
                )
            )
    return outcomes, seconds, session


def percentile(values: Sequence[float], share: float) -> float:
    """Return the ``share`` percentile of ``values`` (NaN when empty)."""
    return float(np.percentile(values, share * 100)) if values else math.nan


def figures(outcomes: Sequence[Night]) -> dict[str, Any]:
    """Count camera-nights, false alarms, unverifiable, other outcomes and moves caught."""
    unmoved = [night for night in outcomes if night.moved is None]
    moved = [night for night in outcomes if night.moved is not None]
    alarms = sum(night.false_alarm for night in unmoved)
    return {
        "camera_nights": len(outcomes),
        "unmoved": len(unmoved),
        "false_alarms": alarms,
        "false_alarms_per_1000": 1000 * alarms / len(unmoved) if unmoved else math.nan,
        "unverifiable": sum(night.outcome == "unverifiable" for night in unmoved),
        "offline_or_error": sum(night.outcome in ("offline", "error") for night in outcomes),
        "moves": len(moved),
        "moves_caught": sum(night.caught for night in moved),
    }


def print_figures(per_camera: dict[str, list[Night]], cameras: list[Camera]) -> dict[str, Any]:
    """Print the per-camera table and the totals; return the totals."""
    print(
        f"{'camera':<14} {'window x,y,w,h':<18} {'moves (night)':<18} {'nights':>6} {'unmoved':>7} "
        f"{'false alarms':>12} "
        f"{'per 1000':>8} {'unverifiable':>12} {'offline/error':>13} {'moves caught':>12}"
    )
    boxes = {camera.camera_id: camera for camera in cameras}
    total = figures([night for nights in per_camera.values() for night in nights])
    for name, counts in [*((name, figures(nights)) for name, nights in per_camera.items()), ("total", total)]:
        camera = boxes.get(name)
        box = ",".join(map(str, camera.box)) if camera else ""
        moves = " ".join(f"{d}({n + 1})" for n, d in sorted(camera.moves.items())) if camera else ""
        caught = f"{counts['moves_caught']}/{counts['moves']}"
        print(
            f"{name:<14} {box:<18} {moves:<18} {counts['camera_nights']:>6} {counts['unmoved']:>7} "
            f"{counts['false_alarms']:>12} "
            f"{counts['false_alarms_per_1000']:>8.1f} {counts['unverifiable']:>12} "
            f"{counts['offline_or_error']:>13} {caught:>12}"
        )
    return total


@dataclass
class FleetRun:
    """What a run of the fleet gave: outcomes per camera, and the times of enrolment and of each scan."""

    per_camera: dict[str, list[Night]]
    enrol_s: float
    scan_s: list[float]
    """Wall time of each ``fov-monitor scan``, the CLI's start included."""
    session_s: list[float]
    """Each scan's own time, as it prints it ("... s this session")."""


def run_fleet(cameras: list[Camera], nights: int) -> FleetRun:
    """Enrol the cameras into a temporary store with the CLI, then scan them night after night."""
    started = time.perf_counter()
    run = FleetRun({camera.camera_id: [] for camera in cameras}, 0.0, [], [])
    with tempfile.TemporaryDirectory(prefix="fov-webcams-nightly-") as temporary:
        store, uploads = Path(temporary) / "store", Path(temporary) / "uploads"
        uploads.mkdir()
        cli(store, "init")
        # Two technicians at once: the enrolment is not what is measured, and one CLI call uses one core.
        with ThreadPoolExecutor(max_workers=ENROLLING) as pool:
            for done in [pool.submit(enrol, store, uploads, camera) for camera in cameras]:
                done.result()
        run.enrol_s = time.perf_counter() - started
        print(
            f"enrolled {len(cameras)} cameras with the CLI in {run.enrol_s:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        for night in range(nights):
            outcomes, seconds, session = scan_night(
                store, uploads, cameras, night, Path(temporary) / "scan.json"
            )
            run.scan_s.append(seconds)
            run.session_s.append(session)
            for outcome in outcomes:
                run.per_camera[outcome.camera_id].append(outcome)
            counts = dict(Counter(outcome.outcome for outcome in outcomes))
            print(f"night {night + 1}/{nights}: {counts} in {seconds:.1f} s", file=sys.stderr, flush=True)
    return run


def print_cases(outcomes: Sequence[Night]) -> None:
    """List every false alarm, every unmoved camera-night left unchecked, and every missed move."""
    for label, chosen in (
        ("false alarms", [night for night in outcomes if night.false_alarm]),
        (
            "unverifiable, offline or error (unmoved)",
            [night for night in outcomes if night.moved is None and night.outcome in UNCHECKED],
        ),
        ("missed moves", [night for night in outcomes if night.moved is not None and not night.caught]),
    ):
        print(f"{label}: {len(chosen) or 'none'}")
        for night in chosen:
            moved = f" moved {night.moved}" if night.moved else ""
            where = f"{night.camera_id} night {night.night + 1} {night.image}{moved}"
            print(f"  {where}: {night.outcome}: {night.reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="real data folder (default $FOV_MONITOR_DATA or ../shared/data)")
    parser.add_argument("--nights", type=int, metavar="N", help="only the first N nights (at least 4)")
    parser.add_argument(
        "--cameras", type=int, default=15, metavar="N", help=f"cameras, 1..{len(WEBCAMS) * len(WINDOWS)} (15)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every figure and outcome to FILE")
    args = parser.parse_args()
    if not 1 <= args.cameras <= len(WEBCAMS) * len(WINDOWS):
        parser.error(f"--cameras must be 1..{len(WEBCAMS) * len(WINDOWS)}")
    folder = data_dir(args.data)
    cameras, nights = fleet(folder, args.cameras, args.nights)
    started = time.perf_counter()
    run = run_fleet(cameras, nights)
    print(f"OpenCV {cv2.__version__}; data {folder / 'webcams'}; {os.cpu_count()} cores")
    print(
        f"{len(cameras)} cameras (windows of {', '.join(sorted({c.webcam for c in cameras}))}), "
        f"{nights} nights, one 'fov-monitor scan' a night; each camera moved on two nights by {MOVE:.0%} "
        "of its window (night number in brackets), back the next night"
    )
    print(
        "false alarms: unmoved camera-nights reported redirected, zone_exposed or tampered "
        "(per 1000: per 1,000 unmoved camera-nights)"
    )
    print(f"moves caught: redirected/zone_exposed, or tampered with outside_fraction > {TOLERANCE:.0%}\n")
    total = print_figures(run.per_camera, cameras)
    print_cases([outcome for outcomes in run.per_camera.values() for outcome in outcomes])
    wall_s = time.perf_counter() - started
    print(
        f"\nscans: {len(run.scan_s)}; wall time per scan (the CLI's start included) median "
        f"{statistics.median(run.scan_s):.1f} s, p95 {percentile(run.scan_s, 0.95):.1f} s, max "
        f"{max(run.scan_s):.1f} s; the scan's own time median {statistics.median(run.session_s):.1f} s "
        f"({statistics.median(run.session_s) / len(cameras):.2f} s per camera)"
    )
    print(f"enrolment {run.enrol_s:.1f} s; total wall time {wall_s:.1f} s")
    goals = (
        (
            f"{total['false_alarms']} false alarms in {total['unmoved']} unmoved camera-nights, goal 0",
            total["false_alarms"] == 0,
        ),
        (
            f"{total['moves_caught']}/{total['moves']} moves caught, goal all",
            total["moves_caught"] == total["moves"],
        ),
    )
    print()
    for text, ok in goals:
        print(f"goal: {text}: {'PASS' if ok else 'FAIL'}")
    if args.json is not None:
        document = {
            "protocol": {"cameras": len(cameras), "nights": nights, "move": MOVE, "tolerance": TOLERANCE},
            "cameras": {
                camera.camera_id: {
                    "webcam": camera.webcam,
                    "window_xywh": list(camera.box),
                    "moves": {str(night + 1): direction for night, direction in sorted(camera.moves.items())},
                    "figures": figures(run.per_camera[camera.camera_id]),
                    "nights": [outcome.to_dict() for outcome in run.per_camera[camera.camera_id]],
                }
                for camera in cameras
            },
            "total": total,
            "goals": [{"goal": text, "pass": ok} for text, ok in goals],
            "scan_s": [round(seconds, 2) for seconds in run.scan_s],
            "scan_session_s": run.session_s,
            "enrol_s": round(run.enrol_s, 1),
            "wall_s": round(wall_s, 1),
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
