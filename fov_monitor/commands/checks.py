"""``check``, ``history`` and ``check-frame``."""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

from fov_monitor.commands.common import (
    EXIT_BY_STATUS,
    EXIT_CODES_TEXT,
    EXIT_COMPLIANT,
    Context,
    add_json_option,
    print_json,
    print_table,
    warn,
)
from fov_monitor.core.check import check_frame
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import CheckResult
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import InvalidPermitError, InvalidSettingsError
from fov_monitor.files.images import read_image
from fov_monitor.workflows.camera_check import CameraCheck, EvidencePolicy, check_camera
from fov_monitor.workflows.evidence import faces_unblurred


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    check = commands.add_parser(
        "check",
        parents=[parent],
        help="grab a camera now and say whether it is inside its permit",
        description="Grab a live frame of CAMERA, align it to its references and judge it against its "
        "permit; write an evidence image when it is not compliant; record the result.",
        epilog=EXIT_CODES_TEXT,
    )
    check.add_argument("camera_id", metavar="CAMERA")
    check.add_argument("--from", dest="source", metavar="SOURCE", help="check this file or URL instead")
    check.add_argument(
        "--evidence",
        choices=[policy.value for policy in EvidencePolicy],
        default=EvidencePolicy.AUTO.value,
        help="write an evidence image: when not compliant (auto, default), always, or never",
    )
    check.add_argument(
        "--watch",
        type=float,
        metavar="SECONDS",
        nargs="?",
        const=2.0,
        help="re-aim aid: check again every SECONDS (default 2) and print the shift until Ctrl-C",
    )
    add_json_option(check)
    check.set_defaults(run=run_check)

    history = commands.add_parser("history", parents=[parent], help="show a camera's latest results")
    history.add_argument("camera_id", metavar="CAMERA")
    history.add_argument("--limit", type=int, default=20, help="how many results (default 20)")
    add_json_option(history)
    history.set_defaults(run=run_history)

    frame = commands.add_parser(
        "check-frame",
        help="check one image against a reference image (no store needed)",
        description="Align FRAME to REFERENCE and say whether the view is still inside the permit. "
        "Without --permit the whole reference image is permitted.",
        epilog=EXIT_CODES_TEXT,
    )
    frame.add_argument("reference", type=Path, metavar="REFERENCE", help="the reference image file")
    frame.add_argument("frame", type=Path, metavar="FRAME", help="the live frame image file")
    frame.add_argument(
        "--permit",
        type=Path,
        metavar="PERMIT.json",
        help='permit as JSON: {"permitted_xy": [[x, y], ...], "privacy_zones": {"name": [[x, y], ...]}, '
        '"tolerance": 0.02}, in reference pixels',
    )
    frame.add_argument("--hfov", type=float, metavar="DEG", help="camera's horizontal field of view, degrees")
    add_json_option(frame)
    frame.set_defaults(run=run_check_frame)


def run_check(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    with context.database() as database:
        if args.watch:
            return _watch(context, database, args)
        outcome = check_camera(
            context.store,
            database,
            args.camera_id,
            actor=context.actor,
            source=args.source,
            evidence=EvidencePolicy(args.evidence),
            privacy=context.settings.privacy,
        )
    if args.json:
        print_json(camera_check_document(outcome))
    else:
        print(format_result(outcome.result, f"{args.camera_id} ({outcome.source})", outcome.permit))
        if outcome.evidence_path:
            faces = (
                ""
                if not faces_unblurred(outcome.evidence_path)
                else f" ({context.settings.privacy.faces_state()})"
            )
            print(f"  evidence    {outcome.evidence_path}{faces}")
        if outcome.evidence_error:
            warn(outcome.evidence_error)
        timings = ", ".join(f"{name} {ms:.0f} ms" for name, ms in outcome.timings_ms.items())
        print(f"  cost        {timings}")
    return EXIT_BY_STATUS[outcome.result.status]


def camera_check_document(outcome: CameraCheck) -> dict[str, object]:
    """Return a camera check as JSON-ready data.

    ``timings_ms`` is the cost of the whole check (grab, check, evidence, record, total);
    ``core_timings_ms`` the core's own breakdown of the check step.
    """
    result = outcome.result.to_dict()
    return {
        "camera": outcome.camera_id,
        "checked_at": outcome.checked_at,
        "source": outcome.source,
        "evidence": str(outcome.evidence_path) if outcome.evidence_path else None,
        "evidence_faces_blurred": not faces_unblurred(outcome.evidence_path)
        if outcome.evidence_path
        else None,
        "evidence_error": outcome.evidence_error,
        "result_id": outcome.result_id,
        **result,
        "timings_ms": outcome.timings_ms,
        "core_timings_ms": result.get("timings_ms", {}),
    }


def _watch(context: Context, database: Database, args: argparse.Namespace) -> int:
    print(f"watching {args.camera_id} every {args.watch:g} s (not recorded); Ctrl-C to stop")
    context.audit(AuditAction.WATCH_STARTED, args.camera_id, every_s=args.watch)
    status = EXIT_COMPLIANT
    try:
        while True:
            outcome = check_camera(
                context.store,
                database,
                args.camera_id,
                actor=context.actor,
                source=args.source,
                evidence=EvidencePolicy.NEVER,
                privacy=context.settings.privacy,
            )
            result = outcome.result
            shift = result.shift_fraction or (0.0, 0.0)
            outside = "-" if result.outside_fraction is None else f"{result.outside_fraction:.1%}"
            print(
                f"{outcome.checked_at}  {result.status:<12} outside {outside:>6}  shift x {shift[0]:+.2%} "
                f"y {shift[1]:+.2%}  {result.reasons[0]}",
                flush=True,
            )
            status = EXIT_BY_STATUS[result.status]
            time.sleep(args.watch)
    except KeyboardInterrupt:
        return status


def run_history(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    context.store.camera(args.camera_id)
    with context.database() as database:
        rows = database.history(args.camera_id, args.limit)
    if args.json:
        print_json([row.to_dict() for row in rows])
        return EXIT_COMPLIANT
    table = [
        (
            row.checked_at,
            row.status,
            _percent(row.outside_fraction),
            _percent(row.shift_fraction),
            row.confidence,
            row.summary[:60],
            row.evidence_path,
        )
        for row in rows
    ]
    print_table(["checked", "status", "outside", "shift", "confidence", "why", "evidence"], table)
    return EXIT_COMPLIANT


def run_check_frame(args: argparse.Namespace) -> int:
    if args.hfov is not None and not 0.0 < args.hfov < 180.0:
        raise InvalidSettingsError(f"--hfov must be between 0 and 180 degrees, got {args.hfov}")
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
        print_json(result.to_dict())
    else:
        print(format_result(result, str(args.frame), permit, reference_name=str(args.reference)))
    return EXIT_BY_STATUS[result.status]


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


def format_result(result: CheckResult, what: str, permit: Permit | None, reference_name: str = "") -> str:
    """Return a technician-readable account of a check."""
    lines = [f"{what}: {result.status.upper()}"]
    lines += [f"  - {reason}" for reason in result.reasons]
    if result.tamper is not None:
        lines.append(f"  tamper      {result.tamper.kind}: {result.tamper.text}")
    label = result.reference_label or "-"
    lines.append(f"  reference   {reference_name} ({label})" if reference_name else f"  reference   {label}")
    if permit is not None and permit.decision is not None:
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
        tolerance = f" (tolerance {permit.tolerance:.1%})" if permit is not None else ""
        lines.append(f"  outside     {outside:.2%} of the view{tolerance}")
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


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"
