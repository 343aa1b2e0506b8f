"""``reference capture``, ``reference list`` and ``reference rebaseline``."""

from __future__ import annotations

import argparse
from pathlib import Path

from fov_monitor.commands.common import (
    EXIT_COMPLIANT,
    Context,
    add_json_option,
    print_json,
    print_table,
    warn,
)
from fov_monitor.core.enrolment import SelfTest
from fov_monitor.workflows.reference_capture import Approval, capture_reference


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    reference = commands.add_parser("reference", help="capture, list or re-baseline reference images")
    actions = reference.add_subparsers(dest="action", metavar="ACTION", required=True)

    capture = actions.add_parser(
        "capture",
        parents=[parent],
        help="capture a new reference (faces blurred unless privacy.blur_faces is off) and self-test what "
        "it lets fov-monitor detect",
        description="Grab a frame from the camera (or --from FILE), blur faces, measure the smallest move it "
        "lets fov-monitor detect, and store it. An existing reference is never replaced: see rebaseline.",
    )
    _add_common(capture)
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
            info.taken_at,
            info.captured_by,
            _faces(info.faces_blurred),
            info.self_test.get("smallest_shift_fraction"),
            len(info.self_test.get("warnings", [])),
        )
        for info in infos
    ]
    print_table(
        ["label", "size", "captured", "picture taken", "by", "faces", "smallest move", "warnings"], rows
    )
    return EXIT_COMPLIANT


def _faces(blurred: bool | None) -> str:
    return "not recorded" if blurred is None else "blurred" if blurred else "NOT blurred"


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
                "faces_blurred": outcome.info.faces_blurred,
                "permit": outcome.permit_line(),
            }
        )
    else:
        faces = context.settings.privacy.faces_state()
        _print_self_test(args.camera_id, outcome.info.label, outcome.info.size_wh, test, outcome.kept, faces)
        if outcome.permit_line():
            print(outcome.permit_line())
    return EXIT_COMPLIANT


def _print_self_test(
    camera_id: str, label: str, size: tuple[int, int], test: SelfTest, kept: Path | None, faces: str
) -> None:
    print(f"stored the {label!r} reference of {camera_id} ({size[0]}x{size[1]}, {faces})")
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
