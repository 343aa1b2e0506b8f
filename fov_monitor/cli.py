"""The ``fov-monitor`` command line.

Exit codes, for cron and monitoring:

* 0: compliant
* 1: error (bad input, missing file); one line on stderr says what and how to fix it
* 2: usage error (unknown option, missing argument)
* 3: not compliant (redirected, zone exposed or tampered)
* 4: unverifiable (the frame cannot support a verdict)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import cv2

from fov_monitor import __version__
from fov_monitor.check import check_frame
from fov_monitor.errors import FovMonitorError, InvalidPermitError
from fov_monitor.image_files import read_image
from fov_monitor.permit import Permit
from fov_monitor.reference import Reference
from fov_monitor.result import CheckResult, Status

EXIT_COMPLIANT = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_COMPLIANT = 3
EXIT_UNVERIFIABLE = 4

_EXIT_BY_STATUS = {
    Status.COMPLIANT: EXIT_COMPLIANT,
    Status.REDIRECTED: EXIT_NOT_COMPLIANT,
    Status.ZONE_EXPOSED: EXIT_NOT_COMPLIANT,
    Status.TAMPERED: EXIT_NOT_COMPLIANT,
    Status.UNVERIFIABLE: EXIT_UNVERIFIABLE,
}

EPILOG = """exit codes: 0 compliant, 1 error, 2 usage error, 3 not compliant (redirected, zone exposed,
tampered), 4 unverifiable."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``fov-monitor`` command."""
    parser = argparse.ArgumentParser(
        prog="fov-monitor",
        description="Prove that surveillance cameras still look only where their permit allows.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"fov-monitor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each step does")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check-frame",
        help="check one live frame against a reference image and a permit",
        description="Align FRAME to REFERENCE and say whether the view is still inside the permit. "
        "Without --permit the whole reference image is permitted.",
        epilog=EPILOG,
    )
    check.add_argument("reference", type=Path, metavar="REFERENCE", help="the reference image file")
    check.add_argument("frame", type=Path, metavar="FRAME", help="the live frame image file")
    check.add_argument(
        "--permit",
        type=Path,
        metavar="PERMIT.json",
        help='permit as JSON: {"permitted_xy": [[x, y], ...], "privacy_zones": {"name": [[x, y], ...]}, '
        '"tolerance": 0.02}, in reference pixels',
    )
    check.add_argument("--hfov", type=float, metavar="DEG", help="camera's horizontal field of view, degrees")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(run=_run_check_frame)

    demo = commands.add_parser(
        "demo",
        help="check three demo cameras made from photographs that scikit-image ships",
        description="Build a demo fleet (unchanged, knocked out of its permit, privacy zone exposed) and "
        "check it. Needs nothing but the installed packages.",
    )
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.set_defaults(run=_run_demo)
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
        return int(args.run(args))
    except FovMonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _run_check_frame(args: argparse.Namespace) -> int:
    if args.hfov is not None and not (0.0 < args.hfov < 180.0):
        raise FovMonitorError(f"--hfov must be between 0 and 180 degrees, got {args.hfov}")
    reference_image = read_image(args.reference)
    frame = read_image(args.frame)
    reference = Reference.from_image(reference_image)
    permit = load_permit(args.permit) if args.permit else Permit.whole_image(reference.size_wh)
    try:
        permit.check_fits(reference.size_wh)
    except InvalidPermitError as exc:
        raise InvalidPermitError(f"permit file {args.permit}: {exc}") from None
    result = check_frame(reference, permit, frame, hfov_deg=args.hfov)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_result(result, args.reference, args.frame, permit))
    return _EXIT_BY_STATUS[result.status]


def _run_demo(args: argparse.Namespace) -> int:
    from fov_monitor.demo import run_demo

    results = run_demo()
    if args.json:
        print(
            json.dumps(
                [{"camera": camera.camera_id, **result.to_dict()} for camera, result in results], indent=2
            )
        )
        return EXIT_COMPLIANT
    print(f"{'camera':<16} {'what happened':<40} {'verdict':<13} {'outside':>8}  reason")
    for camera, result in results:
        outside = "-" if result.outside_fraction is None else f"{result.outside_fraction:.1%}"
        print(
            f"{camera.camera_id:<16} {camera.story:<40} {result.status:<13} {outside:>8}  {result.reasons[0]}"
        )
    return EXIT_COMPLIANT


def load_permit(path: Path) -> Permit:
    """Read a permit JSON file.

    Raises
    ------
    InvalidPermitError
        When the file is missing, not JSON, or not a valid permit; the message names the file.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidPermitError(f"permit file {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidPermitError(f"permit file {path} cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InvalidPermitError(
            f"permit file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return Permit.from_dict(data, source=f"permit file {path}")


def format_result(result: CheckResult, reference_path: Path, frame_path: Path, permit: Permit) -> str:
    """Return a technician-readable account of a check."""
    lines = [f"{frame_path}: {result.status.upper()}"]
    lines += [f"  - {reason}" for reason in result.reasons]
    lines.append(f"  reference   {reference_path} ({result.reference_label or '-'})")
    if permit.decision is not None:
        decision = permit.decision
        validity = f"{decision.valid_from or '...'} to {decision.valid_to or '...'}"
        in_force = "in force today" if decision.is_valid_on(date.today()) else "NOT in force today"
        lines.append(f"  permit      {decision.reference_number}, valid {validity} ({in_force})")
    if result.H_live_to_ref is not None and result.shift_px and result.shift_fraction:
        lines.append(
            f"  aligned     by {result.method}, {result.inliers} points agree, "
            f"confidence {result.confidence:.2f}"
        )
        outside = result.outside_fraction or 0.0
        lines.append(f"  outside     {outside:.2%} of the view (tolerance {permit.tolerance:.1%})")
        dx, dy = result.shift_fraction
        px_x, px_y = result.shift_px
        shift = f"  shift       x {dx:+.2%} ({px_x:+.1f} px), y {dy:+.2%} ({px_y:+.1f} px)"
        if result.pan_deg is not None and result.tilt_deg is not None:
            shift += f"; pan {result.pan_deg:+.2f} deg, tilt {result.tilt_deg:+.2f} deg"
        lines.append(shift)
        lines.append(f"  roll        {result.roll_deg or 0.0:+.2f} deg    zoom {result.zoom or 1.0:.3f}x")
        for zone in result.zones:
            state = "EXPOSED" if zone.exposed else "hidden"
            lines.append(f"  zone        {zone.name}: {zone.visible_fraction:.1%} visible ({state})")
    quality = result.quality
    lines.append(
        f"  frame       mean gray {quality.mean_luma:.0f}, contrast {quality.contrast:.0f}, "
        f"texture {quality.texture:.2f}"
    )
    lines.append(f"  time        {result.timings_ms.get('total', 0.0):.1f} ms")
    return "\n".join(lines)
