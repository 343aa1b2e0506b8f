"""``permit set`` and ``permit show``."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from fov_monitor.commands.common import EXIT_COMPLIANT, Context, add_json_option, print_json
from fov_monitor.core.permit import POLYGON_TEXT, Decision, Permit, parse_points
from fov_monitor.db.audit import AuditAction
from fov_monitor.errors import InvalidPermitError
from fov_monitor.files.json_files import parse_json

_POLYGON_HELP = POLYGON_TEXT
ZONE_NAME_MAX = 64
"""The longest privacy zone name, as the web app's permit editor takes it."""


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    permit = commands.add_parser("permit", help="set or show what a camera may see")
    actions = permit.add_subparsers(dest="action", metavar="ACTION", required=True)

    put = actions.add_parser(
        "set",
        parents=[parent],
        help="set a camera's permitted area, privacy zones and decision",
        description="Set the permit of CAMERA. Options not given keep their current value; the previous "
        "permit is kept in the camera's history/ folder. Coordinates are pixels of the camera's first "
        "reference image.",
    )
    put.add_argument("camera_id", metavar="CAMERA")
    area = put.add_mutually_exclusive_group()
    area.add_argument("--polygon", help=f"permitted area: {_POLYGON_HELP}")
    area.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help="a JSON file: a list of [x, y], or a permit object with 'permitted_xy' and 'privacy_zones'",
    )
    put.add_argument(
        "--zone",
        action="append",
        default=[],
        metavar="NAME=POINTS",
        help=f"a privacy zone that must never be visible: NAME={_POLYGON_HELP}; repeatable",
    )
    put.add_argument("--clear-zones", action="store_true", help="drop the privacy zones set before")
    put.add_argument("--decision", metavar="NUMBER", help="reference number of the permit or decision")
    put.add_argument("--valid-from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    put.add_argument("--valid-to", type=date.fromisoformat, metavar="YYYY-MM-DD")
    put.add_argument("--hours", action="append", metavar="HH:MM-HH:MM", help="permitted hours; repeatable")
    put.add_argument("--purpose", help="why the camera films (free text, shown in the public register)")
    put.set_defaults(run=run_set)

    show = actions.add_parser("show", parents=[parent], help="show a camera's permit")
    show.add_argument("camera_id", metavar="CAMERA")
    add_json_option(show)
    show.set_defaults(run=run_show)


def run_set(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    store = context.store
    state = store.camera_state(args.camera_id)
    current = state.stored_permit
    reference_size = store.first_reference_size(state)

    permitted: Any = None if current is None else current.permit.to_dict()["permitted_xy"]
    zones: dict[str, Any] = (
        {} if current is None or args.clear_zones else current.permit.to_dict()["privacy_zones"]
    )
    if args.polygon:
        permitted = parse_points(args.polygon, "--polygon")
    given: dict[str, str] = {}  # zone name -> where this command gives it
    if args.from_file:
        loaded = _load_area_file(args.from_file)
        permitted = loaded.get("permitted_xy", permitted)
        for name, points in loaded.get("privacy_zones", {}).items():
            given[_zone_name(name, f"polygon file {args.from_file}")] = f"polygon file {args.from_file}"
            zones[name] = points
    for entry in args.zone:
        name, separator, points = entry.partition("=")
        if not separator or not name.strip():
            raise InvalidPermitError(f"--zone {entry[:80]!r}: write NAME={_POLYGON_HELP}")
        name = _zone_name(name.strip(), "--zone")
        if name in given:
            raise InvalidPermitError(
                f"--zone {name!r} is given twice (also by {given[name]}); give each privacy zone one name"
            )
        given[name] = "another --zone"
        zones[name] = parse_points(points, f"--zone {name}")
    if permitted is None:
        raise InvalidPermitError(
            f"camera {args.camera_id} has no permit yet: give the permitted area with --polygon or --from"
        )
    permit = Permit(
        permitted_xy=permitted,
        privacy_zones=zones,
        tolerance=state.config.tolerance,
        decision=_decision(args, current.permit.decision if current else None),
    )
    if reference_size is not None:
        permit.check_fits(reference_size)  # before the audit line: a refused permit is no change
    keep_at = store.permit_history_path(args.camera_id)
    with context.audited_change(
        AuditAction.PERMIT_SET,
        args.camera_id,
        permit=permit.to_dict(),
        previous_kept_at=str(keep_at) if keep_at else None,
    ):
        store.save_permit(args.camera_id, permit, reference_size, context.actor, keep_at=keep_at)
    print(
        f"permit of {args.camera_id} set: area {permit.permitted.area:.0f} px², {len(zones)} privacy zone(s)"
    )
    if reference_size is None:
        print("note: no reference yet; the permit is checked against the reference when it is captured")
    return EXIT_COMPLIANT


def run_show(args: argparse.Namespace) -> int:
    store = Context.from_args(args).store
    stored = store.permit(args.camera_id)
    if stored is None:
        raise InvalidPermitError(
            f"camera {args.camera_id} has no permit; set one with 'fov-monitor permit set'"
        )
    document = stored.permit.to_dict() | {
        "reference_size": stored.reference_size,
        "set_at": stored.set_at,
        "set_by": stored.set_by,
    }
    if args.json:
        print_json(document)
        return EXIT_COMPLIANT
    decision = stored.permit.decision
    print(f"camera       {args.camera_id}")
    if decision is not None:
        in_force = "in force today" if decision.is_valid_on(date.today()) else "NOT in force today"
        print(f"decision     {decision.reference_number} ({in_force})")
        print(f"valid        {decision.valid_from or '...'} to {decision.valid_to or '...'}")
        print(f"hours        {', '.join(decision.permitted_hours) or 'at all hours'}")
        print(f"purpose      {decision.purpose or '-'}")
    print(f"area         {len(document['permitted_xy'])} points, tolerance {stored.permit.tolerance:.1%}")
    for name in stored.permit.zones:
        print(f"zone         {name}")
    print(f"set          {stored.set_at} by {stored.set_by}")
    return EXIT_COMPLIANT


def _zone_name(name: object, where: str) -> str:
    """Return a privacy zone's name if it is 1-64 characters (as the web app's editor takes), else raise."""
    if not isinstance(name, str) or not name.strip() or len(name) > ZONE_NAME_MAX:
        shown = repr(name) if len(repr(name)) <= 70 else f"{repr(name)[:67]}..."
        raise InvalidPermitError(f"{where}: privacy zone name {shown} must be 1-{ZONE_NAME_MAX} characters")
    return name


def _decision(args: argparse.Namespace, current: Decision | None) -> Decision | None:
    given = any(
        v is not None for v in (args.decision, args.valid_from, args.valid_to, args.hours, args.purpose)
    )
    if not given:
        return current
    number = args.decision or (current.reference_number if current else None)
    if not number:
        raise InvalidPermitError(
            "--valid-from/--valid-to/--hours/--purpose need --decision NUMBER the first time"
        )
    return Decision(
        reference_number=number,
        valid_from=args.valid_from
        if args.valid_from is not None
        else (current.valid_from if current else None),
        valid_to=args.valid_to if args.valid_to is not None else (current.valid_to if current else None),
        permitted_hours=tuple(args.hours) if args.hours else (current.permitted_hours if current else ()),
        purpose=args.purpose if args.purpose is not None else (current.purpose if current else ""),
    )


def _load_area_file(path: Path) -> Mapping[str, Any]:
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidPermitError(f"polygon file {path} does not exist; check the path") from None
    except (OSError, ValueError) as exc:
        raise InvalidPermitError(f"polygon file {path} is not readable JSON ({exc})") from None
    if isinstance(data, list):
        return {"permitted_xy": data}
    if isinstance(data, Mapping) and ("permitted_xy" in data or "privacy_zones" in data):
        zones = data.get("privacy_zones", {})
        if not isinstance(zones, Mapping):
            raise InvalidPermitError(f"polygon file {path}: field 'privacy_zones' must map names to polygons")
        return data
    raise InvalidPermitError(
        f"polygon file {path}: expected a list of [x, y] or an object with 'permitted_xy'"
    )
