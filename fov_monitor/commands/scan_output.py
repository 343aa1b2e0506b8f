"""How the nightly pass is shown: progress as it goes, the summary, the run as JSON, the exit code.

Shared by ``fov-monitor scan`` and ``fov-monitor demo``; the pass itself is
:func:`fov_monitor.scan.nightly.run_nightly_pass`, which prints nothing.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from fov_monitor.commands.common import Context, print_table, warn
from fov_monitor.commands.progress import ProgressLine
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRun
from fov_monitor.errors import ScanError, ScanLockedError, StoreError
from fov_monitor.scan import Outcome, ScanSettings, Selection
from fov_monitor.scan.nightly import NightlySummary, run_nightly_pass
from fov_monitor.scan.outcome import EXIT_SCAN_FAILED, EXIT_SCAN_RUNNING

PROBLEMS_SHOWN = 50
"""The summary lists at most this many cameras that are not compliant; ``--json`` has them all."""


def scan_and_print(
    context: Context,
    selection: Selection,
    settings: ScanSettings,
    *,
    json_path: Path | None = None,
    new: bool = False,
    deliver: bool = True,
) -> int:
    """Run the nightly pass over the selected cameras of the store, printing as it goes.

    Returns
    -------
    int
        The scan's exit code (see ``SCAN_EXIT_CODES_TEXT``).
    """
    context.store.require()
    for camera_id in selection.cameras:
        context.store.camera(camera_id)
    context.settings.read_all()  # a bad settings.json or alerts.json fails now, not after the run
    try:
        with context.database() as database:
            try:
                summary = run_nightly_pass(
                    context.store,
                    database,
                    selection,
                    settings,
                    context.settings,
                    new=new,
                    deliver=deliver,
                    listener=_Printer(database),
                )
            except ScanLockedError:
                raise
            except (ScanError, OSError, StoreError) as exc:
                print(f"error: scan failed: {exc}", file=sys.stderr)
                return EXIT_SCAN_FAILED
            if summary.alerts_error is not None:
                print(f"error: scan failed: {summary.alerts_error}", file=sys.stderr)
            if json_path is not None:
                _write_json(json_path, database, summary)
            return summary.exit_code
    except ScanLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SCAN_RUNNING


class _Printer:
    """The nightly pass told on the terminal or in a log: steps, a progress line, the summary.

    Counts by outcome: a rewritten line on a terminal, plain lines in a log, with a line for each
    camera that is not compliant.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.counts: Counter[Outcome] = Counter()
        self.progress = ProgressLine()

    def note(self, message: str) -> None:
        print(message, flush=True)

    def warning(self, message: str) -> None:
        warn(message)

    def started(self, total: int, counts: Mapping[Outcome, int]) -> None:
        self.counts = Counter(counts)
        self.progress.restart(total, sum(self.counts.values()))

    def scanned(self, run: ScanRun, counts: Mapping[Outcome, int], elapsed_s: float) -> None:
        self.progress.end()
        _summary(self.database, run, counts, elapsed_s)

    def outcome(self, row: ScanOutcomeRow) -> None:
        self.counts[row.outcome] += 1
        if not self.progress.terminal and row.outcome is not Outcome.COMPLIANT:
            print(f"{row.camera_id}: {row.outcome}: {row.reason}", flush=True)
        counts = ", ".join(f"{name} {count}" for name, count in sorted(self.counts.items()))
        self.progress.show(sum(self.counts.values()), counts)


def _summary(database: Database, run: ScanRun, counts: Mapping[Outcome, int], elapsed_s: float) -> None:
    total = sum(counts.values())
    print(f"scan run {run.run_id}: {total} camera(s), {elapsed_s:.1f} s this session")
    print_table(["outcome", "cameras"], [(outcome, counts.get(outcome, 0)) for outcome in Outcome])
    problems = [row for row in database.scan_outcomes(run.run_id) if row.outcome is not Outcome.COMPLIANT]
    if problems:
        print()
        rows = [
            (row.camera_id, row.outcome, "yes" if row.rechecked else "no", row.reason[:90])
            for row in problems[:PROBLEMS_SHOWN]
        ]
        print_table(["camera", "outcome", "re-checked", "why"], rows)
        if len(problems) > PROBLEMS_SHOWN:
            print(f"... and {len(problems) - PROBLEMS_SHOWN} more (see --json or the database)")


def _write_json(path: Path, database: Database, summary: NightlySummary) -> None:
    run = summary.run
    document = {
        "run_id": run.run_id,
        "started_at": run.started_at,
        "selection": dict(run.selection),
        "counts": summary.counts,
        "exit_code": summary.exit_code,
        "alerts": summary.alerts.to_dict() if summary.alerts is not None else None,
        "cameras": [row.to_dict() for row in database.scan_outcomes(run.run_id)],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
