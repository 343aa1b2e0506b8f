"""Milliseconds per check_frame on one thread, at 720p and 1080p, against two scripted baselines.

The reference is prepared beforehand; frames are decoded and resized before timing. Baselines (ORB
5000 + brute force + RANSAC; SIFT + FLANN + ratio test + RANSAC) run on the same inputs, their
reference features precomputed too.

Usage: python benchmarks/check_speed.py [--repeats N] [--data DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2
import numpy as np
from _common import OrbBaseline, SiftTutorialBaseline, data_dir, oxford_pair, video_frames

import fov_monitor as fm
from fov_monitor.synthetic import Condition, apply_condition, crop_move

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def _frames(folder: Path, name: str, indexes: set[int]) -> dict[int, np.ndarray]:
    return {i: f for i, f in video_frames(folder / "videos" / name, 1) if i in indexes}


def cases(folder: Path, size_wh: tuple[int, int]) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Return (reference, live) pairs per case, all at ``size_wh``."""
    plaza = _frames(folder, "vtest.avi", {0, 100, 200, 300, 400})
    indoor = _frames(folder, "one-by-one-person-detection.mp4", {0, 300, 600})

    def sized(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, size_wh, interpolation=cv2.INTER_AREA)

    def moved(frame: np.ndarray, shift: float) -> tuple[np.ndarray, np.ndarray]:
        move = crop_move(frame, (shift, shift / 2))
        return sized(move.reference), sized(move.live)

    return {
        "compliant": [(sized(plaza[0]), sized(plaza[i])) for i in (100, 200, 300, 400)]
        + [(sized(indoor[0]), sized(indoor[i])) for i in (300, 600)],
        "small drift 0.5%": [moved(plaza[i], 0.005) for i in (0, 200)] + [moved(indoor[0], 0.005)],
        "redirected 10%": [moved(plaza[i], 0.10) for i in (0, 200)] + [moved(indoor[0], 0.10)],
        "night": [(sized(plaza[0]), apply_condition(sized(plaza[i]), Condition.NIGHT)) for i in (100, 300)],
        "not recognised": [(sized(plaza[0]), sized(indoor[300])), (sized(indoor[0]), sized(plaza[200]))],
        "viewpoint 20-40deg": [
            (sized(oxford_pair(folder, "oxford_graf", i)[0]), sized(oxford_pair(folder, "oxford_graf", i)[1]))
            for i in (2, 3, 4)
        ],
    }


def _time(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1e3)
    return times


def reference_timings(folder: Path) -> None:
    """Print what preparing a reference costs, against loading it from the feature cache."""
    frame = next(video_frames(folder / "videos" / "vtest.avi", 1))[1]
    with tempfile.TemporaryDirectory() as scratch:
        for size_name, size_wh in SIZES.items():
            image = cv2.resize(frame, size_wh, interpolation=cv2.INTER_AREA)
            cache = Path(scratch) / f"{size_name}.npz"
            fm.save_reference(fm.Reference.from_image(image), cache)
            prepare = statistics.median(_time(partial(fm.Reference.from_image, image), 5))
            load = statistics.median(_time(partial(fm.load_reference, cache), 20))
            print(
                f"reference {size_name}: prepare {prepare:.1f} ms, load from cache {load:.1f} ms "
                f"({prepare / load:.0f}x), cache file {cache.stat().st_size / 1024:.0f} KiB"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed repeats of ours per pair")
    parser.add_argument(
        "--baseline-repeats", type=int, default=3, help="timed repeats of each baseline per pair"
    )
    parser.add_argument("--data", help="real data folder (default ../shared/data or $FOV_MONITOR_DATA)")
    args = parser.parse_args()
    folder = data_dir(args.data)
    cv2.setNumThreads(1)
    print(
        f"OpenCV {cv2.__version__}, cv2 threads {cv2.getNumThreads()}, repeats ours {args.repeats}, "
        f"baselines {args.baseline_repeats}\n"
    )
    print(
        f"{'size':<6} {'case':<19} {'ours med':>8} {'p95':>6} {'max':>6} {'ORB med':>8} {'SIFT med':>8} "
        f"{'ORB/ours':>8} {'SIFT/ours':>9}"
    )
    medians: dict[tuple[str, str], float] = {}
    worst = 0.0
    for size_name, size_wh in SIZES.items():
        for case, pairs in cases(folder, size_wh).items():
            ours: list[float] = []
            orb: list[float] = []
            sift: list[float] = []
            for reference_image, live in pairs:
                reference = fm.Reference.from_image(reference_image)
                permit = fm.Permit.whole_image(reference.size_wh)
                ours += _time(partial(fm.check_frame, reference, permit, live), args.repeats)
                orb += _time(partial(OrbBaseline(reference_image).align, live), args.baseline_repeats)
                sift += _time(
                    partial(SiftTutorialBaseline(reference_image).align, live), args.baseline_repeats
                )
            ours_median = statistics.median(ours)
            medians[(size_name, case)] = ours_median
            worst = max(worst, max(ours))
            p95 = float(np.percentile(ours, 95))
            orb_median, sift_median = statistics.median(orb), statistics.median(sift)
            print(
                f"{size_name:<6} {case:<19} {ours_median:>8.1f} {p95:>6.1f} {max(ours):>6.1f} "
                f"{orb_median:>8.1f} {sift_median:>8.1f} "
                f"{orb_median / ours_median:>8.1f} {sift_median / ours_median:>9.1f}"
            )
    print()
    reference_timings(folder)
    goals = [
        ("compliant 720p median <= 10 ms", medians[("720p", "compliant")] <= 10.0),
        ("compliant 1080p median <= 15 ms", medians[("1080p", "compliant")] <= 15.0),
        (f"slowest check of ours {worst:.1f} ms <= 150 ms", worst <= 150.0),
    ]
    print()
    for text, ok in goals:
        print(f"goal: {text}: {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    raise SystemExit(main())
