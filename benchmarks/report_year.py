"""How long the yearly report and the public register take for a fleet, and how large they are.

A store of N cameras (500 by default), each with its own 1280x720 reference (a photograph with a face,
so that face blurring really works) and a permit with a privacy zone, and a year of history written
straight into SQLite: 365 nightly scan runs, an alert for each stretch of trouble with a reviewer's
note, re-baselines (tests/support/report_history.py). Filling is not what is measured.

Measured, in one run:

* charts of every camera: the baseline draws each timeline as a user would with pyplot (a new
  figure per camera, the strip with ``imshow``, PNG), against the report's (strip as a numpy PNG,
  one reused matplotlib figure, SVG);
* the yearly report cold (the cache of face-blurred references empty): one process (the baseline),
  then all cores; warm (cache filled): the median of 3 builds; then the register (warm);
* sizes: the whole report, the index, the largest camera page, the largest register page;
* the same warm builds in Swedish (``--languages en,sv``): what the catalogues, Babel's dates and
  the marks of the other language cost, as a ratio to the English builds of the same run.

Goals: a build under 60 s, cold (all cores) and warm; the index under 5 MB, each camera page under
1 MB, each register page under 5 MB (pages a phone's browser opens without trouble).

Usage: python benchmarks/report_year.py [--cameras 500] [--builds 3] [--skip-serial] [--languages en,sv]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _common  # noqa: F401  (puts the repository's root on sys.path)
import cv2
import matplotlib.pyplot as plt
import numpy as np
from skimage import data as samples

from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.i18n import Language
from fov_monitor.report import charts
from fov_monitor.report.clock import Period
from fov_monitor.report.drawing import CACHE_FOLDER
from fov_monitor.report.figures import yearly_figures
from fov_monitor.report.organisation import Organisation
from fov_monitor.report.output import write_folder
from fov_monitor.report.register import build_register
from fov_monitor.report.yearly import ReportFiles, build_yearly
from fov_monitor.store.store import Store
from tests.support.report_history import (
    fleet_schedule,
    make_store,
    troubles_of,
    write_alerts,
    write_rebaseline,
    write_scans,
)

YEAR = 2025
"""A finished year (the current one would be reported to date)."""
GOAL_S = 60.0
INDEX_LIMIT = 5_000_000
PAGE_LIMIT = 1_000_000
REGISTER_PAGE_LIMIT = 5_000_000


def fill(root: Path, cameras: int) -> Store:
    """Write the store and a year of history; print how long it took."""
    started = time.perf_counter()
    image = cv2.resize(cv2.cvtColor(samples.astronaut(), cv2.COLOR_RGB2BGR), (1280, 720))
    groups = {f"cam-{i:04d}": f"district-{i % 10}" for i in range(cameras)}
    store = make_store(root, groups, image, distinct=True)
    schedule = fleet_schedule(list(groups), 365)
    with Database(store.database_path) as database:
        write_scans(database, schedule, date(YEAR, 1, 1))
        write_alerts(database, troubles_of(schedule), date(YEAR, 1, 1))
        for index, camera_id in enumerate(list(groups)[::25]):
            write_rebaseline(database, camera_id, f"{YEAR}-{index % 12 + 1:02d}-15T10:00:00+00:00")
    print(f"filled {cameras} cameras x 365 nights in {time.perf_counter() - started:.1f} s")
    return store


def naive_timeline(day_status: np.ndarray, day_outside: np.ndarray, tolerance: float) -> bytes:
    """Draw one camera's timeline as a user would: a new pyplot figure, imshow strip and line, PNG."""
    colours = np.array(
        [[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in charts.STATUS_COLOURS.values()]
    )
    figure, (strip, line) = plt.subplots(2, 1, figsize=(7.2, 2.0), height_ratios=(1, 4))
    strip.imshow(colours[day_status][np.newaxis], aspect="auto", interpolation="nearest")
    strip.set_axis_off()
    line.plot(day_outside)
    line.axhline(tolerance, linestyle="--")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def time_charts(store: Store) -> None:
    with Database(store.database_path) as database:
        fleet = yearly_figures(
            database, store, YEAR, store.camera_ids(), period=Period(YEAR, date(YEAR, 12, 31))
        )
    started = time.perf_counter()
    for camera in fleet.cameras:
        naive_timeline(camera.day_status, camera.day_outside, camera.tolerance)
    naive = time.perf_counter() - started
    started = time.perf_counter()
    timeline = charts.Timeline(YEAR)
    for camera in fleet.cameras:
        timeline.render(camera.day_status, camera.day_outside, camera.tolerance)
    ours = time.perf_counter() - started
    print(
        f"timelines of {len(fleet.cameras)} cameras: baseline (pyplot per camera) {naive:.1f} s, "
        f"report {ours:.1f} s"
    )


def build(store: Store, out: Path, jobs: int | None, language: Language = Language.EN) -> float:
    started = time.perf_counter()
    with Database(store.database_path) as database:
        write_folder(
            out,
            "yearly",
            lambda folder: build_yearly(
                store,
                database,
                YEAR,
                folder,
                organisation=Organisation.for_store(store.root),
                privacy=PrivacySettings(),
                jobs=jobs,
                language=language,
            ),
        )
    return time.perf_counter() - started


def time_languages(store: Store, root: Path, builds: int, languages: list[Language]) -> None:
    """Print the warm build's median in each language and its ratio to the first's (builds alternated)."""
    times: dict[Language, list[float]] = {language: [] for language in languages}
    for _ in range(builds):
        for language in languages:
            times[language].append(build(store, root / f"yearly-{language}", jobs=None, language=language))
    first = statistics.median(times[languages[0]])
    for language in languages:
        median = statistics.median(times[language])
        index = (root / f"yearly-{language}" / "index.html").stat().st_size
        print(
            f"yearly report in {language}, warm: median {median:.2f} s of {builds} "
            f"(ratio to {languages[0]} {median / first:.2f}); index {index / 1e6:.2f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--skip-serial", action="store_true", help="skip the cold one-process baseline")
    parser.add_argument(
        "--languages", default="en,sv", help="warm builds in each, compared with the first (default: en,sv)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fov-report-bench-") as temporary:
        root = Path(temporary)
        store = fill(root / "store", args.cameras)
        time_charts(store)
        out = root / "yearly"
        if not args.skip_serial:
            print(f"yearly report, cold cache, 1 process (baseline): {build(store, out, jobs=1):.1f} s")
            shutil.rmtree(store.root / CACHE_FOLDER)
        cold = build(store, out, jobs=None)
        print(f"yearly report, cold cache, all cores: {cold:.1f} s")
        warm = [build(store, out, jobs=None) for _ in range(args.builds)]
        print(f"yearly report, warm cache: median {statistics.median(warm):.1f} s of {args.builds} builds")
        time_languages(store, root, args.builds, [Language(tag) for tag in args.languages.split(",")])
        files = ReportFiles.of(out, args.cameras)
        index = (out / "index.html").stat().st_size
        pages = max(path.stat().st_size for path in (out / "cameras").iterdir())
        print(
            f"report: {files.files} files, {files.total_bytes / 1e6:.1f} MB in all; "
            f"index {index / 1e6:.2f} MB, largest camera page {pages / 1e6:.3f} MB; "
            f"largest file {files.largest_file} "
            f"{files.largest_bytes / 1e6:.2f} MB"
        )
        started = time.perf_counter()
        register = root / "register"
        organisation = Organisation.require(store.root)
        write_folder(
            register,
            "register",
            lambda folder: build_register(
                store, folder, organisation=organisation, privacy=PrivacySettings()
            ),
        )
        register_s = time.perf_counter() - started
        register_files = ReportFiles.of(register, args.cameras)
        print(
            f"register (warm cache): {register_s:.1f} s, {register_files.files} files, "
            f"{register_files.total_bytes / 1e6:.1f} MB, largest {register_files.largest_file} "
            f"{register_files.largest_bytes / 1e6:.2f} MB"
        )
        met = (
            cold < GOAL_S
            and statistics.median(warm) < GOAL_S
            and index < INDEX_LIMIT
            and pages < PAGE_LIMIT
            and register_files.largest_bytes < REGISTER_PAGE_LIMIT
        )
        print(
            f"goals (cold and warm build < {GOAL_S:.0f} s, index < 5 MB, camera page < 1 MB, "
            "register page < 5 MB): " + ("met" if met else "NOT met")
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
