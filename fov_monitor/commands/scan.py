"""``scan``: check the whole fleet (or a group, or a list), resumably, for cron and systemd timers."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fov_monitor.alerts import AlertChanges, AlertSettings, runs_to_update, update_alerts
from fov_monitor.alerts.outbox import deliver_due
from fov_monitor.commands.common import Context, print_table, warn
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRun
from fov_monitor.errors import InvalidSettingsError, ScanError, ScanLockedError, StoreError
from fov_monitor.scan import (
    SCAN_EXIT_CODES_TEXT,
    Outcome,
    ScanLock,
    ScanSettings,
    Selection,
    exit_code,
    run_scan,
    select_cameras,
)
from fov_monitor.scan.outcome import EXIT_SCAN_FAILED, EXIT_SCAN_RUNNING
from fov_monitor.store.store import now_utc

RESUME_WITHIN = timedelta(hours=12)
"""An unfinished run older than this is closed, not resumed: last night's run is not tonight's."""
CLUSTER_ENV = "FOV_MONITOR_CLUSTER"
"""Environment variable naming the Dask scheduler of ``--cluster``."""
PROBLEMS_SHOWN = 50
"""The summary lists at most this many cameras that are not compliant; ``--json`` has them all."""
LOG_EVERY = 0.05
"""Without a terminal, a progress line at every this share of the run (problems always get a line)."""


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add ``scan`` to the ``fov-monitor`` parser."""
    scan = commands.add_parser(
        "scan",
        parents=[parent],
        help="check every camera (or a group) now; resumes an unfinished run",
        description="Grab every selected camera concurrently, judge the frames in worker processes and "
        "record each result as it finishes. A camera that is not compliant is grabbed and judged again "
        "before it counts. With --cluster each camera is grabbed and judged on a worker of a Dask "
        "cluster (a camera with a site only on that site's workers); the database stays here. A run "
        "killed at any moment is finished by the next 'scan' (within 12 hours) without duplicates; "
        "only one scan runs on a store (and on a shared PostgreSQL database) at a time. With --due only "
        "cameras whose permit allows filming now (its decision's permitted hours, local time) are "
        "checked.",
        epilog=SCAN_EXIT_CODES_TEXT,
    )
    scan.add_argument("--group", help="only the cameras of this group")
    scan.add_argument("--cameras", nargs="+", metavar="ID", default=[], help="only these cameras")
    scan.add_argument("--due", action="store_true", help="only cameras whose permitted hours include now")
    scan.add_argument("--concurrency", type=int, default=16, metavar="N", help="grabs at once (default 16)")
    scan.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes that judge frames (default: the number of cores); not with --cluster",
    )
    scan.add_argument(
        "--cluster",
        default=os.environ.get(CLUSTER_ENV) or None,
        metavar="ADDRESS",
        help="check on the workers of this Dask scheduler (e.g. tcp://scheduler:8786) instead of here; "
        f"default ${CLUSTER_ENV}",
    )
    scan.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the run's outcomes as JSON to FILE"
    )
    scan.add_argument("--new", action="store_true", help="start a new run even if one is unfinished")
    scan.add_argument(
        "--no-deliver",
        dest="deliver",
        action="store_false",
        help="leave the run's alert messages in the outbox (for 'alerts deliver') instead of sending them",
    )
    scan.set_defaults(run=run_scan_command)


def run_scan_command(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    settings = ScanSettings(context.actor, args.concurrency, args.workers, args.cluster)
    selection = Selection(args.group, tuple(sorted(set(args.cameras))), args.due)
    return scan_store(context, selection, settings, json_path=args.json, new=args.new, deliver=args.deliver)


def scan_store(
    context: Context,
    selection: Selection,
    settings: ScanSettings,
    *,
    json_path: Path | None = None,
    new: bool = False,
    deliver: bool = True,
) -> int:
    """Scan the selected cameras of the store as ``fov-monitor scan`` does, printing as it goes.

    Returns
    -------
    int
        The scan's exit code (see ``SCAN_EXIT_CODES_TEXT``).
    """
    context.store.require()
    for camera_id in selection.cameras:
        context.store.camera(camera_id)
    alert_settings = AlertSettings.for_store(context.store.root)  # a bad alerts.json fails before the run
    try:
        with ScanLock(context.store.root), context.database() as database, database.scan_lock():
            try:
                _catch_up_alerts(context, database, alert_settings)
                run = _open_run(database, selection, new, context.actor)
                return _scan(context, database, run, settings, alert_settings, json_path, deliver)
            except (ScanError, OSError, StoreError) as exc:
                print(f"error: scan failed: {exc}", file=sys.stderr)
                return EXIT_SCAN_FAILED
    except ScanLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SCAN_RUNNING


def _scan(
    context: Context,
    database: Database,
    run: ScanRun,
    settings: ScanSettings,
    alert_settings: AlertSettings,
    json_path: Path | None,
    deliver: bool,
) -> int:
    started = datetime.fromisoformat(run.started_at)
    camera_ids = list(select_cameras(context.store, Selection.from_dict(run.selection), started))
    progress = _Progress(len(camera_ids), database.scan_counts(run.run_id))
    began = time.monotonic()
    run_scan(context.store, database, run, camera_ids, settings, progress.update)
    progress.close()
    counts = database.scan_counts(run.run_id)
    database.finish_scan_run(run.run_id, now_utc(), context.actor, counts)
    _summary(database, run, counts, time.monotonic() - began)
    alerts: AlertChanges | None = None
    try:
        alerts = update_alerts(database, context.store, run.run_id, alert_settings, actor=context.actor)
    except StoreError as exc:
        # The outcomes are committed: only the alerts wait, for the next scan to bring them up to date.
        print(
            f"error: scan failed: scan run {run.run_id} is recorded but its alerts were not updated ({exc}); "
            "the next 'fov-monitor scan' updates them first",
            file=sys.stderr,
        )
    else:
        print(_alerts_line(alerts))
        if deliver:
            _deliver(context, database, alert_settings)
    if json_path is not None:
        _write_json(json_path, database, run, counts, alerts)
    return exit_code(counts) if alerts is not None else EXIT_SCAN_FAILED


def _catch_up_alerts(context: Context, database: Database, settings: AlertSettings) -> None:
    """Update the alerts of the latest finished run when its scan could not (the engine failed)."""
    for run_id in runs_to_update(database):
        changes = update_alerts(database, context.store, run_id, settings, actor=context.actor)
        print(f"scan run {run_id}: {_alerts_line(changes)} (left over from its scan)", flush=True)


def _deliver(context: Context, database: Database, settings: AlertSettings) -> None:
    """Send what the run put in the outbox; what fails stays there, retried by 'alerts deliver'."""
    report = deliver_due(database, context.store.root, settings, actor=context.actor)
    if report.outcomes:
        print(
            f"deliveries: {report.sent} sent, {report.retrying} to retry, {report.failed} failed", flush=True
        )


def _alerts_line(changes: AlertChanges) -> str:
    return f"alerts: {changes.opened} opened, {changes.updated} updated, {changes.closed} closed"


def _open_run(database: Database, selection: Selection, new: bool, actor: str) -> ScanRun:
    unfinished = database.unfinished_scan_run()
    if unfinished is not None and not new:
        age = datetime.now(UTC) - datetime.fromisoformat(unfinished.started_at)
        if age > RESUME_WITHIN:
            warn(f"scan run {unfinished.run_id} of {unfinished.started_at} was never finished; closed it")
            database.finish_scan_run(
                unfinished.run_id, now_utc(), actor, database.scan_counts(unfinished.run_id)
            )
        elif Selection.from_dict(unfinished.selection) != selection:
            raise InvalidSettingsError(
                f"scan run {unfinished.run_id} (started {unfinished.started_at}) is unfinished with the "
                f"options {unfinished.selection}; run the same scan to finish it, or add --new"
            )
        else:
            print(f"resuming scan run {unfinished.run_id} of {unfinished.started_at}", flush=True)
            return unfinished
    elif unfinished is not None:
        database.finish_scan_run(unfinished.run_id, now_utc(), actor, database.scan_counts(unfinished.run_id))
    run = database.start_scan_run(actor, selection.to_dict(), now_utc())
    print(f"scan run {run.run_id} started", flush=True)
    return run


class _Progress:
    """Counts by outcome: a rewritten line on a terminal, plain lines in a log."""

    def __init__(self, total: int, counts: dict[str, int]) -> None:
        self.total = total
        self.counts = Counter(counts)
        self.started = time.monotonic()
        self.terminal = sys.stdout.isatty()
        self.shown_at = 0.0
        self.logged = sum(self.counts.values())

    def update(self, row: ScanOutcomeRow) -> None:
        self.counts[row.outcome] += 1
        done = sum(self.counts.values())
        if self.terminal:
            now = time.monotonic()
            if now - self.shown_at > 0.2 or done == self.total:
                self.shown_at = now
                print(f"\r{self._line(done)}", end="", flush=True)
            return
        if row.outcome != Outcome.COMPLIANT:
            print(f"{row.camera_id}: {row.outcome}: {row.reason}", flush=True)
        if done - self.logged >= max(1, int(self.total * LOG_EVERY)) or done == self.total:
            self.logged = done
            print(self._line(done), flush=True)

    def close(self) -> None:
        if self.terminal:
            print()

    def _line(self, done: int) -> str:
        rate = done / max(time.monotonic() - self.started, 1e-9)
        counts = ", ".join(f"{name} {count}" for name, count in sorted(self.counts.items()))
        return f"[{done}/{self.total}] {counts}  ({rate:.1f} cameras/s)"


def _summary(database: Database, run: ScanRun, counts: dict[str, int], elapsed_s: float) -> None:
    total = sum(counts.values())
    print(f"scan run {run.run_id}: {total} camera(s), {elapsed_s:.1f} s this session")
    print_table(["outcome", "cameras"], [(outcome, counts.get(outcome, 0)) for outcome in Outcome])
    problems = [row for row in database.scan_outcomes(run.run_id) if row.outcome != Outcome.COMPLIANT]
    if problems:
        print()
        rows = [
            (row.camera_id, row.outcome, "yes" if row.rechecked else "no", row.reason[:90])
            for row in problems[:PROBLEMS_SHOWN]
        ]
        print_table(["camera", "outcome", "re-checked", "why"], rows)
        if len(problems) > PROBLEMS_SHOWN:
            print(f"... and {len(problems) - PROBLEMS_SHOWN} more (see --json or the database)")


def _write_json(
    path: Path, database: Database, run: ScanRun, counts: dict[str, int], alerts: AlertChanges | None
) -> None:
    document = {
        "run_id": run.run_id,
        "started_at": run.started_at,
        "selection": dict(run.selection),
        "counts": counts,
        "exit_code": exit_code(counts) if alerts is not None else EXIT_SCAN_FAILED,
        "alerts": alerts.to_dict() if alerts is not None else None,
        "cameras": [row.to_dict() for row in database.scan_outcomes(run.run_id)],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
