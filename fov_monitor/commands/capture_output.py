"""``reference capture --all | --group G | --missing``: many cameras at once, a progress line, a summary."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from fov_monitor.commands.common import Context, print_json, print_table
from fov_monitor.commands.progress import ProgressLine
from fov_monitor.errors import CaptureError
from fov_monitor.workflows.fleet_capture import (
    EXIT_CAPTURE_FAILED,
    CameraCapture,
    CaptureResult,
    FleetCaptureSettings,
    capture_exit_code,
    capture_fleet,
    select_for_capture,
)

PROBLEMS_SHOWN = 50
"""The summary lists at most this many cameras that warned or failed; ``--json`` has them all."""


def capture_many(context: Context, args: argparse.Namespace) -> int:
    """Capture the selected cameras' references, printing progress and the summary; return the exit code."""
    settings = FleetCaptureSettings(context.actor, args.label, args.concurrency, args.workers)
    selection = select_for_capture(context.store, group=args.group, missing=args.missing, label=args.label)
    skipped = [
        CameraCapture(camera_id, CaptureResult.SKIPPED, f"has a {args.label!r} reference (see rebaseline)")
        for camera_id in selection.skipped
    ]
    progress = None if args.json else _Progress(len(selection.camera_ids))
    started = time.monotonic()
    with context.database() as database:
        try:
            captures = capture_fleet(
                context.store,
                database,
                selection.camera_ids,
                settings,
                privacy=context.settings.privacy,
                listener=progress,
            )
        except CaptureError as exc:
            print(f"error: capture failed: {exc}", file=sys.stderr)
            return EXIT_CAPTURE_FAILED
    captures.sort(key=lambda capture: capture.camera_id)
    elapsed_s = time.monotonic() - started
    if args.json:
        print_json(
            {
                "label": args.label,
                "seconds": round(elapsed_s, 3),
                "counts": _counts(captures + skipped),
                "cameras": [capture.to_dict() for capture in captures + skipped],
            }
        )
    else:
        if progress is not None and captures:
            progress.line.end()
        _summary(captures, skipped, args.label, elapsed_s)
    return capture_exit_code(captures)


class _Progress:
    """Cameras done by result, as a progress line; in a log, a line for each camera that failed."""

    def __init__(self, total: int) -> None:
        self.counts: Counter[CaptureResult] = Counter()
        self.line = ProgressLine(total)

    def __call__(self, capture: CameraCapture) -> None:
        self.counts[capture.result] += 1
        if not self.line.terminal and capture.result is CaptureResult.FAILED:
            print(f"{capture.camera_id}: failed: {capture.detail}", flush=True)
        shown = ", ".join(f"{result} {self.counts[result]}" for result in list(CaptureResult)[:3])
        self.line.show(sum(self.counts.values()), shown)


def _counts(captures: list[CameraCapture]) -> dict[str, int]:
    found = Counter(capture.result for capture in captures)
    return {str(result): found.get(result, 0) for result in CaptureResult}


def _summary(
    captures: list[CameraCapture], skipped: list[CameraCapture], label: str, elapsed_s: float
) -> None:
    per_camera = f", {elapsed_s / len(captures):.2f} s a camera" if captures else ""
    print(f"reference capture ({label!r}) of {len(captures)} camera(s): {elapsed_s:.1f} s{per_camera}")
    print_table(["result", "cameras"], list(_counts(captures + skipped).items()))
    permits = sum(1 for c in captures if c.outcome is not None and c.outcome.permit_line())
    if permits:
        print(f"{permits} pending permit(s) of the whole view set on their camera's new reference")
    problems = [c for c in captures if c.result in (CaptureResult.WARNED, CaptureResult.FAILED)]
    if problems:
        print()
        rows = [(c.camera_id, c.result, c.detail[:110]) for c in problems[:PROBLEMS_SHOWN]]
        print_table(["camera", "result", "warning or reason"], rows)
        if len(problems) > PROBLEMS_SHOWN:
            print(f"... and {len(problems) - PROBLEMS_SHOWN} more (see --json)")
