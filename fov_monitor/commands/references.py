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
from fov_monitor.store.records import ReferenceInfo
from fov_monitor.workflows.bank import forget_reference
from fov_monitor.workflows.fleet_capture import CAPTURE_EXIT_CODES_TEXT
from fov_monitor.workflows.reference_capture import MAX_FRAMES, Approval, capture_reference

DEFAULT_FRAMES = 3
"""Frames ``reference capture`` grabs of a camera by default: short enough for a technician on site."""
DEFAULT_EVERY_S = 1.0


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
    _add_span(capture)
    add_json_option(capture)
    capture.set_defaults(run=run_capture)

    listing = actions.add_parser(
        "list",
        parents=[parent],
        help="list a camera's references: the technician's and those its bank learned",
        description="List a camera's references. The base reference (its pixels are the permit's) comes "
        "first; references the nightly scan learned (the camera's reference bank: compliant frames in "
        "conditions no reference covered, verified against the base) are marked with the frame they "
        "came from and how far from the base they were measured. --json has every record whole.",
    )
    listing.add_argument("camera_id", metavar="CAMERA")
    add_json_option(listing)
    listing.set_defaults(run=run_list)

    forget = actions.add_parser(
        "forget",
        parents=[parent],
        help="remove a learned reference from a camera's bank (kept in history/)",
        description="Remove a reference the scan learned (see 'reference list'); it is kept in the camera's "
        "history/ folder and the removal goes to the audit log. A technician's reference is replaced only "
        "by 'reference rebaseline'.",
    )
    forget.add_argument("camera_id", metavar="CAMERA")
    forget.add_argument("label", metavar="LABEL", help="the learned reference's label (learned-...)")
    forget.add_argument("--why", default="removed by a technician", help="the reason, for the audit log")
    forget.set_defaults(run=run_forget)

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
    _add_span(parser)


def _add_span(parser: argparse.ArgumentParser) -> None:
    """Add ``--frames`` and ``--every``: one camera's enrolment over a span."""
    parser.add_argument(
        "--frames",
        type=int,
        metavar="N",
        help=f"one camera: frames of the view to grab (1-{MAX_FRAMES}; default {DEFAULT_FRAMES}, 1 with "
        "--from): the first becomes the reference, the others show how much of the view stays the same "
        "and are part of the self-test",
    )
    parser.add_argument(
        "--every",
        type=float,
        default=DEFAULT_EVERY_S,
        metavar="SECONDS",
        help=f"seconds between those frames (default {DEFAULT_EVERY_S:g}; a longer span sees more of what "
        "moves)",
    )


def run_capture(args: argparse.Namespace) -> int:
    if args.all or args.group is not None or (args.missing and args.camera_id is None):
        if args.from_file is not None:
            raise InvalidSettingsError("--from gives one image: capture one CAMERA with it, not many")
        if args.frames is not None:
            raise InvalidSettingsError("--frames is for one camera's enrolment: give a CAMERA, not many")
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
            _kind(info, index),
            f"{info.size_wh[0]}x{info.size_wh[1]}",
            info.captured_at,
            info.taken_at,
            info.captured_by,
            _faces(info.faces_blurred),
            info.self_test.get("smallest_shift_fraction"),
            len(info.self_test.get("warnings", [])),
        )
        for index, info in enumerate(infos)
    ]
    print_table(
        ["label", "kind", "size", "captured", "picture taken", "by", "faces", "smallest move", "warnings"],
        rows,
    )
    return EXIT_COMPLIANT


def _kind(info: ReferenceInfo, index: int) -> str:
    if info.learned is None:
        return "base" if index == 0 else "captured"
    dx, dy = info.learned.get("shift_fraction", (0.0, 0.0))
    return f"learned from the frame of {info.learned.get('frame_at')} ({dx:+.2%}, {dy:+.2%} from the base)"


def run_forget(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    with context.database() as database:
        forget_reference(
            context.store, database, args.camera_id, args.label, actor=context.actor, why=args.why
        )
    print(f"removed the learned reference {args.label} of {args.camera_id} (kept in its history/ folder)")
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
            frames=args.frames if args.frames is not None else (1 if args.from_file else DEFAULT_FRAMES),
            every_s=args.every,
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
        frames = f" over {test.frames} frames" if test.frames > 1 else ""
        print(
            f"self-test: detects pans and tilts from {test.smallest_shift_fraction:.2%} of the frame{degrees}"
            f"{frames}"
        )
    if test.stable_share is not None:
        print(
            f"stable structure: {test.stable_share:.0%} of the view stayed the same over {test.frames} frames"
        )
    for line in test.warnings:
        warn(line)
