"""Whether a camera may film at a moment: its decision's days of validity and permitted hours.

Filming outside the decision is non-compliance whatever the view shows: the scan records it as the
outcome ``outside_decision`` (:class:`~fov_monitor.core.result.Outcome`), the alerts announce a
decision that ends soon, and the reports count and say it. The moment is read on a local wall
clock: the scan's machine's (as ``--due`` reads it), or the organisation's time zone in a report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from fov_monitor.core.permit import Decision

NOTICE_DAYS = 60
"""A decision that ends within this many days is announced to the reviewers (an alert)."""


@dataclass(frozen=True, slots=True)
class Breach:
    """Filming that a decision does not allow: when, and why not (the decision and what it allows).

    ``text`` reads ``"filmed on 2026-07-01, after decision KS-1 ended on 2026-06-30"``; ``why`` alone is
    the same for every day of a stretch, so that a report can group the days.
    """

    when: str
    why: str

    @property
    def text(self) -> str:
        """The one line a scan outcome and an alert give."""
        return f"filmed {self.when}, {self.why}"


def breach_of(decision: Decision | None, at: datetime, zone: tzinfo | None = None) -> Breach | None:
    """Return how filming at ``at`` breaks ``decision``; None when the decision allows it.

    Parameters
    ----------
    decision : Decision or None
        The camera's decision; None (none recorded) allows everything: there is nothing to break.
    at : datetime
        The moment (aware; a naive one is taken as the machine's local time).
    zone : tzinfo, optional
        The wall clock the decision's days and hours are read on; the machine's local time if None.
    """
    if decision is None:
        return None
    local = at.astimezone(zone)
    day, number = local.date(), decision.reference_number
    if decision.valid_from is not None and day < decision.valid_from:
        return Breach(f"on {day}", f"before decision {number} is in force (from {decision.valid_from})")
    if decision.valid_to is not None and day > decision.valid_to:
        return Breach(f"on {day}", f"after decision {number} ended on {decision.valid_to}")
    if not decision.permits_filming_at(local.hour * 60 + local.minute):
        windows = ", ".join(decision.permitted_hours)
        return Breach(f"at {local:%H:%M}", f"outside the hours decision {number} permits ({windows})")
    return None


def filming_breach(decision: Decision | None, at: datetime, zone: tzinfo | None = None) -> str | None:
    """Return why filming at ``at`` breaks ``decision`` in one line (:meth:`Breach.text`); None if allowed."""
    breach = breach_of(decision, at, zone)
    return breach.text if breach is not None else None


def in_force_on(decisions: Sequence[Decision], day: date) -> Decision | None:
    """Return the first of ``decisions`` in force on ``day``, None when none is."""
    return next((decision for decision in decisions if decision.is_valid_on(day)), None)


def days_left(decision: Decision | None, today: date) -> int | None:
    """Return the days from ``today`` to the decision's last day (0 on it); None when open-ended."""
    if decision is None or decision.valid_to is None:
        return None
    return (decision.valid_to - today).days
