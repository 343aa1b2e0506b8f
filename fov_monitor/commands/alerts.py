"""``alerts``: list and show alerts, and the reviewers' steps (ack, resolve, dismiss, re-baseline)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from fov_monitor.alerts import (
    Alert,
    StateFilter,
    acknowledge,
    alert_deliveries,
    alert_events,
    approve_rebaseline,
    dismiss,
    list_alerts,
    load_alert,
    reject_rebaseline,
    resolve,
)
from fov_monitor.commands.common import EXIT_COMPLIANT, Context, add_json_option, print_json, print_table
from fov_monitor.commands.outbox import register_outbox
from fov_monitor.db.database import Database

SUMMARY_SHOWN = 70
"""Characters of an alert's summary in the list; ``show`` and ``--json`` have it whole."""


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add ``alerts`` and its actions to the ``fov-monitor`` parser."""
    alerts = commands.add_parser(
        "alerts",
        help="list, show and review alerts (ack, resolve, dismiss, re-baseline)",
        description="An alert is opened per camera and problem when a scan finds it (offline, "
        "unverifiable and error only after several scans in a row, see alerts.json), updated while the "
        "problem persists and closed when the camera is compliant again. Reviewers acknowledge, resolve "
        "or dismiss it; each step names its reviewer (--by, default --actor) and goes to the audit log.",
    )
    actions = alerts.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[parent], help="list alerts (default: the active ones)")
    listing.add_argument(
        "--state",
        type=StateFilter,
        choices=list(StateFilter),
        default=StateFilter.ACTIVE,
        help="open, acknowledged, dismissed, active (not closed; default), closed (closed or resolved), all",
    )
    listing.add_argument("--camera", metavar="ID", help="only this camera's alerts")
    listing.add_argument("--group", help="only alerts of cameras in this group")
    add_json_option(listing)
    listing.set_defaults(run=run_list)

    show = actions.add_parser("show", parents=[parent], help="an alert, its events and its deliveries")
    show.add_argument("alert_id", type=int, metavar="ID")
    add_json_option(show)
    show.set_defaults(run=run_show)

    _step(actions, parent, "ack", "take an open alert (acknowledged)", run_ack)
    _step(actions, parent, "resolve", "close an alert as fixed; announced on its channels", run_resolve)
    dismissing = _step(
        actions, parent, "dismiss", "a false alarm: the alert stays active but silent", run_dismiss
    )
    dismissing.add_argument(
        "--propose-rebaseline",
        action="store_true",
        help="also propose that the camera's current view become its reference (another person approves)",
    )
    _step(
        actions,
        parent,
        "approve-rebaseline",
        "approve a proposed re-baseline: grab the current view as the reference (the old one is kept)",
        run_approve,
        text="--reason",
    )
    _step(actions, parent, "reject-rebaseline", "refuse a proposed re-baseline", run_reject)
    register_outbox(actions, parent)


def _step(
    actions: argparse._SubParsersAction,
    parent: argparse.ArgumentParser,
    name: str,
    help_text: str,
    run: Callable[[argparse.Namespace], int],
    text: str = "--note",
) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, parents=[parent], help=help_text, description=help_text.capitalize())
    parser.add_argument("alert_id", type=int, metavar="ID")
    parser.add_argument(text, dest="text", required=True, help="why (goes to the alert and the audit log)")
    parser.add_argument("--by", metavar="NAME", help="the reviewer (default: --actor, $FOV_MONITOR_ACTOR)")
    add_json_option(parser)
    parser.set_defaults(run=run)
    return parser


def run_list(args: argparse.Namespace) -> int:
    with Context.from_args(args).database() as database:
        alerts = list_alerts(database, args.state, args.camera, args.group)
    if args.json:
        print_json([alert.to_dict() for alert in alerts])
        return EXIT_COMPLIANT
    rows = [
        (
            alert.alert_id,
            alert.camera_id,
            alert.camera_group,
            alert.problem,
            alert.state,
            alert.opened_at,
            alert.occurrences,
            alert.summary[:SUMMARY_SHOWN],
        )
        for alert in alerts
    ]
    print_table(["id", "camera", "group", "problem", "state", "opened", "scans", "summary"], rows)
    return EXIT_COMPLIANT


def run_show(args: argparse.Namespace) -> int:
    with Context.from_args(args).database() as database:
        alert = load_alert(database, args.alert_id)
        events = alert_events(database, alert.alert_id)
        deliveries = alert_deliveries(database, alert.alert_id)
    if args.json:
        print_json(
            alert.to_dict()
            | {
                "events": [event.to_dict() for event in events],
                "deliveries": [delivery.to_dict() for delivery in deliveries],
            }
        )
        return EXIT_COMPLIANT
    for name, value in alert.to_dict().items():
        print(f"{name + ':':17} {'-' if value is None else value}")
    print()
    print_table(
        ["event id", "at", "actor", "event", "note"],
        [(e.event_id, e.at, e.actor, e.event, e.note) for e in events],
    )
    if deliveries:
        print()
        print_table(
            ["event id", "channel", "state", "attempts", "sent", "last error"],
            [(d.event_id, d.channel, d.state, d.attempts, d.sent_at, d.last_error) for d in deliveries],
        )
    return EXIT_COMPLIANT


def run_ack(args: argparse.Namespace) -> int:
    return _review(args, lambda db, c, by: acknowledge(db, args.alert_id, actor=by, note=args.text))


def run_resolve(args: argparse.Namespace) -> int:
    def step(database: Database, context: Context, by: str) -> Alert:
        return resolve(
            database, context.store, context.settings.alerts, args.alert_id, actor=by, note=args.text
        )

    return _review(args, step)


def run_dismiss(args: argparse.Namespace) -> int:
    return _review(
        args,
        lambda db, c, by: dismiss(
            db, args.alert_id, actor=by, note=args.text, propose_rebaseline=args.propose_rebaseline
        ),
    )


def run_approve(args: argparse.Namespace) -> int:
    lines = ["re-baseline approved; the camera's previous reference is kept in its history"]

    def approve(database: Database, context: Context, by: str) -> Alert:
        alert = approve_rebaseline(
            database,
            context.store,
            args.alert_id,
            approver=by,
            reason=args.text,
            privacy=context.settings.privacy,
        )
        permit = alert_events(database, alert.alert_id)[-1].detail.get("permit")
        lines.extend([permit] if permit else [])
        return alert

    code = _review(args, approve)
    if not args.json:
        print("\n".join(lines))
    return code


def run_reject(args: argparse.Namespace) -> int:
    return _review(
        args,
        lambda db, c, by: reject_rebaseline(db, args.alert_id, actor=by, note=args.text),
        done="re-baseline rejected",
    )


def _review(args: argparse.Namespace, step: Callable[[Database, Context, str], Alert], done: str = "") -> int:
    context = Context.from_args(args)
    by = args.by or context.actor
    with context.database() as database:
        alert = step(database, context, by)
    if args.json:
        print_json(alert.to_dict())
    else:
        print(f"alert {alert.alert_id} ({alert.camera_id}, {alert.problem}) is {alert.state}, by {by}")
        if done:
            print(done)
    return EXIT_COMPLIANT
