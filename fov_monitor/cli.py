"""The ``fov-monitor`` command line.

Exit codes, for cron and monitoring:

* 0: compliant, or the command did what was asked
* 1: error (bad input, missing file, unreachable camera); one line on stderr says what and how to fix it
* 2: usage error (unknown option, missing argument)
* 3: not compliant (redirected, zone exposed or tampered)
* 4: unverifiable (the frame cannot support a verdict)

``scan`` adds 5 (the scan itself failed; run it again to resume) and 6 (another scan is running);
see ``fov-monitor scan --help``. ``alerts deliver`` has its own, alike: see its ``--help``.

A command whose reader goes away (``fov-monitor alerts list | head``) stops quietly with 141, as a
command killed by SIGPIPE does in a shell.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import cv2

from fov_monitor import __version__
from fov_monitor.commands import (
    alerts,
    cameras,
    checks,
    demo,
    permits,
    records,
    references,
    report,
    scan,
    web,
)
from fov_monitor.commands.common import EXIT_CODES_TEXT, EXIT_ERROR, add_global_options
from fov_monitor.errors import FovMonitorError

DESCRIPTION = r"""Prove that surveillance cameras still look only where their permit allows.

A technician enrols a camera, captures its reference and draws its permit:
  fov-monitor init
  fov-monitor camera add cam-12 --source http://10.0.0.12/snapshot.jpg --hfov 62
  fov-monitor reference capture cam-12
  fov-monitor permit set cam-12 --polygon "0,0 1920,0 1920,1080 0,1080" \
      --zone "school=700,300 900,300 900,500 700,500" --decision KS-2026-114
and checks it, on site or from the server:
  fov-monitor check cam-12
and every night, from cron or a systemd timer:
  fov-monitor scan"""


EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a command whose reader closed the pipe."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``fov-monitor`` command."""
    parser = argparse.ArgumentParser(
        prog="fov-monitor",
        description=DESCRIPTION,
        epilog=EXIT_CODES_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fov-monitor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each step does")
    add_global_options(parser)
    store_options = argparse.ArgumentParser(add_help=False)
    add_global_options(store_options, defaults=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (cameras, permits, references, checks, scan, alerts, records, report, demo, web):
        module.register(commands, store_options)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        # OpenCV's own log lines would break the one-line error that scripts and people read.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # here, where a reader gone away is caught, not at the interpreter's exit
        return code
    except FovMonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left at exit raises nothing more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
