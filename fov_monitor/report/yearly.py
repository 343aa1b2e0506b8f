"""The yearly follow-up report: one index page for the organisation, one page per camera.

Layout of the report folder::

    index.html              organisation summary, groups, a table of every camera linking to its page,
                            the sign-off block
    cameras/<camera>.html   permit, drawing, timeline, deviations, re-baselines, exposures, weighing
    figures.csv             one row per camera, with the build (time, version, organisation, period)
    figures.json            every figure, daily timelines included, and the build
    SHA256SUMS              the checksum of every file (:mod:`fov_monitor.report.output`)

A camera whose store files cannot be read is not reported but named, with the reason and the fix,
on the index page and in both exports (:mod:`fov_monitor.report.selection`); the other cameras are
reported as usual. A camera removed from the store during or after the year is reported, marked
removed, from the database and its kept folder (:mod:`fov_monitor.report.removed`). Days and times
are the organisation's local ones (``timezone`` in ``organisation.json``). A report of the current
year covers its days to date, as of the day it is made.

One page per camera, not one page for all: a camera's page carries its permit drawing (about 100 KB)
and charts, so 500 cameras on one page would be a 50 MB file that browsers open slowly and print as
one document of thousands of pages. The index stays small (a table), and every page is
self-contained (images as ``data:`` URIs) and prints on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from fov_monitor import __version__
from fov_monitor.core.result import Outcome
from fov_monitor.db.database import Database
from fov_monitor.errors import ReportError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.i18n import Language, outcome_word, translations
from fov_monitor.report import charts, export
from fov_monitor.report.clock import LocalTime, Period, utc_now
from fov_monitor.report.drawing import PermitDrawing, damaged_drawings, permit_drawings
from fov_monitor.report.figures import JUDGED, OUTCOMES, DayStatus, FleetFigures, yearly_figures
from fov_monitor.report.organisation import Organisation
from fov_monitor.report.removed import KeptFolders, removed_cameras
from fov_monitor.report.selection import CameraSelection, select_cameras
from fov_monitor.report.templates import render
from fov_monitor.report.weighing import Weighing, WeighingState, read_weighing
from fov_monitor.report.wording import date_in_words, percent
from fov_monitor.store.store import Store

FIRST_YEAR = 2000
"""The first year a report can be asked for."""


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What a build wrote: pages, files and their sizes in bytes."""

    cameras: int
    files: int
    total_bytes: int
    largest_file: str
    largest_bytes: int

    @classmethod
    def of(cls, folder: Path, cameras: int) -> ReportFiles:
        """Measure the files below ``folder``."""
        sizes = {
            str(path.relative_to(folder)): path.stat().st_size for path in folder.rglob("*") if path.is_file()
        }
        largest = max(sizes, key=lambda name: sizes[name]) if sizes else ""
        return cls(cameras, len(sizes), sum(sizes.values()), largest, sizes.get(largest, 0))

    @property
    def in_words(self) -> str:
        """``"504 files, 59.0 MB (largest index.html, 0.22 MB)"``: what a command says it wrote."""
        return (
            f"{self.files} files, {self.total_bytes / 1e6:.1f} MB "
            f"(largest {self.largest_file}, {self.largest_bytes / 1e6:.2f} MB)"
        )


@dataclass(frozen=True, slots=True)
class SignOff:
    """Who prepared the report and for whom, named in its sign-off block."""

    prepared_by: str
    prepared_for: str


@dataclass(frozen=True, slots=True)
class YearlyReport:
    """What a build of the yearly report wrote: the figures, each camera's weighing, the build."""

    fleet: FleetFigures
    weighings: dict[str, Weighing]
    build: export.BuildInfo

    @property
    def unreadable_weighings(self) -> list[Weighing]:
        """The weighing files that could not be read (named in the report, left out of it)."""
        return [w for w in self.weighings.values() if w.state is WeighingState.UNREADABLE]


def check_year(year: int, today: date | None = None) -> int:
    """Return ``year`` if a report of it can exist (2000 up to this year), else raise."""
    this_year = (today or utc_now().date()).year
    if not FIRST_YEAR <= year <= this_year:
        raise ReportError(f"--year {year} is out of range; give a year from {FIRST_YEAR} to {this_year}")
    return year


def build_yearly(
    store: Store,
    database: Database,
    year: int,
    folder: Path,
    *,
    organisation: Organisation | None,
    privacy: PrivacySettings,
    group: str | None = None,
    jobs: int | None = None,
    sign_off: SignOff | None = None,
    csv_dialect: export.CsvDialect = export.CsvDialect.COMMA,
    language: Language | None = None,
) -> YearlyReport:
    """Write the yearly report of the store's cameras (of ``group``) into ``folder``; return what it wrote.

    The cameras that could not be read are in the figures' ``not_reported``, named in the report.
    The cameras removed from the store that have outcomes, results or alerts in the year are
    reported too, marked removed. A weighing file that cannot be read is named and left out.

    Parameters
    ----------
    store, database : Store, Database
        The cameras and their results.
    year : int
        The calendar year (checked with :func:`check_year` by the caller); the current year is
        reported to date.
    folder : Path
        An existing empty folder (see :func:`fov_monitor.report.output.write_folder`).
    organisation : Organisation or None
        Who owns the cameras, from ``organisation.json``; None: the store's folder name, in UTC.
    privacy : PrivacySettings
        The store's settings, by which faces are blurred in the permit drawings.
    group : str, optional
        Only the cameras of this group.
    jobs : int, optional
        Processes for face blurring of references not cached yet.
    sign_off : SignOff, optional
        Who prepared it and for whom (default: fov-monitor, for the organisation).
    csv_dialect : CsvDialect
        How ``figures.csv`` separates its cells and writes decimals.
    language : Language, optional
        The language of the pages (default: the organisation's, else English). The exports'
        columns and values stay English, for programs to read.

    Raises
    ------
    ReportError
        When there is nothing to report: no camera was checked in the year and no camera had a
        decision in force in it (a year before the first decision).
    """
    organisation_name = organisation.name if organisation else store.root.resolve().name
    clock = organisation.clock if organisation else LocalTime()
    language = language or (organisation.language if organisation else Language.EN)
    _ = translations(language).gettext
    period = Period.of(year, clock.today())
    selection = select_cameras(store, group, removed_cameras(store, database, clock.period_bounds(period)))
    removed = list(selection.removed.values())
    store = KeptFolders(store, removed)
    drawings = _drawings(store, selection, privacy, jobs)
    in_store = {camera_id: drawings[camera_id] for camera_id in selection.camera_ids}
    selection = selection.without(damaged_drawings(in_store, selection.configs))
    camera_ids = selection.reported_ids
    fleet = yearly_figures(
        database,
        store,
        year,
        camera_ids,
        group,
        clock=clock,
        not_reported=selection.unreadable,
        removed=removed,
        period=period,
    )
    _check_something_to_report(fleet, store, year)
    weighings = {camera_id: read_weighing(store.root, year, camera_id) for camera_id in camera_ids}
    sign_off = sign_off or SignOff(
        "fov-monitor", organisation.responsible or organisation.name if organisation else ""
    )
    build = export.BuildInfo(clock.now_text(), __version__, organisation_name, period, csv_dialect)
    title = _("Yearly follow-up report %(year)s: %(organisation)s") % {
        "year": year,
        "organisation": organisation_name,
    }
    common = {
        "version": __version__,
        "generated_at": build.built_at,
        "zone_label": clock.label_in(language),
        "organisation": organisation,
        "organisation_name": organisation_name,
        "period": period,
        "period_words": period.in_words(language),
        "legend": [
            {"colour": charts.STATUS_COLOURS[s], "label": charts.status_label(s, language)} for s in DayStatus
        ],
    }
    pages = folder / "cameras"
    pages.mkdir()
    timeline = charts.Timeline(year, language)
    for camera in fleet.cameras:
        name = camera.name or camera.camera_id
        html = render(
            "yearly_camera.html",
            language,
            title=_("%(camera)s: yearly report %(year)s") % {"camera": name, "year": year},
            print_header=f"{title} · {name}",
            year=year,
            camera=camera,
            drawing=drawings[camera.camera_id],
            counts=[
                (outcome_word(outcome, language), camera.status_counts.get(outcome, 0))
                for outcome in OUTCOMES
            ],
            timeline=timeline.render(camera.day_status, camera.day_outside, camera.tolerance),
            strip_alt=_strip_alt(camera.day_status, language),
            weighing=weighings[camera.camera_id],
            **common,
        )
        (pages / f"{camera.camera_id}.html").write_text(html, encoding="utf-8")
    shares = [camera.share_compliant for camera in fleet.cameras if camera.share_compliant is not None]
    index = render(
        "yearly_index.html",
        language,
        title=title,
        print_header=title,
        fleet=fleet,
        groups=_group_rows(fleet),
        rows=[
            {
                "figures": camera,
                "href": f"cameras/{camera.camera_id}.html",
                "weighing": weighings[camera.camera_id],
            }
            for camera in fleet.cameras
        ],
        weighed=sum(1 for weighing in weighings.values() if weighing.written),
        unreadable_weighings=[w for w in weighings.values() if w.state is WeighingState.UNREADABLE],
        monthly_chart=charts.monthly_chart(fleet.monthly_counts, language),
        monthly_alt=_monthly_alt(fleet, language),
        histogram_chart=charts.compliance_histogram(shares, language),
        histogram_alt=_histogram_alt(shares, language),
        sign_off=sign_off,
        **common,
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    (folder / "figures.csv").write_bytes(export.csv_bytes(fleet, weighings, build))
    (folder / "figures.json").write_text(export.json_text(fleet, weighings, build), encoding="utf-8")
    return YearlyReport(fleet, weighings, build)


def _check_something_to_report(fleet: FleetFigures, store: Store, year: int) -> None:
    """Raise when the year has nothing to report: no check, no deviation, no decision in force."""
    if any(camera.checks or camera.deviations or camera.rebaselines for camera in fleet.cameras):
        return
    if any(camera.decision_days for camera in fleet.cameras):
        return
    firsts = [camera.first_decision_day for camera in fleet.cameras if camera.first_decision_day]
    first = f" (the first starts on {date_in_words(min(firsts))})" if firsts else ""
    raise ReportError(
        f"nothing to report for {year}: no camera of the store {store.root} was checked in it and no "
        f"camera had a decision in force in it{first}; give a year in which the cameras were in use"
    )


_NO_SETTINGS = "the camera was removed; its settings are no longer kept"


def _drawings(
    store: Store, selection: CameraSelection, privacy: PrivacySettings, jobs: int | None
) -> dict[str, PermitDrawing]:
    """Return the drawing of every camera of ``selection``, a removed one's from its kept folder.

    A removed camera's damaged drawing only says why it is missing: the camera is reported anyway,
    from the database, as one whose settings are gone would be.
    """
    kept = [camera_id for camera_id, camera in selection.removed.items() if camera.config is not None]
    drawings = permit_drawings(store, [*selection.camera_ids, *kept], privacy, jobs=jobs)
    for camera_id, camera in selection.removed.items():
        if camera.config is None:
            drawings[camera_id] = PermitDrawing(None, None, _NO_SETTINGS)
    return drawings


def _group_rows(fleet: FleetFigures) -> list[dict[str, object]]:
    members = defaultdict(list)
    for camera in fleet.cameras:
        members[camera.group].append(camera)
    rows = []
    for name, cameras in sorted(members.items()):
        compliant = sum(c.status_counts[Outcome.COMPLIANT] for c in cameras)
        verdicts = sum(sum(c.status_counts[o] for o in JUDGED) for c in cameras)
        rows.append(
            {
                "name": name,
                "cameras": len(cameras),
                "checks": sum(c.checks for c in cameras),
                "share_compliant": compliant / verdicts if verdicts else None,
                "deviations": sum(len(c.deviations) for c in cameras),
                "zone_exposure_days": sum(c.zone_exposure_days for c in cameras),
                "days_not_monitored": sum(c.days_not_monitored for c in cameras),
            }
        )
    return rows


def _strip_alt(day_status: np.ndarray, language: Language) -> str:
    ngettext = translations(language).ngettext
    counts = np.bincount(day_status, minlength=len(DayStatus))
    parts = [
        ngettext("%(num)d day %(status)s", "%(num)d days %(status)s", int(counts[s]))
        % {"num": int(counts[s]), "status": charts.status_label(s, language)}
        for s in DayStatus
        if counts[s]
    ]
    return ", ".join(parts) + "."


def _monthly_alt(fleet: FleetFigures, language: Language) -> str:
    _ = translations(language).gettext
    totals = fleet.monthly_counts.sum(axis=0)
    parts = [
        _("%(outcome)s %(num)d") % {"outcome": outcome_word(outcome, language), "num": int(total)}
        for outcome, total in zip(OUTCOMES, totals, strict=True)
    ]
    return _("over the period %(counts)s.") % {"counts": ", ".join(parts)}


def _histogram_alt(shares: Sequence[float], language: Language) -> str:
    words = translations(language)
    if not shares:
        return words.gettext("no camera had a check with a verdict.")
    values = np.asarray(shares)
    return words.ngettext(
        "%(high)d of %(num)d camera at %(top)s or more, %(low)d below %(bottom)s.",
        "%(high)d of %(num)d cameras at %(top)s or more, %(low)d below %(bottom)s.",
        len(values),
    ) % {
        "high": int((values >= 0.99).sum()),
        "num": len(values),
        "top": percent(0.99, 0, language),
        "low": int((values < 0.9).sum()),
        "bottom": percent(0.9, 0, language),
    }
