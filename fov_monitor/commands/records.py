"""``audit`` (read the audit log) and ``purge`` (delete unblurred copies and evidence past retention)."""

from __future__ import annotations

import argparse

from fov_monitor.commands.common import EXIT_COMPLIANT, Context, add_json_option, print_json, print_table
from fov_monitor.workflows.retention import Kind, purge


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
        help="delete unblurred copies and evidence images past their retention (run it daily)",
        description="Delete, naming each: under <store>/_unblurred/ the copies older than the store's "
        "privacy.unblurred_retention_days and every file that is not such a copy; under <store>/_evidence/ "
        "the evidence images older than privacy.evidence_retention_days (90 days by default; an open "
        "alert's evidence is kept) and every file that is not one. Each deletion goes to the audit log.",
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
    with context.database() as database:
        due = purge(context.store.root, settings, database, context.actor, dry_run=args.dry_run)
    if args.json:
        print_json({"deleted" if not args.dry_run else "due": [item.to_dict() for item in due]})
        return EXIT_COMPLIANT
    verb = "due for deletion" if args.dry_run else "deleted"
    for kind, plural in ((Kind.UNBLURRED, "unblurred copies"), (Kind.EVIDENCE, "evidence images")):
        items = [item for item in due if item.kind is kind]
        print(f"{len(items)} {kind if len(items) == 1 else plural} {verb}")
        for item in items:
            print(f"  {item.path}  ({item.why})")
    return EXIT_COMPLIANT


def _short(detail: object, width: int = 80) -> str:
    text = str(detail)
    return text if len(text) <= width else text[: width - 3] + "..."
