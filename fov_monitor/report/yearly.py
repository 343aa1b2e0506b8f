"""The yearly follow-up report: one index page for the organisation, one page per camera.

Layout of the report folder::

    index.html              organisation summary, groups, a table of every camera linking to its page
    cameras/<camera>.html   permit, drawing, timeline, deviations, re-baselines, exposures, weighing
    figures.csv             one row per camera
    figures.json            every figure, daily timelines included

A camera whose store files cannot be read is not reported but named, with the reason and the fix,
on the index page and in both exports (:mod:`fov_monitor.report.selection`); the other cameras are
reported as usual. A camera removed from the store during or after the year is reported, marked
removed, from the database and its kept folder (:mod:`fov_monitor.report.removed`). Days and times
are the organisation's local ones (``timezone`` in ``organisation.json``).

One page per camera, not one page for all: a camera's page carries its permit drawing (about 100 KB)
and charts, so 500 cameras on one page would be a 50 MB file that browsers open slowly and print as
one document of thousands of pages. The index stays small (a table), and every page is
self-contained (images as ``data:`` URIs) and prints on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fov_monitor import __version__
from fov_monitor.core.result import Outcome
from fov_monitor.db.database import Database
from fov_monitor.errors import ReportError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.report import charts, export
from fov_monitor.report.clock import LocalTime
from fov_monitor.report.drawing import PermitDrawing, damaged_drawings, permit_drawings
from fov_monitor.report.figures import (
    OUTCOMES,
    VERDICTS,
    DayStatus,
    FleetFigures,
    days_in_year,
    yearly_figures,
)
from fov_monitor.report.organisation import Organisation
from fov_monitor.report.removed import KeptFolders, removed_cameras
from fov_monitor.report.selection import CameraSelection, select_cameras
from fov_monitor.report.templates import render
from fov_monitor.report.weighing import read_assessment
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


def check_year(year: int, today: datetime | None = None) -> int:
    """Return ``year`` if a report of it can exist (2000 up to this year), else raise."""
    this_year = (today or datetime.now(UTC)).year
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
) -> FleetFigures:
    """Write the yearly report of the store's cameras (of ``group``) into ``folder``; return its figures.

    The cameras that could not be read are in the figures' ``not_reported``, named in the report.
    The cameras removed from the store that have outcomes, results or alerts in the year are
    reported too, marked removed.

    Parameters
    ----------
    store, database : Store, Database
        The cameras and their results.
    year : int
        The calendar year (checked with :func:`check_year` by the caller).
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
    """
    organisation_name = organisation.name if organisation else store.root.resolve().name
    clock = organisation.clock if organisation else LocalTime()
    selection = select_cameras(store, group, removed_cameras(store, database, clock.year_bounds(year)))
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
    )
    assessments = {camera_id: read_assessment(store.root, year, camera_id) for camera_id in camera_ids}
    weighed = {camera_id for camera_id, assessment in assessments.items() if assessment is not None}
    common = {
        "lang": "en",
        "version": __version__,
        "generated_at": clock.now_text(),
        "zone_label": clock.label,
        "organisation": organisation,
        "organisation_name": organisation_name,
        "legend": [{"colour": charts.STATUS_COLOURS[s], "label": charts.STATUS_LABELS[s]} for s in DayStatus],
    }
    pages = folder / "cameras"
    pages.mkdir()
    outside = charts.OutsideChart(days_in_year(year))
    for camera in fleet.cameras:
        html = render(
            "yearly_camera.html",
            title=f"{camera.name or camera.camera_id}: yearly report {year}",
            year=year,
            camera=camera,
            drawing=drawings[camera.camera_id],
            counts=[
                (outcome.replace("_", " "), camera.status_counts.get(outcome, 0)) for outcome in OUTCOMES
            ],
            strip=charts.status_strip(camera.day_status),
            strip_alt=_strip_alt(camera.day_status),
            outside_chart=outside.render(camera.day_outside, camera.tolerance),
            assessment=assessments[camera.camera_id],
            **common,
        )
        (pages / f"{camera.camera_id}.html").write_text(html, encoding="utf-8")
    shares = [camera.share_compliant for camera in fleet.cameras if camera.share_compliant is not None]
    index = render(
        "yearly_index.html",
        title=f"Yearly follow-up report {year}: {organisation_name}",
        fleet=fleet,
        groups=_group_rows(fleet),
        rows=[
            {
                "figures": camera,
                "href": f"cameras/{camera.camera_id}.html",
                "weighed": camera.camera_id in weighed,
            }
            for camera in fleet.cameras
        ],
        weighed=len(weighed),
        monthly_chart=charts.monthly_chart(fleet.monthly_counts),
        monthly_alt=_monthly_alt(fleet),
        histogram_chart=charts.compliance_histogram(shares),
        histogram_alt=_histogram_alt(shares),
        **common,
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    (folder / "figures.csv").write_text(export.csv_text(fleet, weighed), encoding="utf-8")
    (folder / "figures.json").write_text(export.json_text(fleet, weighed), encoding="utf-8")
    return fleet


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
        verdicts = sum(sum(c.status_counts[o] for o in VERDICTS) for c in cameras)
        rows.append(
            {
                "name": name,
                "cameras": len(cameras),
                "checks": sum(c.checks for c in cameras),
                "share_compliant": compliant / verdicts if verdicts else None,
                "deviations": sum(len(c.deviations) for c in cameras),
                "zone_exposure_days": sum(c.zone_exposure_days for c in cameras),
            }
        )
    return rows


def _strip_alt(day_status: np.ndarray) -> str:
    counts = np.bincount(day_status, minlength=len(DayStatus))
    parts = [
        f"{int(counts[s])} day{'s' if counts[s] != 1 else ''} {charts.STATUS_LABELS[s]}"
        for s in DayStatus
        if counts[s]
    ]
    return ", ".join(parts) + "."


def _monthly_alt(fleet: FleetFigures) -> str:
    totals = fleet.monthly_counts.sum(axis=0)
    parts = [
        f"{outcome.replace('_', ' ')} {int(total)}" for outcome, total in zip(OUTCOMES, totals, strict=True)
    ]
    return "over the year " + ", ".join(parts) + "."


def _histogram_alt(shares: Sequence[float]) -> str:
    if not shares:
        return "no camera had a check with a verdict."
    values = np.asarray(shares)
    return (
        f"{int((values >= 0.99).sum())} of {len(values)} cameras at 99% or more, "
        f"{int((values < 0.9).sum())} below 90%."
    )
