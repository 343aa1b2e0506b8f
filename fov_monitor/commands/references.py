"""``reference capture``, ``reference list`` and ``reference rebaseline``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fov_monitor.commands.capture_output import capture_many
from fov_monitor.commands.common import (
    EXIT_COMPLIANT,
    Context,
    add_json_option,
    print_json,
    print_table,
    warn,
)
from fov_monitor.core.enrolment import SelfTest
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.workflows.fleet_capture import CAPTURE_EXIT_CODES_TEXT
from fov_monitor.workflows.reference_capture import Approval, capture_reference


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    reference = commands.add_parser("reference", help="capture, list or re-baseline reference images")
    actions = reference.add_subparsers(dest="action", metavar="ACTION", required=True)

    capture = actions.add_parser(
        "capture",
        parents=[parent],
        help="capture a new reference (faces blurred) and self-test what it lets fov-monitor detect",
        description="Grab a frame from the camera (or --from FILE), blur faces, measure the smallest move it "
        "lets fov-monitor detect, and store it. An existing reference is never replaced: see rebaseline. "
        "With --all, --group or --missing, capture many cameras at once: grabs in parallel, each within "
        "its camera's timeout, faces blurred and self-tested in worker processes; a camera that fails "
        "never stops the others, and the summary lists each one that warned or failed.",
        epilog=CAPTURE_EXIT_CODES_TEXT,
    )
    which = capture.add_mutually_exclusive_group()
    which.add_argument("camera_id", metavar="CAMERA", nargs="?", help="the camera")
    which.add_argument("--all", action="store_true", help="every camera without a reference of this label")
    which.add_argument("--group", help="the cameras of this group without a reference of this label")
    capture.add_argument(
        "--missing",
        action="store_true",
        help="only cameras without a reference of this label (the default of --all and --group, which "
        "also count those passed over as skipped)",
    )
    capture.add_argument("--label", default="day", help="day, night, snow, a preset name (default: day)")
    capture.add_argument("--from", dest="from_file", type=Path, metavar="FILE", help="use this image file")
    capture.add_argument(
        "--concurrency", type=int, default=16, metavar="N", help="many cameras: grabs at once (default 16)"
    )
    capture.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="many cameras: processes that blur and self-test (default: the number of cores)",
    )
    add_json_option(capture)
    capture.set_defaults(run=run_capture)

    listing = actions.add_parser("list", parents=[parent], help="list a camera's references")
    listing.add_argument("camera_id", metavar="CAMERA")
    add_json_option(listing)
    listing.set_defaults(run=run_list)

    rebaseline = actions.add_parser(
        "rebaseline",
        parents=[parent],
        help="replace a reference, with a reason and an approver (the old one is kept)",
        description="Replace a reference after an approved change of view. The old reference is kept in "
        "the camera's history/ folder and who approved it and why go to the audit log.",
    )
    _add_common(rebaseline)
    rebaseline.add_argument("--reason", required=True, help="why the reference is replaced")
    rebaseline.add_argument("--approved-by", required=True, metavar="NAME", help="who approved the change")
    add_json_option(rebaseline)
    rebaseline.set_defaults(run=run_rebaseline)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("camera_id", metavar="CAMERA")
    parser.add_argument("--label", default="day", help="day, night, snow, a preset name (default: day)")
    parser.add_argument("--from", dest="from_file", type=Path, metavar="FILE", help="use this image file")


def run_capture(args: argparse.Namespace) -> int:
    if args.all or args.group is not None or (args.missing and args.camera_id is None):
        if args.from_file is not None:
            raise InvalidSettingsError("--from gives one image: capture one CAMERA with it, not many")
        return capture_many(Context.from_args(args), args)
    if args.camera_id is None:
        raise InvalidSettingsError("reference capture: give a CAMERA, or --all, --group GROUP or --missing")
    if args.missing:
        raise InvalidSettingsError("--missing selects many cameras: give it without CAMERA")
    return _store_reference(args, rebaseline=False)


def run_rebaseline(args: argparse.Namespace) -> int:
    return _store_reference(args, rebaseline=True)


def run_list(args: argparse.Namespace) -> int:
    store = Context.from_args(args).store
    infos = store.reference_infos(args.camera_id)
    if args.json:
        print_json([info.to_dict() for info in infos])
        return EXIT_COMPLIANT
    rows = [
        (
            info.label,
            f"{info.size_wh[0]}x{info.size_wh[1]}",
            info.captured_at,
            info.captured_by,
            info.self_test.get("smallest_shift_fraction"),
            len(info.self_test.get("warnings", [])),
        )
        for info in infos
    ]
    print_table(["label", "size", "captured", "by", "smallest move", "warnings"], rows)
    return EXIT_COMPLIANT


def _store_reference(args: argparse.Namespace, *, rebaseline: bool) -> int:
    context = Context.from_args(args)
    approval = Approval(args.reason, args.approved_by) if rebaseline else None
    with context.database() as database:
        outcome = capture_reference(
            context.store,
            database,
            args.camera_id,
            label=args.label,
            actor=context.actor,
            source=str(args.from_file) if args.from_file else None,
            approval=approval,
            privacy=context.settings.privacy,
        )
    test = outcome.self_test
    if args.json:
        print_json(
            {
                "camera": args.camera_id,
                "label": outcome.info.label,
                "size_wh": outcome.info.size_wh,
                "self_test": test.to_dict(),
                "previous_kept_at": str(outcome.kept) if outcome.kept else None,
                "permit": outcome.permit_line(),
            }
        )
    else:
        _print_self_test(args.camera_id, outcome.info.label, outcome.info.size_wh, test, outcome.kept)
        if outcome.permit_line():
            print(outcome.permit_line())
    return EXIT_COMPLIANT


def _print_self_test(
    camera_id: str, label: str, size: tuple[int, int], test: SelfTest, kept: Path | None
) -> None:
    print(f"stored the {label!r} reference of {camera_id} ({size[0]}x{size[1]}, faces blurred)")
    if kept:
        print(f"the previous one is kept at {kept}")
    if test.smallest_shift_fraction is not None:
        degrees = ""
        if test.smallest_pan_deg is not None and test.smallest_tilt_deg is not None:
            degrees = f" (pan {test.smallest_pan_deg:.2f} deg, tilt {test.smallest_tilt_deg:.2f} deg)"
        print(
            f"self-test: detects pans and tilts from {test.smallest_shift_fraction:.2%} of the frame{degrees}"
        )
    for line in test.warnings:
        warn(line)
