"""``alerts outbox`` (what waits, what went, what was given up), ``alerts deliver`` and ``alerts retry``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from fov_monitor.alerts.catch_up import announce_to_new_channels
from fov_monitor.alerts.delivery import Delivery, DeliveryState
from fov_monitor.alerts.outbox import (
    DeliveryReport,
    deliver_due,
    outbox_rows,
    retry_failed,
    seconds_until_due,
)
from fov_monitor.alerts.settings import ChannelSettings
from fov_monitor.commands.common import (
    EXIT_COMPLIANT,
    Context,
    add_json_option,
    print_json,
    print_table,
    warn,
)
from fov_monitor.errors import InvalidSettingsError, StoreError
from fov_monitor.settings import StoreSettings

STATES = ("pending", "sent", "failed", "all")

EXIT_DELIVERED = 0
EXIT_GIVEN_UP = 3
EXIT_TO_RETRY = 4
EXIT_OUTBOX_FAILED = 5

DELIVER_EXIT_CODES_TEXT = (
    "exit codes: 0 every delivery tried was sent (or none was due); 1 bad input (alerts.json); 3 some "
    "delivery was given up (see 'alerts outbox --state failed', then 'alerts retry ID'); 4 none given up, "
    "but some failed for a passing reason and wait for their next try; 5 the outbox itself could not be "
    "worked (its database), run it again. With --loop: 0 when stopped by SIGTERM or Ctrl-C."
)


def deliver_exit_code(report: DeliveryReport) -> int:
    """Return the exit code of one ``alerts deliver`` round (see :data:`DELIVER_EXIT_CODES_TEXT`)."""
    if report.failed:
        return EXIT_GIVEN_UP
    if report.retrying or report.interrupted:
        return EXIT_TO_RETRY
    return EXIT_DELIVERED


def register_outbox(alerts: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """Add ``outbox``, ``deliver`` and ``retry`` to the ``alerts`` command group."""
    outbox = alerts.add_parser(
        "outbox",
        parents=[parent],
        help="list the deliveries of alerts: pending, sent, failed",
        description="List the outbox, newest first: each alert event on its way to one channel, its "
        "tries, the last error and when it is tried next.",
    )
    outbox.add_argument("--state", choices=STATES, default="all", help="only deliveries in this state")
    outbox.add_argument("--limit", type=int, default=100, help="how many (default 100)")
    add_json_option(outbox)
    outbox.set_defaults(run=run_outbox)

    deliver = alerts.add_parser(
        "deliver",
        parents=[parent],
        help="send the alert deliveries that are due (--loop: keep running as the delivery worker)",
        description="Send every due delivery through its channel (<store>/alerts.json); one that fails "
        "for a passing reason is tried again later with a growing wait, and given up after the retry "
        "settings' max_attempts. With --loop it keeps running until SIGTERM or Ctrl-C, finishing the "
        "delivery in hand first (its exchange cut after a few seconds, and left due for the next "
        "sender). Delivery is at least once: a receiver drops repeats by the Idempotency-Key.",
        epilog=DELIVER_EXIT_CODES_TEXT,
    )
    deliver.add_argument("--loop", action="store_true", help="keep running as a worker")
    deliver.add_argument(
        "--interval", type=float, default=10.0, metavar="S", help="with --loop: longest wait between rounds"
    )
    add_json_option(deliver)
    deliver.set_defaults(run=run_deliver)

    retry = alerts.add_parser(
        "retry", parents=[parent], help="put a failed delivery back in the outbox, due at once"
    )
    retry.add_argument("delivery_id", type=int, metavar="ID", help="the delivery's id (alerts outbox)")
    add_json_option(retry)
    retry.set_defaults(run=run_retry)


def run_outbox(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    state = None if args.state == "all" else DeliveryState(args.state)
    with context.database() as database:
        rows = outbox_rows(database, state, args.limit)
    if args.json:
        print_json([row.to_dict() for row in rows])
        return EXIT_COMPLIANT
    print_table(
        ["id", "alert", "event", "channel", "state", "tries", "next try", "sent", "last error"],
        [_row(delivery) for delivery in rows],
    )
    return EXIT_COMPLIANT


def _row(delivery: Delivery) -> tuple[object, ...]:
    event = delivery.payload.get("event")
    next_try = delivery.next_attempt_at if delivery.state is DeliveryState.PENDING else None
    return (
        delivery.delivery_id,
        delivery.alert_id,
        event,
        delivery.channel,
        delivery.state,
        delivery.attempts,
        next_try,
        delivery.sent_at,
        delivery.last_error,
    )


def run_deliver(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    root = context.store.root
    settings = context.settings.alerts
    with context.database() as database:
        if not args.loop:
            try:
                announce_to_new_channels(database, context.store, settings)
                report = deliver_due(
                    database, root, settings, actor=context.actor, privacy=context.settings.privacy
                )
            except StoreError as exc:
                print(
                    f"error: {exc}; what was sent is marked, the rest waits for the next run", file=sys.stderr
                )
                return EXIT_OUTBOX_FAILED
            _print_report(report, args.json)
            return deliver_exit_code(report)
        announced_to: tuple[ChannelSettings, ...] | None = None
        with _stopped_by_signals() as stop:
            while not stop.is_set():
                try:
                    settings = StoreSettings(root).alerts  # read again each round: no restart needed
                except InvalidSettingsError as exc:
                    warn(f"{exc}; keeping the settings read before")
                if settings.channels != announced_to:  # a channel added: tell it what is open
                    announce_to_new_channels(database, context.store, settings)
                    announced_to = settings.channels
                report = deliver_due(
                    database, root, settings, actor=context.actor, stop=stop, privacy=context.settings.privacy
                )
                if report.outcomes:
                    _print_report(report, args.json)
                    sys.stdout.flush()
                due_in = seconds_until_due(database)
                stop.wait(args.interval if due_in is None else min(args.interval, max(due_in, 0.05)))
    return EXIT_COMPLIANT


@contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
    """Yield an event set by SIGTERM or SIGINT (the worker finishes the delivery in hand, then stops)."""
    stop = threading.Event()

    def handle(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, handle) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _print_report(report: DeliveryReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    interrupted = f", {report.interrupted} interrupted" if report.interrupted else ""
    print(f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed{interrupted}")
    for outcome in report.outcomes:
        if outcome.outcome != "sent":
            when = f" (next try {outcome.next_attempt_at})" if outcome.next_attempt_at else ""
            print(f"  {outcome.delivery_id} {outcome.channel}: {outcome.outcome}{when}: {outcome.error}")


def run_retry(args: argparse.Namespace) -> int:
    context = Context.from_args(args)
    with context.database() as database:
        delivery = retry_failed(database, args.delivery_id, context.actor)
    if args.json:
        print_json(delivery.to_dict())
    else:
        print(f"delivery {delivery.delivery_id} ({delivery.channel}) is pending again, due now")
    return EXIT_COMPLIANT
