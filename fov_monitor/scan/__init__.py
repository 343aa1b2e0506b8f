"""The nightly scan of the fleet: concurrent grabs, checks in worker processes, resumable runs.

See :func:`fov_monitor.scan.runner.run_scan` for the pipeline and ``fov-monitor scan --help`` for the
command. A run is recorded in the database (``scan_runs``, ``scan_outcomes``), one outcome per
camera, so a run killed at any moment is finished, without duplicates, by the next ``scan``.
"""

from fov_monitor.core.result import Outcome
from fov_monitor.scan.lock import ScanLock
from fov_monitor.scan.outcome import SCAN_EXIT_CODES_TEXT, exit_code
from fov_monitor.scan.runner import ScanSettings, run_scan
from fov_monitor.scan.selection import Selection, is_due, select_cameras

__all__ = [
    "SCAN_EXIT_CODES_TEXT",
    "Outcome",
    "ScanLock",
    "ScanSettings",
    "Selection",
    "exit_code",
    "is_due",
    "run_scan",
    "select_cameras",
]
