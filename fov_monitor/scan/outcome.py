"""What a scan records per camera, and the exit code a run ends with."""

from __future__ import annotations

from collections.abc import Mapping

from fov_monitor.core.result import Outcome

EXIT_ALL_COMPLIANT = 0
EXIT_NOT_COMPLIANT = 3
EXIT_UNCHECKED = 4
EXIT_SCAN_FAILED = 5
EXIT_SCAN_RUNNING = 6

SCAN_EXIT_CODES_TEXT = (
    "exit codes: 0 every camera compliant; 1 bad input (unknown camera, no store, other options than the "
    "unfinished run's); 3 any camera redirected, zone exposed, tampered or filming outside its decision; "
    "4 none of those, but some camera unverifiable, offline or in error; 5 the scan itself failed "
    "(database, worker processes), run it again to resume (also when its alerts could not be written: "
    "the next scan writes them); "
    "6 another scan holds the store's lock."
)


def exit_code(counts: Mapping[Outcome, int]) -> int:
    """Return the exit code of a finished run from its counts by outcome."""
    if any(counts.get(outcome, 0) for outcome in Outcome if outcome.non_compliant):
        return EXIT_NOT_COMPLIANT
    if any(count for outcome, count in counts.items() if outcome is not Outcome.COMPLIANT):
        return EXIT_UNCHECKED
    return EXIT_ALL_COMPLIANT
