"""The nightly pass: lock the store, run the scan, update the alerts, send what they put in the outbox.

One function, :func:`run_nightly_pass`, for every caller (``fov-monitor scan``, ``fov-monitor demo``):
it takes the store, an open database and the actor, tells what happens through a
:class:`NightlyListener` and returns a :class:`NightlySummary`. It prints nothing. The pass's own
deliveries are sent after the scan lock is released, within :data:`DELIVERY_BUDGET_S`: a silent
receiver delays neither the next scan nor this one's end for long, and the rest is the delivery
worker's (``fov-monitor alerts deliver --loop``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fov_monitor.alerts import AlertChanges, AlertSettings, runs_to_update, update_alerts
from fov_monitor.alerts.catch_up import announce_to_new_channels
from fov_monitor.alerts.decisions import announce_ending_decisions
from fov_monitor.alerts.outbox import DeliveryReport, deliver_due, newest_delivery_id
from fov_monitor.core.result import Outcome
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRun
from fov_monitor.errors import InvalidSettingsError, StoreError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.scan.lock import ScanLock
from fov_monitor.scan.outcome import EXIT_SCAN_FAILED, exit_code
from fov_monitor.scan.runner import ScanSettings, run_scan
from fov_monitor.scan.selection import Selection, select_cameras
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import Store, now_utc
from fov_monitor.workflows.privacy_audit import audit_face_blurring

RESUME_WITHIN = timedelta(hours=12)
"""An unfinished run older than this is closed, not resumed: last night's run is not tonight's."""
DELIVERY_BUDGET_S = 30.0
"""The longest a pass spends sending its own deliveries (an exchange in hand then has a few seconds
more to finish); what is left waits, due, for the delivery worker."""


class NightlyListener(Protocol):
    """What the nightly pass tells as it goes (the CLI prints it; the default tells nobody)."""

    def note(self, message: str) -> None:
        """A step of the pass: a run started or resumed, alerts caught up, deliveries sent."""

    def warning(self, message: str) -> None:
        """Something went wrong that the pass went on past."""

    def started(self, total: int, counts: Mapping[Outcome, int]) -> None:
        """The run checks ``total`` cameras; ``counts`` by outcome are those a resumed run had already."""

    def outcome(self, row: ScanOutcomeRow) -> None:
        """One camera's outcome was recorded."""

    def scanned(self, run: ScanRun, counts: Mapping[Outcome, int], elapsed_s: float) -> None:
        """Every selected camera has its outcome and the run is finished; the alerts come next."""


class SilentListener:
    """A :class:`NightlyListener` that tells nobody."""

    def note(self, message: str) -> None:
        """Tell nobody."""

    def warning(self, message: str) -> None:
        """Tell nobody."""

    def started(self, total: int, counts: Mapping[Outcome, int]) -> None:
        """Tell nobody."""

    def outcome(self, row: ScanOutcomeRow) -> None:
        """Tell nobody."""

    def scanned(self, run: ScanRun, counts: Mapping[Outcome, int], elapsed_s: float) -> None:
        """Tell nobody."""


@dataclass(frozen=True, slots=True)
class NightlySummary:
    """What one nightly pass did.

    Attributes
    ----------
    run : ScanRun
        The run (a new one, or the unfinished one it resumed).
    counts : dict of Outcome to int
        Cameras by outcome over the whole run.
    elapsed_s : float
        Seconds this pass spent scanning (a resumed run's earlier part not included).
    alerts : AlertChanges or None
        What the alert engine changed; None when it failed (``alerts_error`` says why; the next pass
        updates them first).
    alerts_error : str or None
        Why the alerts were not updated.
    deliveries : DeliveryReport or None
        What was sent; None when delivery was not asked for or the alerts failed.
    """

    run: ScanRun
    counts: dict[Outcome, int]
    elapsed_s: float
    alerts: AlertChanges | None
    alerts_error: str | None = None
    deliveries: DeliveryReport | None = None

    @property
    def exit_code(self) -> int:
        """The scan's exit code (see ``SCAN_EXIT_CODES_TEXT``): a pass whose alerts failed has failed."""
        return exit_code(self.counts) if self.alerts is not None else EXIT_SCAN_FAILED


def run_nightly_pass(
    store: Store,
    database: Database,
    selection: Selection,
    settings: ScanSettings,
    store_settings: StoreSettings,
    *,
    new: bool = False,
    deliver: bool = True,
    deliver_within_s: float = DELIVERY_BUDGET_S,
    listener: NightlyListener | None = None,
) -> NightlySummary:
    """Scan the selected cameras of ``store`` and bring the alerts up to date, as the nightly job does.

    Under the store's scan lock (and the database's, shared by every machine of a PostgreSQL
    install): the alerts an earlier pass could not update are updated first; an unfinished run of
    the same selection younger than :data:`RESUME_WITHIN` is resumed (an older one is closed);
    every camera not yet in the run is grabbed and judged; the run is finished; the alerts are
    updated. Then, the lock released, what this pass put in the outbox is sent when ``deliver``,
    for at most ``deliver_within_s``; what fails or is left, and every other delivery due, stays
    there for ``alerts deliver``.

    Parameters
    ----------
    store : Store
        The camera store.
    database : Database
        The store's results database, open.
    selection : Selection
        Which cameras (group, ids, due now).
    settings : ScanSettings
        Concurrency, worker processes or Dask cluster, and the actor for the audit log.
    store_settings : StoreSettings
        The store's settings, the caller's one reading of them: the privacy settings every check gets,
        and the alert settings (read them before the pass, so that a bad ``alerts.json`` fails first).
    new : bool
        Start a new run even if one is unfinished.
    deliver : bool
        Send the pass's alert messages now.
    deliver_within_s : float
        The time budget for sending them.
    listener : NightlyListener, optional
        Told of each step and each camera's outcome; nobody when omitted.

    Returns
    -------
    NightlySummary

    Raises
    ------
    ScanLockedError
        When another scan holds the store's (or the database's) lock.
    InvalidSettingsError
        When an unfinished run has other options and ``new`` is not given.
    ScanError, StoreError, OSError
        When the scan itself failed (database, worker processes): run it again to resume.
    """
    listener = listener or SilentListener()
    with ScanLock(store.root), database.scan_lock():
        before = newest_delivery_id(database)
        audit_face_blurring(store.root, database, settings.actor, store_settings.privacy)
        _catch_up_alerts(store, database, store_settings.alerts, settings.actor, listener)
        run = _open_run(database, selection, new, settings.actor, listener)
        summary = _scan(store, database, run, settings, store_settings, listener)
    if not deliver or summary.alerts is None:
        return summary
    report = _deliver(
        store,
        database,
        store_settings.alerts,
        store_settings.privacy,
        settings.actor,
        listener,
        before,
        deliver_within_s,
    )
    return dataclasses.replace(summary, deliveries=report)


def _scan(
    store: Store,
    database: Database,
    run: ScanRun,
    settings: ScanSettings,
    store_settings: StoreSettings,
    listener: NightlyListener,
) -> NightlySummary:
    started = datetime.fromisoformat(run.started_at)
    camera_ids = list(select_cameras(store, Selection.from_dict(run.selection), started))
    privacy = store_settings.privacy
    if settings.cluster is not None and (privacy.keep_unblurred or not privacy.blur_faces):
        listener.note(
            f"scan on the Dask cluster {settings.cluster}: its workers blur every face of the evidence they "
            "return and keep no unblurred copy, whatever privacy.blur_faces and privacy.keep_unblurred say "
            "(nothing unblurred travels over the network); 'fov-monitor check' keeps a copy here"
        )
    listener.started(len(camera_ids), database.scan_counts(run.run_id))
    began = time.monotonic()
    run_scan(store, database, run, camera_ids, settings, store_settings.privacy, listener.outcome)
    elapsed_s = time.monotonic() - began
    counts = database.scan_counts(run.run_id)
    database.finish_scan_run(run.run_id, now_utc(), settings.actor, counts)
    listener.scanned(run, counts, elapsed_s)
    alert_settings = store_settings.alerts
    try:
        alerts = update_alerts(database, store, run.run_id, alert_settings, actor=settings.actor)
        alerts += announce_ending_decisions(
            database, store, camera_ids, alert_settings, today=datetime.now().date(), actor=settings.actor
        )
    except StoreError as exc:
        # The outcomes are committed: only the alerts wait, for the next pass to bring them up to date.
        error = (
            f"scan run {run.run_id} is recorded but its alerts were not updated ({exc}); "
            "the next 'fov-monitor scan' updates them first"
        )
        return NightlySummary(run, counts, elapsed_s, None, alerts_error=error)
    listener.note(alerts_line(alerts))
    _announce_late(store, database, alert_settings, listener)
    return NightlySummary(run, counts, elapsed_s, alerts)


def alerts_line(changes: AlertChanges) -> str:
    """Return the one line that says what a pass of the alert engine changed."""
    return f"alerts: {changes.opened} opened, {changes.updated} updated, {changes.closed} closed"


def _announce_late(
    store: Store, database: Database, settings: AlertSettings, listener: NightlyListener
) -> None:
    """Tell a channel added since of the alerts open before it (once); a failure waits for the next pass."""
    try:
        announced = announce_to_new_channels(database, store, settings)
    except StoreError as exc:
        listener.warning(f"open alerts not announced to new channels yet ({exc}); the next pass does it")
        return
    if announced:
        listener.note(f"alerts: {announced} open before a channel was added announced to it")


def _catch_up_alerts(
    store: Store, database: Database, settings: AlertSettings, actor: str, listener: NightlyListener
) -> None:
    """Update the alerts of the latest finished run when its pass could not (the engine failed)."""
    for run_id in runs_to_update(database):
        changes = update_alerts(database, store, run_id, settings, actor=actor)
        listener.note(f"scan run {run_id}: {alerts_line(changes)} (left over from its scan)")


def _deliver(
    store: Store,
    database: Database,
    settings: AlertSettings,
    privacy: PrivacySettings,
    actor: str,
    listener: NightlyListener,
    after_id: int,
    within_s: float,
) -> DeliveryReport:
    """Send what this pass put in the outbox (ids above ``after_id``), for at most ``within_s``.

    What fails, or is not reached, stays there for 'alerts deliver'.
    """
    report = deliver_due(
        database,
        store.root,
        settings,
        actor=actor,
        within_s=within_s,
        newer_than=after_id,
        privacy=privacy,
    )
    if report.outcomes:
        left = f", {report.interrupted} left to the delivery worker" if report.interrupted else ""
        listener.note(
            f"deliveries: {report.sent} sent, {report.retrying} to retry, {report.failed} failed{left}"
        )
    return report


def _open_run(
    database: Database, selection: Selection, new: bool, actor: str, listener: NightlyListener
) -> ScanRun:
    unfinished = database.unfinished_scan_run()
    if unfinished is not None and not new:
        age = datetime.now(UTC) - datetime.fromisoformat(unfinished.started_at)
        if age > RESUME_WITHIN:
            listener.warning(
                f"scan run {unfinished.run_id} of {unfinished.started_at} was never finished; closed it"
            )
            database.finish_scan_run(
                unfinished.run_id, now_utc(), actor, database.scan_counts(unfinished.run_id)
            )
        elif Selection.from_dict(unfinished.selection) != selection:
            raise InvalidSettingsError(
                f"scan run {unfinished.run_id} (started {unfinished.started_at}) is unfinished with the "
                f"options {unfinished.selection}; run the same scan to finish it, or add --new"
            )
        else:
            listener.note(f"resuming scan run {unfinished.run_id} of {unfinished.started_at}")
            return unfinished
    elif unfinished is not None:
        database.finish_scan_run(unfinished.run_id, now_utc(), actor, database.scan_counts(unfinished.run_id))
    run = database.start_scan_run(actor, selection.to_dict(), now_utc())
    listener.note(f"scan run {run.run_id} started")
    return run
