"""How the alert engine scales: a fleet of N cameras, 5% of which turn non-compliant, through four runs.

Runs are written straight into a fresh results database (one transaction per run: the filling is not
what is measured), then :func:`fov_monitor.alerts.update_alerts` goes through each:

1. ``opened``: 5% of the cameras redirected, zone exposed or tampered, 2% offline (not yet alerts:
   offline needs 3 scans), the rest compliant;
2. ``unchanged``: the same outcomes again: every alert updated, not one new delivery;
3. ``same run again``: the engine over run 2 a second time (idempotent: nothing changes);
4. ``closed``: every camera compliant: every alert closed and announced.

Two channels: a log for every group, a mail for the ``north`` half. Printed per size and per engine
mode: each pass's time and what it changed. The baseline is the same engine committing camera by
camera (``batch_cameras=1``, one transaction per camera's change, as the scan writes its outcomes),
against the default (200 cameras per transaction). Thresholds and the SQL are the same in both.

Each mode runs on ``--repeats`` fresh databases, interleaved with the other; printed are the
medians and the ratio batched / baseline.

Usage: python benchmarks/alerts_fleet.py [--sizes 1000,10000] [--repeats 5] [--postgres]
  --postgres: also on a throw-away PostgreSQL cluster (Debian's binaries, fsync off as in the tests)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import _common  # noqa: F401  (puts the repository's root on sys.path)

from fov_monitor.alerts import AlertChanges, update_alerts
from fov_monitor.alerts.settings import AlertSettings, ChannelKind, ChannelSettings
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from tests.support.postgres_server import PostgresServer, find_bindir, running_server

SETTINGS = AlertSettings(
    channels=(
        ChannelSettings(name="ops-mail", kind=ChannelKind.SMTP, groups=("north",)),
        ChannelSettings(name="log", kind=ChannelKind.JSONL),
    )
)
SEEN = ("redirected", "zone_exposed", "tampered")
MODES = {"one transaction per camera (baseline)": 1, "200 cameras per transaction": 200}
"""The baseline first, then the engine as the scan runs it."""


def outcomes_of(size: int) -> dict[str, str]:
    """Return camera -> outcome of the troubled runs: every 20th seen non-compliant, every 50th offline."""
    found = {}
    for index in range(size):
        camera_id = f"cam-{index:05d}"
        if index % 20 == 0:
            found[camera_id] = SEEN[(index // 20) % 3]
        elif index % 50 == 1:
            found[camera_id] = "offline"
        else:
            found[camera_id] = "compliant"
    return found


def write_run(database: Database, outcomes: dict[str, str], at: str) -> int:
    """Write one finished run with a result per verdict, in one transaction; return its id."""

    def body(transaction: Transaction) -> int:
        run_id = transaction.insert(
            "INSERT INTO scan_runs (started_at, finished_at, actor, selection_json) "
            "VALUES (?, ?, 'bench', '{}') RETURNING id",
            (at, at),
        )
        for camera_id, outcome in outcomes.items():
            result_id = None
            reasons = json.dumps([f"{outcome}: bench"])
            if outcome != "offline":
                result_id = transaction.insert(
                    "INSERT INTO results (camera_id, checked_at, status, reasons_json, outside_fraction, "
                    "source, evidence_path, result_json, run_id) "
                    "VALUES (?, ?, ?, ?, 0.12, 'bench', ?, '{}', ?) RETURNING id",
                    (camera_id, at, outcome, reasons, f"/evidence/{camera_id}.jpg", run_id),
                )
            transaction.execute(
                "INSERT INTO scan_outcomes (run_id, camera_id, at, outcome, reasons_json, rechecked, "
                "result_id) VALUES (?, ?, ?, ?, ?, 1, ?)",
                (run_id, camera_id, at, outcome, reasons, result_id),
            )
        return run_id

    return database.write(body)


def timed(action: Callable[[], AlertChanges]) -> tuple[float, AlertChanges]:
    began = time.perf_counter()
    changes = action()
    return time.perf_counter() - began, changes


def bench(
    location: str, store: Store, size: int, batch: int
) -> tuple[list[tuple[str, float, AlertChanges]], str]:
    """Run the four passes on a fresh database; return each pass's time and changes, and the totals."""
    troubled = outcomes_of(size)
    calm = dict.fromkeys(troubled, "compliant")
    rows = []
    run_id = 0
    with Database(location) as database:
        passes = [("opened", troubled), ("unchanged", troubled), ("same run again", None), ("closed", calm)]
        for step, (name, outcomes) in enumerate(passes):
            if outcomes is not None:
                run_id = write_run(database, outcomes, f"2026-11-{step + 1:02d}T02:00:00+00:00")
            elapsed, changes = timed(
                lambda run=run_id: update_alerts(database, store, run, SETTINGS, batch_cameras=batch)
            )
            rows.append((name, elapsed, changes))
        alerts = database.read("SELECT COUNT(*) FROM alerts")[0][0]
        deliveries = database.read("SELECT COUNT(*) FROM deliveries")[0][0]
    return rows, f"{alerts} alerts, {deliveries} deliveries in all"


def make_store(root: Path, size: int) -> Store:
    """Enrol the cameras that get alerts (the engine reads the settings of those only)."""
    store = Store(root)
    store.init()
    for index, (camera_id, outcome) in enumerate(outcomes_of(size).items()):
        if outcome != "compliant":
            store.add_camera(
                CameraConfig(camera_id, source="http://x/s.jpg", group=("north", "south")[index % 2])
            )
    return store


@contextmanager
def locations(folder: Path, postgres: PostgresServer | None) -> Iterator[Callable[[str], tuple[str, str]]]:
    """Yield a function giving a fresh (dialect, location) per name."""

    def fresh(name: str) -> tuple[str, str]:
        if postgres is not None:
            return "postgresql", postgres.create_database()
        return "sqlite", str(folder / f"{name}.sqlite")

    yield fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeats", type=int, default=5, help="fresh databases per mode (median taken)")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    bindir = find_bindir() if args.postgres else None
    if args.postgres and bindir is None:
        sys.exit("error: --postgres needs PostgreSQL's initdb/pg_ctl (apt-get install postgresql)")
    servers = [None] + ([bindir] if bindir is not None else [])
    baseline, batched = MODES
    report = []
    with tempfile.TemporaryDirectory(prefix="fov-alerts-bench-") as temporary:
        folder = Path(temporary)
        stores = {size: make_store(folder / f"store-{size}", size) for size in sizes}
        for server_bindir in servers:
            with (
                running_server(server_bindir) if server_bindir else nullcontext() as server,
                locations(folder, server) as fresh,
            ):
                for size in sizes:
                    times: dict[str, dict[str, list[float]]] = {mode: {} for mode in MODES}
                    changed: dict[str, AlertChanges] = {}
                    for repeat in range(args.repeats):
                        for mode, batch in MODES.items():  # interleaved, so drift hits both alike
                            dialect, location = fresh(f"{size}-{batch}-{repeat}")
                            rows, totals = bench(location, stores[size], size, batch)
                            for name, elapsed, changes in rows:
                                times[mode].setdefault(name, []).append(elapsed * 1000)
                                changed[name] = changes
                    print(f"\n{dialect}, {size} cameras, median of {args.repeats} fresh databases; {totals}")
                    print(f"  {'pass':16} {'per camera':>11} {'batched':>9} {'ratio':>6}   what changed")
                    for name, changes in changed.items():
                        slow, fast = (statistics.median(times[mode][name]) for mode in (baseline, batched))
                        counts = ", ".join(f"{k} {v}" for k, v in changes.to_dict().items() if v)
                        print(
                            f"  {name:16} {slow:8.1f} ms {fast:6.1f} ms {fast / slow:6.2f}   {counts or '-'}"
                        )
                        report.append(
                            {"dialect": dialect, "size": size, "pass": name, "baseline_ms": round(slow, 1)}
                            | {"batched_ms": round(fast, 1), **changes.to_dict()}
                        )
    print("\n" + json.dumps(report))


if __name__ == "__main__":
    main()
