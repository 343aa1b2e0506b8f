"""``scan``: check the whole fleet (or a group, or a list), resumably, for cron and systemd timers."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fov_monitor.commands.common import Context
from fov_monitor.commands.scan_output import scan_and_print
from fov_monitor.extras import Extra, needs_extra
from fov_monitor.scan import SCAN_EXIT_CODES_TEXT, ScanSettings, Selection

CLUSTER_ENV = "FOV_MONITOR_CLUSTER"
"""Environment variable naming the Dask scheduler of ``--cluster``."""


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
    if args.cluster:
        with needs_extra(Extra.CLUSTER, "fov-monitor scan --cluster"):
            import distributed  # noqa: F401 (known missing before a run is opened, not in its middle)
    context = Context.from_args(args)
    settings = ScanSettings(context.actor, args.concurrency, args.workers, args.cluster)
    selection = Selection(args.group, tuple(sorted(set(args.cameras))), args.due)
    return scan_and_print(
        context, selection, settings, json_path=args.json, new=args.new, deliver=args.deliver
    )
