"""The figures of the yearly report as CSV (one row per camera) and JSON (everything).

Both name the build they came from: when it was built, by which version of fov-monitor, for which
organisation and period (``built_at``, ``fov_monitor_version``, ``organisation``, ``period_from``,
``period_to``, ``to_date`` in every CSV row; ``build`` in the JSON), so that a copy can be tied to
its report folder (whose ``SHA256SUMS`` lists every file's checksum).

The CSV is UTF-8 with a byte-order mark, so that a spreadsheet opens å, ä and ö as they are. Its
dialect (:class:`CsvDialect`) is ``comma`` (cells separated by commas, decimal points: the CSV most
programs read) or ``semicolon`` (semicolons and decimal commas: what a Swedish or other European
spreadsheet opens into columns without asking).

A camera that could not be read has a CSV row with its id, ``not_reported`` (what could not be read,
and the fix) and every other camera cell empty, and is listed under ``not_reported`` in the JSON. A
camera removed from the store has its row, with ``removed_on`` (the local day, ``unknown`` when not
recorded) and ``settings_kept``; in the JSON its ``removal``. Both exports list the same deviations
as the pages: ``deviations`` counts those open in the period, ``carried_over_deviations`` those of
them opened in an earlier year; in the JSON each says how it ended (``ending``). Times in the JSON
are local ISO texts with their offset; ``timezone`` names the zone of the daily timelines.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fov_monitor.report.clock import Period
from fov_monitor.report.figures import OUTCOMES, CameraFigures, DayStatus, FleetFigures
from fov_monitor.report.weighing import Weighing, WeighingState


class CsvDialect(enum.StrEnum):
    """How ``figures.csv`` separates its cells and writes decimals (``--csv-dialect``)."""

    COMMA = "comma"
    """Commas between cells, a decimal point: what most programs read."""
    SEMICOLON = "semicolon"
    """Semicolons between cells, a decimal comma: what Swedish (and other European) spreadsheets open."""


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """The build an export belongs to.

    Attributes
    ----------
    built_at : str
        When, local ISO time with its offset.
    version : str
        fov-monitor's version.
    organisation : str
        Whose report it is.
    period : Period
        The days it covers.
    csv_dialect : CsvDialect
    """

    built_at: str
    version: str
    organisation: str
    period: Period
    csv_dialect: CsvDialect = CsvDialect.COMMA

    def to_dict(self) -> dict[str, Any]:
        """Return the build as the JSON's ``build`` object."""
        return {
            "built_at": self.built_at,
            "fov_monitor_version": self.version,
            "organisation": self.organisation,
            "period": {
                "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat(),
                "to_date": self.period.to_date,
                "days": self.period.days,
            },
        }

    def csv_cells(self) -> list[object]:
        """Return the build's cells of every CSV row, in the order of :data:`BUILD_COLUMNS`."""
        period = self.period
        return [self.organisation, period.first.isoformat(), period.last.isoformat(), period.to_date,
                self.built_at, self.version]  # fmt: skip


CAMERA_COLUMNS = (
    "camera_id", "name", "place", "group", "decision_reference", "purpose", "permitted_hours",
    "hours_per_day", "zone_share", "checks", *(f"checks_{outcome}" for outcome in OUTCOMES),
    "share_compliant", "days_checked", "days_not_monitored", "days_non_compliant",
    "outside_decision_days", "decision_days", "deviations", "non_compliance_deviations",
    "carried_over_deviations", "median_time_to_fix_h", "rebaselines", "zone_exposure_days",
    "offline_hours", "monitored_hours", "uptime", "max_outside", "smallest_shift_fraction",
    "smallest_pan_deg", "assessment_written", "weighing", "weighing_assessed_by", "weighing_assessed_at",
    "removed_on", "settings_kept", "not_reported",
)  # fmt: skip
BUILD_COLUMNS = ("organisation", "period_from", "period_to", "to_date", "built_at", "fov_monitor_version")
CSV_COLUMNS = (*CAMERA_COLUMNS, *BUILD_COLUMNS)
JSON_SCHEMA = "fov-monitor.yearly-figures/4"
"""Version 4: ``build`` (time, version, organisation, period: a current year to date), per camera
``days_not_monitored``, ``monitored_hours`` (was ``observed_hours``), ``outside_decision`` and
``decision_days``, the structured ``weighing``, each deviation's ``ending``; daily status 0 is
``not_monitored``, 8 ``outside_decision``. Version 3: deviations open in the year
(``carried_over_from``; a time to fix only in the year the alert closed), removed cameras
(``removal``). Version 2: ``timezone``, ``not_reported``; days and times in the organisation's time
zone."""


def csv_bytes(fleet: FleetFigures, weighings: Mapping[str, Weighing], build: BuildInfo) -> bytes:
    """Return ``figures.csv``: one row per camera (empty cell: not known), UTF-8 with a byte-order mark."""
    semicolon = build.csv_dialect is CsvDialect.SEMICOLON
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if semicolon else ",", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    missing = Weighing(WeighingState.MISSING)
    for camera in fleet.cameras:
        row = [*_csv_row(camera, weighings.get(camera.camera_id, missing)), *build.csv_cells()]
        writer.writerow([_cell(value, semicolon) for value in row])
    for unreadable in fleet.not_reported:
        cells = dict.fromkeys(CAMERA_COLUMNS, "")
        cells |= {"camera_id": unreadable.camera_id, "group": unreadable.group or ""}
        cells["not_reported"] = f"{unreadable.reason} (fix: {unreadable.fix})"
        writer.writerow([*cells.values(), *(_cell(value, semicolon) for value in build.csv_cells())])
    return buffer.getvalue().encode("utf-8-sig")


def _cell(value: object, decimal_comma: bool) -> object:
    if value is None:
        return ""
    if decimal_comma and isinstance(value, float):
        return repr(value).replace(".", ",")
    return value


def _csv_row(camera: CameraFigures, weighing: Weighing) -> list[object]:
    permit, move = camera.permit, camera.certified_move
    fixes = sorted(d.time_to_fix_h for d in camera.deviations if d.time_to_fix_h is not None)
    median = float(np.median(fixes)) if fixes else None
    return [
        camera.camera_id,
        camera.name,
        camera.place,
        camera.group,
        permit.decision_reference if permit else None,
        permit.purpose if permit else None,
        " ".join(permit.permitted_hours) if permit else None,
        permit.hours_per_day if permit else None,
        permit.zone_share if permit else None,
        camera.checks,
        *(camera.status_counts.get(outcome, 0) for outcome in OUTCOMES),
        camera.share_compliant,
        camera.days_checked,
        camera.days_not_monitored,
        camera.days_non_compliant,
        camera.outside_decision_days,
        camera.decision_days,
        len(camera.deviations),
        camera.non_compliance_deviations,
        camera.carried_over_deviations,
        median,
        len(camera.rebaselines),
        camera.zone_exposure_days,
        round(camera.offline_hours, 3),
        round(camera.monitored_hours, 3),
        camera.uptime,
        camera.max_outside,
        move.shift_fraction if move else None,
        move.pan_deg if move else None,
        weighing.written,
        weighing.label,
        weighing.assessed_by or None,
        weighing.assessed_at or None,
        (camera.removal.on or "unknown") if camera.removal else None,
        camera.removal.settings_kept if camera.removal else None,
        None,
    ]


def json_document(fleet: FleetFigures, weighings: Mapping[str, Weighing], build: BuildInfo) -> dict[str, Any]:
    """Return every figure of the report as a JSON-ready dict, daily timelines included.

    ``daily_status`` is one character per day of the period, the
    :class:`~fov_monitor.report.figures.DayStatus` code (``0`` not monitored .. ``8`` outside
    decision); ``daily_outside`` the day's largest share outside the permit (null: not measured).
    A report of the current year has no day after the one it was made on.
    """
    missing = Weighing(WeighingState.MISSING)
    return {
        "schema": JSON_SCHEMA,
        "build": build.to_dict(),
        "year": fleet.year,
        "group": fleet.group,
        "timezone": fleet.timezone,
        "daily_status_codes": {str(int(status)): status.name.lower() for status in DayStatus},
        "totals": asdict(fleet.totals),
        "monthly_counts": {
            outcome: [int(v) for v in fleet.monthly_counts[:, column]]
            for column, outcome in enumerate(OUTCOMES)
        },
        "cameras": [
            _camera_document(camera, weighings.get(camera.camera_id, missing)) for camera in fleet.cameras
        ],
        "not_reported": [asdict(camera) for camera in fleet.not_reported],
    }


def _camera_document(camera: CameraFigures, weighing: Weighing) -> dict[str, Any]:
    document = {
        name: getattr(camera, name)
        for name in (
            "camera_id", "name", "place", "group", "tolerance", "checks", "status_counts", "share_compliant",
            "days_checked", "days_not_monitored", "days_non_compliant", "outside_decision_days",
            "decision_days", "offline_hours", "monitored_hours", "uptime", "problems",
        )
    }  # fmt: skip
    document |= {
        "permit": asdict(camera.permit) if camera.permit else None,
        "certified_move": asdict(camera.certified_move) if camera.certified_move else None,
        "removal": asdict(camera.removal) if camera.removal else None,
        "outside_decision": [asdict(stretch) for stretch in camera.outside_decision],
        "deviations": [asdict(d) for d in camera.deviations],
        "rebaselines": [asdict(r) for r in camera.rebaselines],
        "zone_exposures": [asdict(e) for e in camera.zone_exposures],
        "zone_exposure_days": camera.zone_exposure_days,
        "max_outside": camera.max_outside,
        "assessment_written": weighing.written,
        "weighing": _weighing_document(weighing),
        "daily_status": "".join(str(int(code)) for code in camera.day_status),
        "daily_outside": [None if not np.isfinite(v) else round(float(v), 5) for v in camera.day_outside],
    }
    return document


def _weighing_document(weighing: Weighing) -> dict[str, Any]:
    return {
        "state": weighing.state,
        "conclusion": weighing.conclusion,
        "conclusion_note": weighing.conclusion_note,
        "assessed_by": weighing.assessed_by,
        "assessed_at": weighing.assessed_at,
        "missing": weighing.missing if weighing.state is WeighingState.INCOMPLETE else [],
        "source": weighing.source,
        "problem": weighing.problem,
    }


def json_text(fleet: FleetFigures, weighings: Mapping[str, Weighing], build: BuildInfo) -> str:
    """Return :func:`json_document` as indented JSON text."""
    return json.dumps(json_document(fleet, weighings, build), indent=1, default=str) + "\n"
