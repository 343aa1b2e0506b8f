"""A year of one fleet in figures: what the nightly scans found, the alerts, the re-baselines.

Everything here is read from the results database (``scan_outcomes``, ``results``, ``alerts``,
``alert_events``, ``audit``) and the store (camera settings, permit, reference records) and
returned as plain dataclasses; nothing is drawn or written. Days, months and the year are the
organisation's local ones (:class:`~fov_monitor.report.clock.LocalTime`): a year runs from 1 January
00:00 local time to the next, and every time shown is the stored UTC time converted to local ISO
text with its offset.

Definitions, as the report states them:

* **checks**: the camera's scan outcomes in the year (every nightly answer, offline and error too).
* **share compliant**: compliant outcomes over outcomes with a verdict on a real frame (compliant,
  redirected, zone exposed, tampered, unverifiable); offline and error are uptime, not compliance.
* **offline time**: each outcome stands for the time until the camera's next outcome (the last one
  for the median gap between its outcomes, at most until the year's end); the time of ``offline``
  outcomes is added up. **Uptime** is one minus offline time over the time all outcomes stand for.
* **deviations**: alerts open at some time in the year, any problem: opened in it, or opened
  before it and not closed when it began (carried over). **Time to fix** runs from opening to
  closing (by a compliant scan or a reviewer's resolve) and is counted in the year the alert
  closed, so that each alert's time to fix is in one year's figures only: an alert open over New
  Year is listed in both years, with its time to fix in the second.
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

from fov_monitor.alerts.model import Problem, State
from fov_monitor.core.permit import Decision
from fov_monitor.core.result import Outcome
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.db.reasons import read_reasons
from fov_monitor.errors import FovMonitorError
from fov_monitor.report.clock import OPEN_IN_PERIOD, LocalTime, index_of, parse_stored
from fov_monitor.report.removed import KeptFolders, Removal, RemovedCamera
from fov_monitor.report.selection import UnreadableCamera
from fov_monitor.store.store import Store

log = logging.getLogger(__name__)


class DayStatus(enum.IntEnum):
    """A day's worst scan outcome, for the timeline; higher is worse.

    The members but ``NO_CHECK`` are the :class:`~fov_monitor.core.result.Outcome` of the same name,
    ranked.
    """

    NO_CHECK = 0
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
"""The outcomes of a verdict on a real frame (not offline, not error): the share compliant's base."""
_COLUMN = {outcome: index for index, outcome in enumerate(OUTCOMES)}


@dataclass(frozen=True, slots=True)
class ReviewNote:
    """One reviewer's step on an alert: who, when, what, and the note written."""

    at: str
    actor: str
    event: str
    note: str


@dataclass(frozen=True, slots=True)
class Deviation:
    """One alert open in the year: its problem, start, end and time to fix (hours).

    ``time_to_fix_h`` is None unless the alert closed in the year (its time to fix is counted
    there); ``carried_over_from`` is the year it was opened in when that is before the report's year.
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
    year; ``day_outside`` a ``(days,)`` float64 array of the day's largest share of the view outside
    the permit (NaN where no verdict measured it); ``monthly_counts`` a ``(12, len(OUTCOMES))`` int64
    array of its outcomes per local month. A removed camera whose settings are no longer kept has
    an empty name, place and group (none known) and no tolerance.
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
    observed_hours: float
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
    """
    clock = clock or LocalTime()
    gone = {camera.camera_id: camera for camera in removed}
    store = KeptFolders(store, removed)
    start, end = clock.year_bounds(year)
    calendar = _Calendar(year, clock.day_starts_s(year), clock.month_starts_s(year))
    wanted = set(camera_ids)
    rows_by_camera: dict[str, list[_Checked]] = defaultdict(list)
    rows = database.read(
        "SELECT o.camera_id, o.at, o.outcome, r.outside_fraction, r.reasons_json FROM scan_outcomes o "
        "LEFT JOIN results r ON r.id = o.result_id WHERE o.at >= ? AND o.at < ? ORDER BY o.camera_id, o.at",
        (start, end),
    )
    for camera_id, at, outcome, outside, reasons in rows:
        if camera_id in wanted:
            rows_by_camera[camera_id].append(_Checked(at, Outcome(outcome), outside, read_reasons(reasons)))
    deviations = _deviations(database, start, end, wanted, clock)
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
    year_end = datetime.fromtimestamp(calendar.day_starts_s[-1], UTC)
    return FleetFigures(
        year, group, cameras, _totals(cameras, year_end), monthly, clock.name, list(not_reported)
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
    """What the report shows of a camera's settings, permit and references."""

    camera_id: str
    name: str
    place: str
    group: str
    tolerance: float | None
    permit: PermitFacts | None
    move: CertifiedMove | None
    problems: list[str]
    removal: Removal | None


def _settings(store: Store, camera_id: str, removed: RemovedCamera | None, clock: LocalTime) -> _Settings:
    removal = Removal.of(removed, clock) if removed is not None else None
    if removed is not None and removed.config is None:
        unread = [removed.problem] if removed.problem else []
        return _Settings(camera_id, "", "", removed.group or "", None, None, None, unread, removal)
    config = store.camera(camera_id)
    problems: list[str] = []
    permit = _permit_facts(store, camera_id, problems)
    move = _certified_move(store, camera_id, problems)
    return _Settings(
        camera_id, config.name, config.place, config.group, config.tolerance, permit, move, problems, removal
    )


@dataclass(frozen=True, slots=True)
class _Calendar:
    """The local days and months of the report's year, as UTC epoch seconds where each starts."""

    year: int
    day_starts_s: list[float]
    month_starts_s: list[float]


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
    first_day = date(calendar.year, 1, 1).toordinal()
    times_s = np.empty(len(rows))
    offline = np.zeros(len(rows), bool)
    for index, checked in enumerate(rows):
        outcome, outside = checked.outcome, checked.outside_fraction
        when_s = parse_stored(checked.at).timestamp()
        times_s[index] = when_s
        day = index_of(day_starts_s, when_s)
        monthly[index_of(month_starts_s, when_s), _COLUMN[outcome]] += 1
        counts[outcome] += 1
        day_status[day] = max(day_status[day], DayStatus.of(outcome))
        if outside is not None and not outside <= day_outside[day]:
            day_outside[day] = outside
        if outcome is Outcome.ZONE_EXPOSED:
            exposures[day].extend(checked.reasons or ("a privacy zone was in view",))
        offline[index] = outcome is Outcome.OFFLINE
    verdicts = sum(counts[outcome] for outcome in VERDICTS)
    spans_h = _spans_h(times_s, day_starts_s[-1])
    observed_h = float(spans_h.sum())
    offline_h = float(spans_h[offline].sum())
    non_compliant_codes = [DayStatus.REDIRECTED, DayStatus.ZONE_EXPOSED, DayStatus.TAMPERED]
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
        share_compliant=counts[Outcome.COMPLIANT] / verdicts if verdicts else None,
        days_checked=int(np.count_nonzero(day_status)),
        days_non_compliant=int(np.isin(day_status, non_compliant_codes).sum()),
        zone_exposures=[
            ZoneExposure(date.fromordinal(first_day + day).isoformat(), len(reasons), _unique(reasons))
            for day, reasons in sorted(exposures.items())
        ],
        offline_hours=offline_h,
        observed_hours=observed_h,
        uptime=1.0 - offline_h / observed_h if observed_h > 0 else None,
        deviations=deviations,
        rebaselines=rebaselines,
        day_status=day_status,
        day_outside=day_outside,
        monthly_counts=monthly,
        problems=settings.problems,
        removal=settings.removal,
    )


def _spans_h(times_s: NDArray[np.float64], year_end_s: float) -> NDArray[np.float64]:
    """Return the hours each outcome stands for: until the next, the last one a median gap."""
    if times_s.size == 0:
        return np.zeros(0)
    gaps = np.diff(times_s)
    last = float(np.median(gaps)) if gaps.size else 86400.0
    last = max(0.0, min(last, year_end_s - float(times_s[-1])))
    return np.append(gaps, last) / 3600.0


def _permit_facts(store: Store, camera_id: str, problems: list[str]) -> PermitFacts | None:
    try:
        stored = store.permit(camera_id)
    except FovMonitorError as exc:
        problems.append(f"the permit cannot be read: {exc}")
        return None
    if stored is None:
        return None
    permit = stored.permit
    if stored.reference_size is not None:
        width, height = stored.reference_size
        frame = box(0, 0, width, height)
    else:
        frame = permit.permitted.envelope
    zones = shapely.union_all(list(permit.zones.values())) if permit.zones else None
    zone_share = float(zones.intersection(frame).area / frame.area) if zones is not None else 0.0
    decision = permit.decision
    return PermitFacts(
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


def _deviations(
    database: Database, start: str, end: str, wanted: set[str], clock: LocalTime
) -> dict[str, list[Deviation]]:
    notes: dict[int, list[ReviewNote]] = defaultdict(list)
    for alert_id, at, actor, event, note in database.read(
        "SELECT alert_id, at, actor, event, note FROM alert_events "
        f"WHERE alert_id IN (SELECT id FROM alerts WHERE {OPEN_IN_PERIOD}) AND note <> '' ORDER BY id",
        (end, start),
    ):
        notes[int(alert_id)].append(ReviewNote(clock.text(at), actor, event, note))
    found: dict[str, list[Deviation]] = defaultdict(list)
    for alert_id, camera_id, problem, state, opened_at, closed_at, summary in database.read(
        "SELECT id, camera_id, problem, state, opened_at, closed_at, summary FROM alerts "
        f"WHERE {OPEN_IN_PERIOD} ORDER BY opened_at, id",
        (end, start),
    ):
        if camera_id not in wanted:
            continue
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
            )
        )
    return found


def _time_to_fix_h(opened_at: str, closed_at: str | None, end: str) -> float | None:
    """Return the hours from opening to closing if the alert closed before ``end``, else None.

    An alert still open at the year's end has its time to fix counted in the year it closes.
    """
    if closed_at is None or not closed_at < end:
        return None
    return (parse_stored(closed_at) - parse_stored(opened_at)).total_seconds() / 3600.0


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


def _totals(cameras: Sequence[CameraFigures], year_end: datetime) -> FleetTotals:
    compliant = sum(camera.status_counts[Outcome.COMPLIANT] for camera in cameras)
    verdicts = sum(sum(camera.status_counts[o] for o in VERDICTS) for camera in cameras)
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
        open_at_year_end=sum(1 for d in deviations if d.end is None or parse_stored(d.end) >= year_end),
        median_time_to_fix_h=statistics.median(fixes) if fixes else None,
        rebaselines=sum(len(camera.rebaselines) for camera in cameras),
        zone_exposure_days=sum(camera.zone_exposure_days for camera in cameras),
        offline_hours=sum(camera.offline_hours for camera in cameras),
        mean_uptime=statistics.fmean(uptimes) if uptimes else None,
        cameras_without_permit=sum(1 for camera in cameras if camera.permit is None and camera.settings_kept),
        removed_cameras=sum(1 for camera in cameras if camera.removal is not None),
    )


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
