"""A year of one fleet in figures: what the nightly scans found, the alerts, the re-baselines.

Everything here is read from the results database (``scan_outcomes``, ``results``, ``alerts``,
``alert_events``, ``audit``) and the store (camera settings, permit, reference records) and
returned as plain dataclasses; nothing is drawn or written. Days, months and the year are the
organisation's local ones (:class:`~fov_monitor.report.clock.LocalTime`): a year runs from 1 January
00:00 local time to the next, and every time shown is the stored UTC time converted to local ISO
text with its offset. The report of the current year covers its days to date
(:class:`~fov_monitor.report.clock.Period`): no day after the one it is made on.

Definitions, as the report states them:

* **checks**: the camera's scan outcomes in the period (every nightly answer, offline and error too).
* **outside decision**: a check on a real frame (any verdict) made when none of the camera's
  decisions allowed filming (:mod:`fov_monitor.report.decisions`), or recorded so by the scan; it
  counts as ``outside_decision`` whatever the view showed, and its day as not compliant.
* **share compliant**: compliant outcomes over outcomes with a verdict on a real frame (compliant,
  redirected, zone exposed, tampered, unverifiable, outside decision); offline and error are
  uptime, not compliance.
* **not monitored**: a day of the period without any check.
* **monitored time**: each outcome stands for the time until the camera's next outcome, at most one
  and a half times the camera's usual interval (the median gap; the last one for a median gap, at
  most until the period's end): a longer gap is not monitored. **Uptime** is one minus the time of
  ``offline`` outcomes over the monitored time.
* **deviations**: :mod:`fov_monitor.report.deviations`.
* **cameras**: those asked for; a camera removed from the store is reported from the database, its
  settings read from its kept folder when there is one (:mod:`fov_monitor.report.removed`).
"""

from __future__ import annotations

import enum
import functools
import json
import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import box

from fov_monitor.core.permit import Decision
from fov_monitor.core.result import Outcome
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.db.reasons import read_reasons
from fov_monitor.errors import FovMonitorError
from fov_monitor.report.clock import LocalTime, Period, index_of, parse_stored
from fov_monitor.report.decisions import DecisionHistory, OutsideDecision, decision_history, stretches
from fov_monitor.report.deviations import Deviation, read_deviations
from fov_monitor.report.removed import KeptFolders, Removal, RemovedCamera
from fov_monitor.report.selection import UnreadableCamera
from fov_monitor.store.store import Store

log = logging.getLogger(__name__)


class DayStatus(enum.IntEnum):
    """A day's worst scan outcome, for the timeline; higher is worse.

    The members but ``NOT_MONITORED`` (a day without a check) are the
    :class:`~fov_monitor.core.result.Outcome` of the same name, ranked.
    """

    NOT_MONITORED = 0
    COMPLIANT = 1
    UNVERIFIABLE = 2
    OFFLINE = 3
    ERROR = 4
    REDIRECTED = 5
    ZONE_EXPOSED = 6
    TAMPERED = 7
    OUTSIDE_DECISION = 8

    @classmethod
    def of(cls, outcome: Outcome) -> DayStatus:
        """Return the rank of a scan outcome."""
        return cls[outcome.name]


OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
"""The outcomes in the order of the monthly counts' columns."""
VERDICTS = frozenset(outcome for outcome in Outcome if outcome.status is not None)
"""The outcomes of a verdict on a real frame (not offline, not error, not outside decision)."""
JUDGED = VERDICTS | {Outcome.OUTSIDE_DECISION}
"""The outcomes of a real frame, whatever the decision allowed: the share compliant's base."""
NOT_COMPLIANT_DAYS = frozenset(DayStatus.of(outcome) for outcome in Outcome if outcome.non_compliant)
"""The day statuses of a day not compliant."""
GAP_FACTOR = 1.5
"""An outcome stands for the time until the next at most this many times the camera's median interval."""
_COLUMN = {outcome: index for index, outcome in enumerate(OUTCOMES)}


@dataclass(frozen=True, slots=True)
class Rebaseline:
    """One replaced reference: when, by whom, approved by whom, why, and how far the view had moved.

    ``view_moved`` is the move (share of the frame width and height) the permit's drawing was carried
    over by, None when the view had not moved (the drawing stayed).
    """

    at: str
    actor: str
    approved_by: str
    reason: str
    label: str
    view_moved: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class ZoneExposure:
    """A day on which a scan found a privacy zone in view."""

    day: str
    checks: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PermitFacts:
    """What the permit decides, as the report shows it."""

    decision_reference: str | None
    purpose: str
    valid_from: str | None
    valid_to: str | None
    permitted_hours: tuple[str, ...]
    hours_per_day: float
    zone_names: tuple[str, ...]
    zone_share: float
    """Share of the reference image covered by privacy zones (0..1)."""
    reference_size_wh: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class CertifiedMove:
    """The smallest move the enrolment self-test found in every direction, on the first reference."""

    label: str
    shift_fraction: float | None
    pan_deg: float | None
    tilt_deg: float | None


@dataclass(slots=True)
class CameraFigures:
    """One camera's year in figures.

    ``day_status`` is a ``(days,)`` uint8 array of :class:`DayStatus` codes, one per day of the
    period (the year, or its days to date); ``day_outside`` a ``(days,)`` float64 array of the
    day's largest share of the view outside the permit (NaN where no verdict measured it);
    ``monthly_counts`` a ``(12, len(OUTCOMES))`` int64 array of its outcomes per local month. A
    removed camera whose settings are no longer kept has an empty name, place and group (none known)
    and no tolerance.
    """

    camera_id: str
    name: str
    place: str
    group: str
    tolerance: float | None
    permit: PermitFacts | None
    certified_move: CertifiedMove | None
    checks: int
    status_counts: dict[Outcome, int]
    share_compliant: float | None
    days_checked: int
    days_non_compliant: int
    zone_exposures: list[ZoneExposure]
    offline_hours: float
    monitored_hours: float
    uptime: float | None
    deviations: list[Deviation]
    rebaselines: list[Rebaseline]
    day_status: NDArray[np.uint8]
    day_outside: NDArray[np.float64]
    monthly_counts: NDArray[np.int64]
    problems: list[str] = field(default_factory=list)
    """What could not be read for this camera (a damaged permit file), shown in the report."""
    removal: Removal | None = None
    """How the camera left the store, None while it is in it."""
    outside_decision: list[OutsideDecision] = field(default_factory=list)
    """The stretches of days on which it filmed when no decision allowed it, and why not."""
    decision_days: int | None = None
    """Days of the period on which one of its decisions was in force; None when none is recorded."""
    first_decision_day: str | None = None
    """The first day of its earliest decision (ISO), None when open or none is recorded."""

    @property
    def days_not_monitored(self) -> int:
        """Days of the period without any check."""
        return len(self.day_status) - self.days_checked

    @property
    def outside_decision_days(self) -> int:
        """Days on which it filmed when no decision allowed it."""
        return sum(stretch.days for stretch in self.outside_decision)

    @property
    def zone_exposure_days(self) -> int:
        """Days with a privacy zone in view."""
        return len(self.zone_exposures)

    @property
    def non_compliance_deviations(self) -> int:
        """Alerts for a view that was wrong (redirected, zone exposed, tampered)."""
        return sum(1 for deviation in self.deviations if deviation.problem.seen)

    @property
    def carried_over_deviations(self) -> int:
        """Alerts opened before the year and still open when it began."""
        return sum(1 for deviation in self.deviations if deviation.carried_over_from is not None)

    @property
    def settings_kept(self) -> bool:
        """False for a removed camera whose settings (and so its permit) are no longer kept."""
        return self.removal is None or self.removal.settings_kept

    @property
    def max_outside(self) -> float | None:
        """The year's largest share of the view outside the permit."""
        finite = self.day_outside[np.isfinite(self.day_outside)]
        return float(finite.max()) if finite.size else None


@dataclass(frozen=True, slots=True)
class FleetTotals:
    """The organisation's figures over the cameras of the report."""

    cameras: int
    checks: int
    share_compliant: float | None
    deviations: int
    non_compliance_deviations: int
    carried_over_deviations: int
    open_at_year_end: int
    median_time_to_fix_h: float | None
    rebaselines: int
    zone_exposure_days: int
    offline_hours: float
    mean_uptime: float | None
    cameras_without_permit: int
    removed_cameras: int
    days_not_monitored: int
    outside_decision_days: int


@dataclass(slots=True)
class FleetFigures:
    """The year of every camera in the report, and the totals.

    ``monthly_counts`` is a ``(12, len(OUTCOMES))`` int64 array: outcomes per local month, columns in
    the order of :data:`OUTCOMES`. ``not_reported`` are the cameras of the report's selection whose
    store files could not be read: they are named, not counted.
    """

    year: int
    group: str | None
    cameras: list[CameraFigures]
    totals: FleetTotals
    monthly_counts: NDArray[np.int64]
    timezone: str = "UTC"
    not_reported: list[UnreadableCamera] = field(default_factory=list)
    period: Period | None = None
    """The days covered; None reads as the whole year."""

    @property
    def covered(self) -> Period:
        """The days covered: the period, or the whole year."""
        return self.period or Period(self.year, date(self.year, 12, 31))


def days_in_year(year: int) -> int:
    """Return 365 or 366."""
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def yearly_figures(
    database: Database,
    store: Store,
    year: int,
    camera_ids: Sequence[str],
    group: str | None = None,
    *,
    clock: LocalTime | None = None,
    not_reported: Sequence[UnreadableCamera] = (),
    removed: Sequence[RemovedCamera] = (),
    period: Period | None = None,
) -> FleetFigures:
    """Read the year of ``camera_ids`` into figures.

    Parameters
    ----------
    database, store : Database, Store
        Where the results and the cameras are.
    year : int
        The calendar year, in the organisation's time zone.
    camera_ids : sequence of str
        The cameras of the report, in the order the report lists them.
    group : str, optional
        The group they were selected by, named in the report.
    clock : LocalTime, optional
        The organisation's time zone (default: UTC).
    not_reported : sequence of UnreadableCamera
        The cameras of the selection that could not be read, carried into the figures to be named.
    removed : sequence of RemovedCamera
        The cameras of ``camera_ids`` that are no longer in the store
        (:func:`fov_monitor.report.removed.removed_cameras`): read from their kept folders, marked.
    period : Period, optional
        The days covered; by default the year as seen today on ``clock``: whole, or to date.
    """
    clock = clock or LocalTime()
    period = period or Period.of(year, clock.today())
    gone = {camera.camera_id: camera for camera in removed}
    store = KeptFolders(store, removed)
    start, end = clock.period_bounds(period)
    calendar = _Calendar(period, clock.day_starts_s(period), clock.month_starts_s(year), clock)
    wanted = set(camera_ids)
    rows_by_camera: dict[str, list[_Checked]] = defaultdict(list)
    rows = database.read(
        "SELECT o.camera_id, o.at, o.outcome, r.outside_fraction, r.reasons_json, o.reasons_json "
        "FROM scan_outcomes o LEFT JOIN results r ON r.id = o.result_id WHERE o.at >= ? AND o.at < ? "
        "ORDER BY o.camera_id, o.at",
        (start, end),
    )
    for camera_id, at, outcome, outside, reasons, outcome_reasons in rows:
        if camera_id in wanted:
            checked = _Checked(at, Outcome(outcome), outside, read_reasons(reasons or outcome_reasons))
            rows_by_camera[camera_id].append(checked)
    deviations = read_deviations(database, (start, end), wanted, clock)
    rebaselines = _rebaselines(database, start, end, wanted, clock)
    cameras = [
        _camera_figures(
            _settings(store, camera_id, gone.get(camera_id), clock),
            calendar,
            rows_by_camera.get(camera_id, []),
            deviations.get(camera_id, []),
            rebaselines.get(camera_id, []),
        )
        for camera_id in camera_ids
    ]
    monthly = np.zeros((12, len(OUTCOMES)), np.int64)
    for camera in cameras:
        monthly += camera.monthly_counts
    period_end = datetime.fromtimestamp(calendar.day_starts_s[-1], UTC)
    return FleetFigures(
        year,
        group,
        cameras,
        _totals(cameras, period_end),
        monthly,
        clock.name,
        list(not_reported),
        period,
    )


@dataclass(frozen=True, slots=True)
class _Checked:
    """One scan outcome of a camera: when (stored UTC text), what, and its result's figure and reasons."""

    at: str
    outcome: Outcome
    outside_fraction: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Settings:
    """What the report shows of a camera's settings, permit, decisions and references."""

    camera_id: str
    name: str
    place: str
    group: str
    tolerance: float | None
    permit: PermitFacts | None
    move: CertifiedMove | None
    problems: list[str]
    removal: Removal | None
    decisions: DecisionHistory = field(default_factory=DecisionHistory)


def _settings(store: Store, camera_id: str, removed: RemovedCamera | None, clock: LocalTime) -> _Settings:
    removal = Removal.of(removed, clock) if removed is not None else None
    if removed is not None and removed.config is None:
        unread = [removed.problem] if removed.problem else []
        return _Settings(camera_id, "", "", removed.group or "", None, None, None, unread, removal)
    config = store.camera(camera_id)
    problems: list[str] = []
    permit, decision = _permit_facts(store, camera_id, problems)
    move = _certified_move(store, camera_id, problems)
    decisions = decision_history(store, camera_id, decision, config.tolerance)
    return _Settings(
        camera_id,
        config.name,
        config.place,
        config.group,
        config.tolerance,
        permit,
        move,
        problems,
        removal,
        decisions,
    )


@dataclass(frozen=True, slots=True)
class _Calendar:
    """The local days of the period and months of the year: UTC epoch seconds where each starts."""

    period: Period
    day_starts_s: list[float]
    month_starts_s: list[float]
    clock: LocalTime


def _camera_figures(
    settings: _Settings,
    calendar: _Calendar,
    rows: Sequence[_Checked],
    deviations: list[Deviation],
    rebaselines: list[Rebaseline],
) -> CameraFigures:
    day_starts_s, month_starts_s = calendar.day_starts_s, calendar.month_starts_s
    days = len(day_starts_s) - 1
    day_status = np.zeros(days, np.uint8)
    day_outside = np.full(days, np.nan)
    monthly = np.zeros((12, len(OUTCOMES)), np.int64)
    counts = dict.fromkeys(OUTCOMES, 0)
    exposures: dict[int, list[str]] = defaultdict(list)
    breaches: list[tuple[int, str]] = []
    first_day = calendar.period.first.toordinal()
    times_s = np.empty(len(rows))
    offline = np.zeros(len(rows), bool)
    for index, checked in enumerate(rows):
        when = parse_stored(checked.at)
        when_s = when.timestamp()
        times_s[index] = when_s
        day = index_of(day_starts_s, when_s)
        outcome, why = _judged(checked, settings.decisions, when, calendar.clock)
        if why is not None:
            breaches.append((day, why))
        monthly[index_of(month_starts_s, when_s), _COLUMN[outcome]] += 1
        counts[outcome] += 1
        day_status[day] = max(day_status[day], DayStatus.of(outcome))
        outside = checked.outside_fraction
        if outside is not None and not outside <= day_outside[day]:
            day_outside[day] = outside
        if checked.outcome is Outcome.ZONE_EXPOSED:
            exposures[day].extend(checked.reasons or ("a privacy zone was in view",))
        offline[index] = outcome is Outcome.OFFLINE
    judged = sum(counts[outcome] for outcome in JUDGED)
    spans_h = _spans_h(times_s, day_starts_s[-1])
    monitored_h = float(spans_h.sum())
    offline_h = float(spans_h[offline].sum())
    return CameraFigures(
        camera_id=settings.camera_id,
        name=settings.name,
        place=settings.place,
        group=settings.group,
        tolerance=settings.tolerance,
        permit=settings.permit,
        certified_move=settings.move,
        checks=len(rows),
        status_counts=counts,
        share_compliant=counts[Outcome.COMPLIANT] / judged if judged else None,
        days_checked=int(np.count_nonzero(day_status)),
        days_non_compliant=int(np.isin(day_status, list(NOT_COMPLIANT_DAYS)).sum()),
        zone_exposures=[
            ZoneExposure(date.fromordinal(first_day + day).isoformat(), len(reasons), _unique(reasons))
            for day, reasons in sorted(exposures.items())
        ],
        offline_hours=offline_h,
        monitored_hours=monitored_h,
        uptime=1.0 - offline_h / monitored_h if monitored_h > 0 else None,
        deviations=deviations,
        rebaselines=rebaselines,
        day_status=day_status,
        day_outside=day_outside,
        monthly_counts=monthly,
        problems=settings.problems,
        removal=settings.removal,
        outside_decision=stretches(breaches, calendar.period.first),
        decision_days=settings.decisions.days_in_force(calendar.period),
        first_decision_day=_iso_or_none(settings.decisions.first_day()),
    )


def _judged(
    checked: _Checked, decisions: DecisionHistory, when: datetime, clock: LocalTime
) -> tuple[Outcome, str | None]:
    """Return the check's outcome for the report and, outside the decision, why.

    A verdict on a real frame made when no decision allowed filming is ``outside_decision``,
    whatever the view showed; so is what the scan recorded as such (its first reason says why).
    """
    if checked.outcome is Outcome.OUTSIDE_DECISION:
        breach = decisions.breach(when, clock.zone)
        if breach is not None:
            return checked.outcome, breach.why
        first = checked.reasons[0] if checked.reasons else "outside the decision"
        return checked.outcome, first.split(", ", 1)[-1] if first.startswith("filmed ") else first
    if checked.outcome not in VERDICTS:
        return checked.outcome, None
    breach = decisions.breach(when, clock.zone)
    if breach is None:
        return checked.outcome, None
    return Outcome.OUTSIDE_DECISION, breach.why


def _spans_h(times_s: NDArray[np.float64], end_s: float) -> NDArray[np.float64]:
    """Return the hours each outcome stands for: until the next, capped; the last one a median gap.

    A gap longer than :data:`GAP_FACTOR` times the median gap counts only that much: the rest of it
    was not monitored.
    """
    if times_s.size == 0:
        return np.zeros(0)
    gaps = np.diff(times_s)
    usual = float(np.median(gaps)) if gaps.size else 86400.0
    spans = np.minimum(gaps, GAP_FACTOR * usual)
    last = max(0.0, min(usual, end_s - float(times_s[-1])))
    return np.append(spans, last) / 3600.0


def _permit_facts(
    store: Store, camera_id: str, problems: list[str]
) -> tuple[PermitFacts | None, Decision | None]:
    try:
        stored = store.permit(camera_id)
    except FovMonitorError as exc:
        problems.append(f"the permit cannot be read: {exc}")
        return None, None
    if stored is None:
        return None, None
    permit = stored.permit
    if stored.reference_size is not None:
        width, height = stored.reference_size
        frame = box(0, 0, width, height)
    else:
        frame = permit.permitted.envelope
    zones = shapely.union_all(list(permit.zones.values())) if permit.zones else None
    zone_share = float(zones.intersection(frame).area / frame.area) if zones is not None else 0.0
    decision = permit.decision
    facts = PermitFacts(
        decision_reference=decision.reference_number if decision else None,
        purpose=decision.purpose if decision else "",
        valid_from=decision.valid_from.isoformat() if decision and decision.valid_from else None,
        valid_to=decision.valid_to.isoformat() if decision and decision.valid_to else None,
        permitted_hours=decision.permitted_hours if decision else (),
        hours_per_day=hours_per_day(decision.permitted_hours) if decision else 24.0,
        zone_names=tuple(permit.zones),
        zone_share=zone_share,
        reference_size_wh=stored.reference_size,
    )
    return facts, decision


@functools.cache
def hours_per_day(permitted_hours: tuple[str, ...]) -> float:
    """Return the hours a day in which the windows permit filming (24 for no windows)."""
    decision = Decision("hours", permitted_hours=permitted_hours)
    return sum(1 for minute in range(1440) if decision.permits_filming_at(minute)) / 60.0


def _certified_move(store: Store, camera_id: str, problems: list[str]) -> CertifiedMove | None:
    try:
        infos = store.reference_infos(camera_id)
    except FovMonitorError as exc:
        problems.append(f"the reference records cannot be read: {exc}")
        return None
    if not infos:
        return None
    test = infos[0].self_test
    return CertifiedMove(
        infos[0].label,
        _float_or_none(test.get("smallest_shift_fraction")),
        _float_or_none(test.get("smallest_pan_deg")),
        _float_or_none(test.get("smallest_tilt_deg")),
    )


def _rebaselines(
    database: Database, start: str, end: str, wanted: set[str], clock: LocalTime
) -> dict[str, list[Rebaseline]]:
    found: dict[str, list[Rebaseline]] = defaultdict(list)
    carried: dict[str, tuple[float, float]] = {}
    for at, actor, action, camera_id, detail_json in database.read(
        "SELECT at, actor, action, camera_id, detail_json FROM audit WHERE action IN (?, ?) AND at >= ? "
        "AND at < ? ORDER BY id",
        (str(AuditAction.PERMIT_CARRIED_OVER), str(AuditAction.REFERENCE_REBASELINED), start, end),
    ):
        if camera_id not in wanted:
            continue
        detail = _json_object(detail_json)
        if action == AuditAction.PERMIT_CARRIED_OVER:
            shift = detail.get("shift_fraction")
            if isinstance(shift, list) and len(shift) == 2:
                carried[camera_id] = (float(shift[0]), float(shift[1]))
            continue
        found[camera_id].append(
            Rebaseline(
                clock.text(at),
                actor,
                str(detail.get("approved_by") or ""),
                str(detail.get("reason") or ""),
                str(detail.get("label") or ""),
                carried.pop(camera_id, None),
            )
        )
    for rebaselines in found.values():
        rebaselines.sort(key=lambda rebaseline: rebaseline.at)
    return found


def _totals(cameras: Sequence[CameraFigures], period_end: datetime) -> FleetTotals:
    compliant = sum(camera.status_counts[Outcome.COMPLIANT] for camera in cameras)
    verdicts = sum(sum(camera.status_counts[o] for o in JUDGED) for camera in cameras)
    deviations = [deviation for camera in cameras for deviation in camera.deviations]
    fixes = [d.time_to_fix_h for d in deviations if d.time_to_fix_h is not None]
    uptimes = [camera.uptime for camera in cameras if camera.uptime is not None]
    return FleetTotals(
        cameras=len(cameras),
        checks=sum(camera.checks for camera in cameras),
        share_compliant=compliant / verdicts if verdicts else None,
        deviations=len(deviations),
        non_compliance_deviations=sum(camera.non_compliance_deviations for camera in cameras),
        carried_over_deviations=sum(camera.carried_over_deviations for camera in cameras),
        open_at_year_end=sum(1 for d in deviations if d.end is None or parse_stored(d.end) >= period_end),
        median_time_to_fix_h=statistics.median(fixes) if fixes else None,
        rebaselines=sum(len(camera.rebaselines) for camera in cameras),
        zone_exposure_days=sum(camera.zone_exposure_days for camera in cameras),
        offline_hours=sum(camera.offline_hours for camera in cameras),
        mean_uptime=statistics.fmean(uptimes) if uptimes else None,
        cameras_without_permit=sum(1 for camera in cameras if camera.permit is None and camera.settings_kept),
        removed_cameras=sum(1 for camera in cameras if camera.removal is not None),
        days_not_monitored=sum(camera.days_not_monitored for camera in cameras),
        outside_decision_days=sum(camera.outside_decision_days for camera in cameras),
    )


def _iso_or_none(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _float_or_none(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _json_object(text: str) -> Mapping[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, Mapping) else {}
