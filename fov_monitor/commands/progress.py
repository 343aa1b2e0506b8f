"""A run over many cameras told as it goes: a line rewritten on a terminal, plain lines in a log."""

from __future__ import annotations

import sys
import time

LOG_EVERY = 0.05
"""Without a terminal, a progress line at every this share of the run (and at its end)."""
REWRITE_EVERY_S = 0.2
"""On a terminal, the line is rewritten at most this often (and at the run's end)."""


class ProgressLine:
    """``[done/total] counts  (rate cameras/s)``, shown as a run over many cameras goes.

    On a terminal the line is rewritten in place; in a log (standard output not a terminal) a line
    is printed at every 5% of the run and at its end, so that a log stays short.

    Parameters
    ----------
    total : int
        Cameras in the run.
    done : int
        Cameras done already (a resumed run); the rate counts them over this session's time.
    """

    def __init__(self, total: int = 0, done: int = 0) -> None:
        self.terminal = sys.stdout.isatty()
        self.shown_at = 0.0
        self.restart(total, done)

    def restart(self, total: int, done: int = 0) -> None:
        """Start the count again: ``total`` cameras, ``done`` of them before now."""
        self.total, self.logged, self.started_at = total, done, time.monotonic()

    def show(self, done: int, counts: str) -> None:
        """Say that ``done`` cameras are done, with ``counts`` (``"captured 3, failed 1"``)."""
        rate = done / max(time.monotonic() - self.started_at, 1e-9)
        line = f"[{done}/{self.total}] {counts}  ({rate:.1f} cameras/s)"
        if self.terminal:
            now = time.monotonic()
            if now - self.shown_at > REWRITE_EVERY_S or done == self.total:
                self.shown_at = now
                print(f"\r{line}", end="", flush=True)
        elif done - self.logged >= max(1, int(self.total * LOG_EVERY)) or done == self.total:
            self.logged = done
            print(line, flush=True)

    def end(self) -> None:
        """End the rewritten line on a terminal, before what follows is printed."""
        if self.terminal:
            print()
