"""``audit`` (read the audit log) and ``purge`` (delete unblurred copies past their retention)."""

from __future__ import annotations

import argparse

from fov_monitor.commands.common import EXIT_COMPLIANT, Context, add_json_option, print_json, print_table
from fov_monitor.db.audit import AuditAction
from fov_monitor.faces.privacy import due_unblurred, purge_unblurred


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add the commands of this module to the ``fov-monitor`` parser."""
    audit = commands.add_parser(
        "audit", parents=[parent], help="read the audit log (who did what, when), newest first"
    )
    audit.add_argument("--camera", dest="camera_id", metavar="CAMERA", help="only this camera")
    audit.add_argument("--limit", type=int, default=50, help="how many lines (default 50)")
    add_json_option(audit)
    audit.set_defaults(run=run_audit)

    purge = commands.add_parser(
        "purge",
        parents=[parent],
        help="delete unblurred copies past their retention period (run it daily)",
        description="Delete the unblurred copies kept under <store>/_unblurred/ that are older than the "
        "store's privacy.unblurred_retention_days; each deletion goes to the audit log.",
    )
    purge.add_argument("--dry-run", action="store_true", help="list what is due without deleting")
    add_json_option(purge)
    purge.set_defaults(run=run_purge)


def run_audit(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    with context.database() as database:
        entries = database.audit_entries(args.camera_id, args.limit)
    if args.json:
        print_json([entry.to_dict() for entry in entries])
        return EXIT_COMPLIANT
    rows = [(e.at, e.actor, e.action, e.camera_id, _short(e.detail)) for e in entries]
    print_table(["at", "actor", "action", "camera", "detail"], rows)
    return EXIT_COMPLIANT


def run_purge(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    context.store.require()
    settings = context.settings.privacy
    if args.dry_run:
        due = due_unblurred(context.store.root, settings.unblurred_retention_days)
    else:
        due = purge_unblurred(context.store.root, settings.unblurred_retention_days)
        if due:
            context.audit(AuditAction.UNBLURRED_COPIES_PURGED, None, paths=[str(path) for path in due])
    if args.json:
        print_json({"deleted" if not args.dry_run else "due": [str(path) for path in due]})
    else:
        verb = "due for deletion" if args.dry_run else "deleted"
        print(f"{len(due)} unblurred cop{'y' if len(due) == 1 else 'ies'} {verb}")
        for path in due:
            print(f"  {path}")
    return EXIT_COMPLIANT


def _short(detail: object, width: int = 80) -> str:
    text = str(detail)
    return text if len(text) <= width else text[: width - 3] + "..."
