"""Reasons in the database: a JSON array of strings per row, never text joined and split again.

A result's reasons (``results.reasons_json``) and a scan outcome's (``scan_outcomes.reasons_json``)
are stored as the list they are. Up to schema version 6 they were joined with ``"; "`` into one text
column (``results.summary``, ``scan_outcomes.reason``) and split back where they were read, which cut
fov-monitor's own messages that contain ``"; "`` ("camera 'x' has no reference yet; capture one with
...") in two. :func:`reasons_as_lists`, migration 7, converts those rows; it is the one place left that
splits such text (:func:`split_joined`), and only where nothing better is known.

Where one line is shown (the alert's summary, a table's "why" column), :func:`joined` makes it from the
list; it is never read back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence

from fov_monitor.db.connection import Transaction

log = logging.getLogger(__name__)

JOINER = "; "
"""What one line of reasons is joined with, for display only."""


def reasons_json(reasons: Iterable[str]) -> str:
    """Return the reasons as the JSON array a ``reasons_json`` column stores."""
    return json.dumps(list(reasons))


def read_reasons(text: str | None) -> tuple[str, ...]:
    """Return the reasons of a ``reasons_json`` column (none for NULL)."""
    if text is None:
        return ()
    return tuple(str(reason) for reason in json.loads(text))


def joined(reasons: Iterable[str]) -> str:
    """Return the reasons as one line to show (``"; "`` between them); never split it again."""
    return JOINER.join(reasons)


def split_joined(text: str) -> list[str]:
    """Split text that an older fov-monitor joined with ``"; "`` back into reasons, as best one can.

    Only :func:`reasons_as_lists` uses it, for a row whose reasons are known no better: a reason that
    itself contains ``"; "`` comes back in pieces, as it always did before the migration.
    """
    return [part for part in text.split(JOINER) if part]


def reasons_as_lists(transaction: Transaction) -> None:
    """Migration 7: store the reasons of ``results`` and ``scan_outcomes`` as JSON arrays.

    A result's reasons are taken from its stored document (``result_json``), which kept the list
    whole; its joined ``summary`` is split only when the document does not agree with it. A scan
    outcome without a result (offline, error) had one message, kept whole; one with a result had that
    result's reasons, and perhaps one more after them (a re-check that got no verdict), kept whole too.
    The old text columns are dropped.
    """
    for table in ("results", "scan_outcomes"):
        transaction.execute(f"ALTER TABLE {table} ADD COLUMN reasons_json TEXT NOT NULL DEFAULT '[]'")
    # The document is read only where the summary is ambiguous: it is the large column.
    rows = transaction.fetchall(
        "SELECT id, summary, CASE WHEN summary LIKE '%; %' THEN result_json END FROM results "
        "WHERE summary <> ''"
    )
    transaction.executemany(
        "UPDATE results SET reasons_json = ? WHERE id = ?",
        [
            (reasons_json(_result_reasons(summary, document)), result_id)
            for result_id, summary, document in rows
        ],
    )
    rows = transaction.fetchall(
        "SELECT o.run_id, o.camera_id, o.reason, r.reasons_json FROM scan_outcomes o "
        "LEFT JOIN results r ON r.id = o.result_id WHERE o.reason <> ''"
    )
    transaction.executemany(
        "UPDATE scan_outcomes SET reasons_json = ? WHERE run_id = ? AND camera_id = ?",
        [
            (reasons_json(_outcome_reasons(reason, read_reasons(result))), run_id, camera_id)
            for run_id, camera_id, reason, result in rows
        ],
    )
    transaction.execute("ALTER TABLE results DROP COLUMN summary")
    transaction.execute("ALTER TABLE scan_outcomes DROP COLUMN reason")


def _result_reasons(summary: str, document: str | None) -> Sequence[str]:
    if document is None:  # no "; " in the summary: one reason
        return [summary]
    try:
        stored = json.loads(document).get("reasons")
    except (ValueError, AttributeError):
        stored = None
    if isinstance(stored, list) and all(isinstance(r, str) for r in stored) and joined(stored) == summary:
        return stored
    log.info("a result's reasons are known only joined; split at '; ': %s", summary)
    return split_joined(summary)


def _outcome_reasons(reason: str, result: tuple[str, ...]) -> Sequence[str]:
    if not result:  # offline or error: one message, never joined
        return [reason]
    if reason == joined(result):
        return result
    if reason.startswith(joined(result) + JOINER):  # the re-check's note after the first frame's reasons
        return [*result, reason[len(joined(result) + JOINER) :]]
    log.info("a scan outcome's reasons are known only joined; split at '; ': %s", reason)
    return split_joined(reason)
