"""``init``, ``camera add|list|show|edit|remove`` and ``validate``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from fov_monitor.commands import inventory
from fov_monitor.commands.common import (
    EXIT_COMPLIANT,
    EXIT_ERROR,
    Context,
    add_json_option,
    print_json,
    print_table,
    warn,
)
from fov_monitor.db.audit import AuditAction
from fov_monitor.errors import FovMonitorError, InvalidSettingsError
from fov_monitor.sources import AuthKind, SourceAuth, redact
from fov_monitor.store.camera import CameraConfig, is_reserved_name
from fov_monitor.store.loaded import check_record_size
from fov_monitor.store.records import PENDING_PERMIT_FILE
from fov_monitor.store.store import LoadedCamera, Store

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    init = commands.add_parser(
        "init",
        parents=[parent],
        help="create an empty camera store",
        description="Create the store folder and its database. Safe to run again.",
    )
    init.set_defaults(run=run_init)

    camera = commands.add_parser("camera", help="enrol, list, show, edit or remove cameras")
    actions = camera.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", parents=[parent], help="enrol a camera", description="Enrol a camera.")
    add.add_argument("camera_id", metavar="CAMERA", help="id: letters, digits, '_', '.', '-' (e.g. cam-12)")
    add.add_argument("--source", required=True, help="image file, snapshot folder, http(s):// or rtsp:// URL")
    _add_setting_options(add)
    add.set_defaults(run=run_add)

    listing = actions.add_parser("list", parents=[parent], help="list the enrolled cameras")
    listing.add_argument("--group", help="only cameras of this group")
    add_json_option(listing)
    listing.set_defaults(run=run_list)

    show = actions.add_parser(
        "show", parents=[parent], help="show one camera's settings, permit and references"
    )
    show.add_argument("camera_id", metavar="CAMERA")
    add_json_option(show)
    show.set_defaults(run=run_show)

    edit = actions.add_parser("edit", parents=[parent], help="change a camera's settings")
    edit.add_argument("camera_id", metavar="CAMERA")
    edit.add_argument("--source", help="new source")
    _add_setting_options(edit)
    edit.set_defaults(run=run_edit)

    remove = actions.add_parser(
        "remove", parents=[parent], help="remove a camera (its folder is kept under .removed/)"
    )
    remove.add_argument("camera_id", metavar="CAMERA")
    remove.set_defaults(run=run_remove)
    inventory.register(actions, parent)

    validate = commands.add_parser(
        "validate",
        parents=[parent],
        help="check every camera folder; errors name the file and the field",
        description="Read every camera's settings, permit and references and report what is wrong. "
        "Reading writes nothing: a feature cache a check cannot use (missing, damaged, stale) or a "
        "reference image that only its copy in history/ matches is reported here; --repair writes "
        "them back.",
    )
    validate.add_argument(
        "--repair",
        action="store_true",
        help="rebuild unusable feature caches and put back reference images from history/ (audited)",
    )
    add_json_option(validate)
    validate.set_defaults(run=run_validate)


def _add_setting_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="what people call the camera")
    parser.add_argument("--place", help="where it hangs")
    parser.add_argument("--group", help="group for scans, alerts and reports")
    parser.add_argument(
        "--site",
        help="network only its own machines reach (e.g. north): a scan on a Dask cluster grabs the "
        "camera only on workers started with --resources site-NAME=1; '' for any machine",
    )
    parser.add_argument("--hfov", type=float, dest="hfov_deg", metavar="DEG", help="horizontal field of view")
    parser.add_argument("--preset", dest="ptz_preset", help="PTZ preset the permit is drawn for")
    parser.add_argument("--tolerance", type=float, help="share of the view allowed outside the permit (0.02)")
    parser.add_argument("--timeout", type=float, dest="timeout_s", metavar="SECONDS", help="grab time limit")
    parser.add_argument(
        "--auth", choices=[*(kind.value for kind in AuthKind), "none"], help="HTTP authentication"
    )
    parser.add_argument("--username", help="user name for --auth")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    secret.add_argument("--password-file", type=Path, metavar="FILE", help="file (mode 600) holding it")


def _changes(args: argparse.Namespace, where: str) -> dict[str, Any]:
    names = ("source", "name", "place", "group", "site", "hfov_deg", "ptz_preset", "tolerance", "timeout_s")
    changes = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    if args.auth == "none":
        changes["auth"] = None
    elif args.auth:
        if not args.username:
            raise InvalidSettingsError(f"{where}: --auth {args.auth} needs --username")
        changes["auth"] = SourceAuth.from_dict(
            {
                "kind": args.auth,
                "username": args.username,
                "password_env": args.password_env,
                "password_file": str(args.password_file) if args.password_file else None,
            },
            where=where,
        )
    return changes


def run_init(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    created = context.store.init()
    context.audit(AuditAction.STORE_INITIALISED, None, store=str(context.store.root))
    print(f"{'created' if created else 'store already exists:'} {context.store.root}")
    return EXIT_COMPLIANT


def run_add(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    config = CameraConfig(camera_id=args.camera_id, **_changes(args, f"camera {args.camera_id}"))
    context.store.check_new_camera(config.camera_id)
    with context.audited_change(AuditAction.CAMERA_ADDED, config.camera_id, settings=_public(config)):
        context.store.add_camera(config)
    print(f"added {config.camera_id}; next: fov-monitor reference capture {config.camera_id}")
    return EXIT_COMPLIANT


def run_edit(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    before = context.store.camera(args.camera_id)
    changes = _changes(args, f"camera {args.camera_id}")
    if not changes:
        raise InvalidSettingsError("camera edit: nothing to change; give e.g. --source or --tolerance")
    after = before.with_changes(**changes)
    with context.audited_change(
        AuditAction.CAMERA_EDITED, args.camera_id, before=_public(before), after=_public(after)
    ):
        context.store.save_camera(after)
    print(f"updated {args.camera_id}: {', '.join(sorted(changes))}")
    return EXIT_COMPLIANT


def run_remove(args: argparse.Namespace) -> int:
    from fov_monitor.alerts import close_camera_alerts
    from fov_monitor.alerts.queries import camera_facts

    context = Context.from_args(args)
    settings = context.settings.alerts
    store, camera_id = context.store, args.camera_id
    facts = camera_facts(store, camera_id)  # the announcement names it; read while it is there
    target = store.removal_target(camera_id)
    with context.audited_change(AuditAction.CAMERA_REMOVED, camera_id, kept_at=str(target)) as database:
        kept = store.remove_camera(camera_id, target)
        try:
            closed = close_camera_alerts(
                database, camera_id, facts, settings, actor=context.actor, why="the camera was removed"
            )
        except BaseException:
            # A removed camera's alerts would stay open for good: the removal is undone instead.
            try:
                store.restore_camera(camera_id, kept)
            except FovMonitorError as undo:
                log.error(
                    "camera %s: its alerts are open and its folder is at %s (%s)", camera_id, kept, undo
                )
            raise
    print(f"removed {camera_id}; its folder is kept at {kept}")
    if closed.closed:
        print(
            f"closed its {closed.closed} active alert(s); {closed.deliveries} announcement(s) in the outbox "
            "for the next 'fov-monitor alerts deliver' or scan"
        )
    return EXIT_COMPLIANT


def run_list(args: argparse.Namespace) -> int:
    store = Context.from_args(args).store
    store.require()
    cameras, unreadable = [], []
    for camera_id in store.camera_ids():
        try:
            cameras.append(store.camera(camera_id))
        except FovMonitorError as exc:  # one damaged camera.json hides no other camera
            unreadable.append(f"camera {camera_id} is not listed: {exc}")
    cameras = [c for c in cameras if args.group is None or c.group == args.group]
    if args.json:
        print_json([_public(c) for c in cameras])
    else:
        rows = [(c.camera_id, c.group, c.name, c.place, redact(c.source)) for c in cameras]
        print_table(["camera", "group", "name", "place", "source"], rows)
    for line in unreadable:
        warn(f"{line}; see 'fov-monitor validate'")
    return EXIT_ERROR if unreadable else EXIT_COMPLIANT


def run_show(args: argparse.Namespace) -> int:
    state = Context.from_args(args).store.camera_state(args.camera_id)
    config, stored, infos = state.config, state.stored_permit, state.infos
    document = {
        "camera": _public(config),
        "permit": None
        if stored is None
        else stored.permit.to_dict()
        | {"reference_size": stored.reference_size, "set_at": stored.set_at, "set_by": stored.set_by},
        "references": [info.to_dict() for info in infos],
    }
    if args.json:
        print_json(document)
        return EXIT_COMPLIANT
    for key, value in _public(config).items():
        print(f"{key:<12} {value if value is not None else '-'}")
    if stored is None:
        print("permit       none; set one with 'fov-monitor permit set'")
    else:
        decision = stored.permit.decision
        number = decision.reference_number if decision else "no decision recorded"
        print(
            f"permit       {number}; {len(stored.permit.zones)} privacy zone(s); set {stored.set_at} by "
            f"{stored.set_by}"
        )
    for info in infos:
        smallest = info.self_test.get("smallest_shift_fraction")
        detect = f"detects moves from {smallest:.2%}" if smallest else "self-test: no reliable detection"
        print(f"reference    {info.label}: {info.size_wh[0]}x{info.size_wh[1]}, {info.captured_at}, {detect}")
    return EXIT_COMPLIANT


def run_validate(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    context.store.require()
    report = [
        _validate(context, camera_id, repair=args.repair) for camera_id in _camera_folders(context.store)
    ]
    if args.json:
        print_json(report)
    else:
        for entry in report:
            problems = entry["problems"]
            print(f"{entry['camera']}: {'ok' if not problems else 'PROBLEMS'}")
            for done in entry.get("repaired", []):
                print(f"  repaired: {done}")
            for problem in problems:
                print(f"  - {problem}")
        print(f"{len(report)} camera folder(s), {sum(bool(e['problems']) for e in report)} with problems")
    return EXIT_ERROR if any(entry["problems"] for entry in report) else EXIT_COMPLIANT


def _validate(context: Context, camera_id: str, *, repair: bool) -> dict[str, Any]:
    """Return one camera's entry of the report: its problems, and with ``repair`` what was written."""
    store = context.store
    entry: dict[str, Any] = {"camera": camera_id}
    try:
        camera = store.load_camera(camera_id)
        if repair:
            entry["repaired"] = planned = store.repairs_needed(camera)
            if planned:
                with context.audited_change(AuditAction.STORE_REPAIRED, camera_id, repaired=planned):
                    store.repair(camera)
                camera = store.load_camera(camera_id)  # what is left, read as a check reads it
    except FovMonitorError as exc:
        return entry | {"problems": [str(exc)]}
    except Exception as exc:  # validate names every camera's problem, whatever it is
        log.info("camera %s: unexpected failure of validate", camera_id, exc_info=True)
        return entry | {"problems": [f"{store.root / camera_id}: unexpected {type(exc).__name__} ({exc})"]}
    return entry | {"problems": camera_problems(camera)}


def camera_problems(camera: LoadedCamera) -> list[str]:
    """Return what is wrong with a loaded camera (empty when nothing)."""
    problems: list[str] = []
    state, camera_id = camera.state, camera.camera_id
    stored, infos = state.stored_permit, state.infos
    if stored is None and (state.folder / PENDING_PERMIT_FILE).exists():
        problems.append(
            f"{state.permit_path} is missing: a permit of the whole view is pending, set when the first "
            "reference is captured"
        )
    elif stored is None:
        problems.append(f"{state.permit_path} is missing; set it with 'fov-monitor permit set'")
    if not infos:
        problems.append(
            f"camera {camera_id} has no reference; capture one with 'fov-monitor reference capture'"
        )
    for loaded in camera.references:
        info = loaded.info
        if loaded.prepared is None:
            problems.append(str(loaded.error))
            continue
        try:
            check_record_size(state, info, loaded.prepared.size_wh)
        except FovMonitorError as exc:
            problems.append(str(exc))
        if loaded.restored_from is not None:
            problems.append(
                f"reference image {state.reference_path(info.label, '.png')} does not match its record; "
                f"checks read its copy in {loaded.restored_from.parent}: put it back with 'fov-monitor "
                "validate --repair'"
            )
        if loaded.cache_problem is not None:
            problems.append(
                f"reference {info.label}: {loaded.cache_problem}; checks compute its features from the "
                "image each time (slower): rebuild it with 'fov-monitor validate --repair'"
            )
    if stored is not None and infos:
        # The first image's own size: a record that says another is blamed above, not the permit.
        base = camera.references[0].prepared
        first = base.size_wh if base is not None else infos[0].size_wh
        if stored.reference_size is not None and tuple(stored.reference_size) != tuple(first):
            problems.append(
                f"{state.permit_path}: field 'reference_size' is "
                f"{stored.reference_size[0]}x{stored.reference_size[1]}, the reference is "
                f"{first[0]}x{first[1]}; redraw the permit with 'fov-monitor permit set {camera_id}'"
            )
        try:
            stored.permit.check_fits(first)
        except FovMonitorError as exc:
            problems.append(f"{state.permit_path}: {exc}")
    return problems


def _camera_folders(store: Store) -> list[str]:
    """Return the folders of the store that are cameras' (a camera's folder under a name the store
    reserves for its own files, enrolled before names were reserved, is listed: it cannot be read)."""
    return sorted(
        entry.name
        for entry in store.root.iterdir()
        if entry.is_dir() and (not is_reserved_name(entry.name) or (entry / "camera.json").is_file())
    )


def _public(config: CameraConfig) -> dict[str, Any]:
    document = config.to_dict()
    document["source"] = redact(config.source)
    document.pop("schema_version")
    return document
