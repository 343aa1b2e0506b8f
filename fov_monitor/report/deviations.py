"""The deviations of a report's period: the alerts open at some time in it, with how each ended.

A deviation is an alert of any problem but ``decision_ending`` (an announcement, not a deviation)
open at some time in the period: opened in it, or opened before and not closed when it began
(carried over). **Time to fix** runs from opening to closing and is counted in the period the
alert closed, so that each alert's time to fix is in one year's figures only. **How it ended** is
read from the alert's closing event: closed by a scan run (the camera compliant again, or its
problem superseded by another), closed when the camera was removed, or resolved by a reviewer,
with who and the note written.
"""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from fov_monitor.alerts.model import Event, Problem, State
from fov_monitor.db.database import Database
from fov_monitor.i18n import Language, translations
from fov_monitor.report.clock import OPEN_IN_PERIOD, LocalTime, parse_stored


@dataclass(frozen=True, slots=True)
class ReviewNote:
    """One reviewer's step on an alert: who, when, what, and the note written."""

    at: str
    actor: str
    event: str
    note: str


class EndedBy(enum.StrEnum):
    """How an alert ended."""

    SCAN = "scan"
    """Closed by a scan run: the camera was compliant again, or another problem superseded it."""
    REVIEWER = "reviewer"
    """Resolved by a reviewer, who wrote a note."""
    REMOVAL = "removal"
    """Closed when the camera was removed from the store."""
    OTHER = "other"
    """Closed otherwise (a decision renewed, an older version's closing without its event)."""


@dataclass(frozen=True, slots=True)
class Ending:
    """How an alert ended: by what, by whom, the note or reason, and the scan run that closed it.

    Attributes
    ----------
    by : EndedBy
    actor : str
        Who closed it (the scan's actor, the reviewer).
    note : str
        The reviewer's note, or the reason the closing gives ("the camera is compliant again").
    run_id : int or None
        The scan run that closed it, when a scan did.
    """

    by: EndedBy
    actor: str
    note: str
    run_id: int | None = None

    @property
    def text(self) -> str:
        """The ending in English: ``"closed by scan run 12 (night-scan): the camera is compliant again"``."""
        how = self.how(Language.EN)
        return f"{how}: {self.note}" if self.note else how

    def how(self, language: Language) -> str:
        """How and by whom it ended, without the note: ``"closed by scan run 12 (night-scan)"``.

        The note is apart: a reviewer's is in their own words, a scan's in fov-monitor's English.
        """
        _ = translations(language).gettext
        if self.by is EndedBy.REVIEWER:
            return _("resolved by %(actor)s") % {"actor": self.actor}
        if self.by is EndedBy.SCAN:
            if self.run_id is None:
                return _("closed by a scan (%(actor)s)") % {"actor": self.actor}
            return _("closed by scan run %(run)s (%(actor)s)") % {"run": self.run_id, "actor": self.actor}
        return _("closed by %(actor)s") % {"actor": self.actor}


@dataclass(frozen=True, slots=True)
class Deviation:
    """One alert open in the period: its problem, start, end, time to fix (hours) and how it ended.

    ``time_to_fix_h`` is None unless the alert closed in the period (its time to fix is counted
    there); ``carried_over_from`` is the year it was opened in when that is before the report's year;
    ``ending`` is None while the alert is open (or when it closed after the period).
    """

    alert_id: int
    problem: Problem
    state: State
    start: str
    end: str | None
    time_to_fix_h: float | None
    summary: str
    notes: tuple[ReviewNote, ...]
    carried_over_from: int | None = None
    ending: Ending | None = None


def read_deviations(
    database: Database, bounds: tuple[str, str], wanted: set[str], clock: LocalTime
) -> dict[str, list[Deviation]]:
    """Return the deviations of the ``wanted`` cameras in the period ``bounds`` (stored UTC texts)."""
    start, end = bounds
    notes: dict[int, list[ReviewNote]] = defaultdict(list)
    endings: dict[int, Ending] = {}
    for alert_id, at, actor, event, note, detail_json in database.read(
        "SELECT alert_id, at, actor, event, note, detail_json FROM alert_events "
        f"WHERE alert_id IN (SELECT id FROM alerts WHERE {OPEN_IN_PERIOD}) "
        "AND (note <> '' OR event IN (?, ?)) ORDER BY id",
        (end, start, str(Event.CLOSED), str(Event.RESOLVED)),
    ):
        if note and event != Event.CLOSED:
            notes[int(alert_id)].append(ReviewNote(clock.text(at), actor, event, note))
        if event in (Event.CLOSED, Event.RESOLVED) and at < end:
            endings[int(alert_id)] = _ending(Event(event), actor, note, detail_json)
    found: dict[str, list[Deviation]] = defaultdict(list)
    for alert_id, camera_id, problem, state, opened_at, closed_at, summary in database.read(
        "SELECT id, camera_id, problem, state, opened_at, closed_at, summary FROM alerts "
        f"WHERE {OPEN_IN_PERIOD} AND problem <> ? ORDER BY opened_at, id",
        (end, start, str(Problem.DECISION_ENDING)),
    ):
        if camera_id not in wanted:
            continue
        closed_in_period = closed_at is not None and closed_at < end
        found[camera_id].append(
            Deviation(
                int(alert_id),
                Problem(problem),
                State(state),
                clock.text(opened_at),
                clock.text(closed_at) if closed_at is not None else None,
                _time_to_fix_h(opened_at, closed_at, end),
                summary,
                tuple(notes[int(alert_id)]),
                int(clock.text(opened_at)[:4]) if opened_at < start else None,
                _closed_ending(endings.get(int(alert_id))) if closed_in_period else None,
            )
        )
    return found


def _ending(event: Event, actor: str, note: str, detail_json: str) -> Ending:
    detail = _json_object(detail_json)
    if event is Event.RESOLVED:
        return Ending(EndedBy.REVIEWER, actor, note)
    why = str(detail.get("why") or note or "")
    run_id = detail.get("run_id")
    if isinstance(run_id, int) and not isinstance(run_id, bool):
        return Ending(EndedBy.SCAN, actor, why, run_id)
    if why == "the camera was removed":
        return Ending(EndedBy.REMOVAL, actor, why)
    return Ending(EndedBy.OTHER, actor, why)


def _closed_ending(ending: Ending | None) -> Ending:
    """An alert closed without a closing event says so rather than nothing."""
    return ending or Ending(EndedBy.OTHER, "unknown", "no closing event is recorded")


def _time_to_fix_h(opened_at: str, closed_at: str | None, end: str) -> float | None:
    """Return the hours from opening to closing if the alert closed before ``end``, else None.

    An alert still open at the period's end has its time to fix counted in the year it closes.
    """
    if closed_at is None or not closed_at < end:
        return None
    return (parse_stored(closed_at) - parse_stored(opened_at)).total_seconds() / 3600.0


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}
