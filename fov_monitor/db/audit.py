"""What the audit log says was done: one action per kind of line, spelt once for writers and readers.

Every line fov-monitor appends (:func:`fov_monitor.db.database.append_audit`) names one
:class:`AuditAction`, and every reader that looks for lines of an action (the yearly report's
re-baselines and removed cameras, the alert engine's last pass) asks for the same member. The values
are what existing databases hold in ``audit.action``: a value is never changed, only added.
"""

from __future__ import annotations

import enum


class AuditAction(enum.StrEnum):
    """The action of one audit line."""

    # Checks and scans.
    CHECK = "check"
    """A check's verdict was recorded (or a scan's outcome without one: offline, error)."""
    SCAN_STARTED = "scan started"
    SCAN_FINISHED = "scan finished"
    WATCH_STARTED = "watch started"
    """``fov-monitor check --watch`` began checking a camera again and again."""
    EVIDENCE_NOT_WRITTEN = "evidence not written"
    UNBLURRED_COPY_KEPT = "unblurred copy kept"
    UNBLURRED_COPIES_PURGED = "unblurred copies purged"
    EVIDENCE_PURGED = "evidence images purged"
    """``fov-monitor purge`` deleted evidence images past their retention (and files that were not
    fov-monitor's under ``_evidence/``); the detail lists them."""
    FACE_BLURRING_OFF = "face blurring turned off"
    """The first image written with face blurring switched off since it was on (its detail says what
    switched it off); written before that image."""
    FACE_BLURRING_ON = "face blurring turned on"
    """The first image written with face blurring on again."""

    # The store: cameras, references and permits.
    STORE_INITIALISED = "store initialised"
    CAMERA_ADDED = "camera added"
    CAMERA_EDITED = "camera edited"
    CAMERA_REMOVED = "camera removed"
    CAMERA_IMPORTED = "camera imported"
    """A row of ``fov-monitor camera import`` added or changed a camera (its settings and permit); written
    before the camera's files change."""
    CAMERA_IMPORT_FAILED = "camera import failed"
    """The files of a :attr:`CAMERA_IMPORTED` line could not be written: what was written is undone."""
    CAMERAS_EXPORTED = "cameras exported"
    """The inventory (sources, user names, where the passwords are kept) was exported."""
    REFERENCE_CAPTURED = "reference captured"
    REFERENCE_REBASELINE_STARTED = "reference rebaseline started"
    REFERENCE_REBASELINE_FAILED = "reference rebaseline failed"
    REFERENCE_REBASELINED = "reference rebaselined"
    """An approved re-baseline replaced a reference (the report lists them)."""
    REFERENCE_LEARNED = "reference learned"
    """The scan added a compliant frame in new conditions to the camera's reference bank (its detail
    names the frame and what it was verified against); written before the files."""
    REFERENCE_FORGOTTEN = "reference forgotten"
    """A learned reference was removed from the bank (by a technician, or retired by a re-baseline)."""
    PERMIT_CARRIED_OVER = "permit carried over"
    """A re-baseline of a moved view carried the permit's drawing with it; written just before its
    :attr:`REFERENCE_REBASELINED`."""
    PERMIT_SET = "permit set"
    STORE_CHANGE_FAILED = "store change failed"
    """A change of the store whose line was written first (camera added, edited or removed, permit set,
    reference captured) did not happen: its detail names that ``action`` and the ``error``, and what was
    written of it was undone."""
    STORE_REPAIRED = "store repaired"
    """``fov-monitor validate --repair`` wrote back what reading a camera had to make up for (a feature
    cache rebuilt, a reference image put back from ``history/``)."""

    # Alerts: the engine's pass over a run, each event of an alert, each delivery.
    ALERTS_UPDATED = "alerts updated"
    """The alert engine went through a scan run (its detail names the run)."""
    ALERT_OPENED = "alert opened"
    ALERT_UPDATED = "alert updated"
    ALERT_CLOSED = "alert closed"
    ALERT_ACKNOWLEDGED = "alert acknowledged"
    ALERT_RESOLVED = "alert resolved"
    ALERT_DISMISSED = "alert dismissed"
    ALERT_REBASELINE_PROPOSED = "alert rebaseline proposed"
    ALERT_REBASELINE_APPROVED = "alert rebaseline approved"
    ALERT_REBASELINE_REJECTED = "alert rebaseline rejected"
    ALERT_REBASELINE_APPLIED = "alert rebaseline applied"
    ALERT_REBASELINE_FAILED = "alert rebaseline failed"
    DELIVERY_SENT = "delivery sent"
    DELIVERY_FAILED = "delivery failed"
    DELIVERY_RETRIED = "delivery retried"

    # Reports.
    REPORT_WRITTEN = "report written"

    # The web app: who saw what, who signed in, who manages the users.
    IMAGE_VIEWED = "image viewed"
    SIGNED_IN = "signed in"
    SIGNED_OUT = "signed out"
    SIGN_IN_REFUSED = "sign-in refused"
    SIGN_IN_LOCKED = "sign-in locked"
    USER_ADDED = "user added"
    USER_DISABLED = "user disabled"
    PASSWORD_CHANGED = "password changed"
    PASSWORD_RESET = "password reset"
    LANGUAGE_CHOSEN = "language chosen"
    """A user chose the language of their pages (or left it to their browser: ``language`` null)."""
