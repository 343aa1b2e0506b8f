"""The decisions a camera has had, and the checks of a year made when none of them allowed filming.

A camera's decisions are its permit's and those of the permits it had before, kept in its
``history/`` folder: a decision renewed in July (a new permit with a new decision) leaves the first
half of the year covered by the old one. A check on a real frame (any verdict: the camera delivered
a picture, so it filmed) counts as ``outside_decision`` when, on the organisation's clock, no
decision was in force that day or the one in force does not permit filming at that time, as the
nightly scan records it (:mod:`fov_monitor.workflows.decision`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from fov_monitor.core.permit import Decision
from fov_monitor.errors import FovMonitorError
from fov_monitor.report.clock import Period
from fov_monitor.store.records import read_stored_permit
from fov_monitor.store.store import Store
from fov_monitor.workflows.decision import Breach, breach_of, in_force_on

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DecisionHistory:
    """The decisions of one camera, its permit's first, then those of earlier permits, newest first."""

    decisions: tuple[Decision, ...] = ()

    def breach(self, at: datetime, zone: tzinfo) -> Breach | None:
        """Return how filming at ``at`` breaks the decisions; None when one allows it (or none is recorded).

        On a day no decision is in force, the breach names the next decision to start, else the last
        to end.
        """
        if not self.decisions:
            return None
        day = at.astimezone(zone).date()
        in_force = in_force_on(self.decisions, day)
        if in_force is not None:
            return breach_of(in_force, at, zone)
        later = [d for d in self.decisions if d.valid_from is not None and d.valid_from > day]
        if later:
            return breach_of(min(later, key=lambda d: d.valid_from or day), at, zone)
        ended = [d for d in self.decisions if d.valid_to is not None and d.valid_to < day]
        return breach_of(max(ended, key=lambda d: d.valid_to or day), at, zone)

    def days_in_force(self, period: Period) -> int | None:
        """Return the days of ``period`` on which a decision was in force; None when none is recorded."""
        if not self.decisions:
            return None
        days = (period.first + timedelta(days=offset) for offset in range(period.days))
        return sum(1 for day in days if in_force_on(self.decisions, day) is not None)

    def first_day(self) -> date | None:
        """Return the earliest first day of the decisions (None if one is open at its start, or none)."""
        starts = [decision.valid_from for decision in self.decisions]
        if not starts or any(start is None for start in starts):
            return None
        return min(start for start in starts if start is not None)


def decision_history(
    store: Store, camera_id: str, current: Decision | None, tolerance: float
) -> DecisionHistory:
    """Return the camera's decisions: ``current`` (its permit's) and those of ``history/permit-*.json``.

    A kept permit that cannot be read is left out (logged): the history is evidence for the camera,
    never a reason to fail its report.
    """
    found: list[Decision] = [current] if current is not None else []
    for path in sorted((store.folder(camera_id) / "history").glob("permit-*.json"), reverse=True):
        try:
            decision = read_stored_permit(path, tolerance).permit.decision
        except FovMonitorError as exc:
            log.warning(
                "camera %s: a kept permit cannot be read, its decision is left out: %s", camera_id, exc
            )
            continue
        if decision is not None and decision not in found:
            found.append(decision)
    return DecisionHistory(tuple(found))


@dataclass(frozen=True, slots=True)
class OutsideDecision:
    """A stretch of days on which the camera filmed though no decision allowed it, and why not.

    ``first_day`` and ``last_day`` are local ISO days; ``days`` the days of the stretch with such a
    check, ``checks`` those checks; ``why`` names the decision and what it allows.
    """

    first_day: str
    last_day: str
    days: int
    checks: int
    why: str


def stretches(breaches: Sequence[tuple[int, str]], first: date) -> list[OutsideDecision]:
    """Group ``(day index, why)`` of checks outside the decision into stretches of days with the same why.

    Days of the stretch are consecutive days that had such a check; a day in between without one
    (not monitored, or allowed) ends the stretch.
    """
    found: list[OutsideDecision] = []
    open_: list[int] = []  # first day, last day, days, checks of the stretch being grown
    why_open = ""
    for day, why in sorted(breaches):
        if open_ and why == why_open and day - open_[1] <= 1:
            open_[2] += day != open_[1]
            open_[1] = day
            open_[3] += 1
            continue
        if open_:
            found.append(_stretch(open_, why_open, first))
        open_, why_open = [day, day, 1, 1], why
    if open_:
        found.append(_stretch(open_, why_open, first))
    return found


def _stretch(values: list[int], why: str, first: date) -> OutsideDecision:
    start, end, days, checks = values
    return OutsideDecision(
        (first + timedelta(days=start)).isoformat(),
        (first + timedelta(days=end)).isoformat(),
        days,
        checks,
        why,
    )
