"""The figures of the yearly report as CSV (one row per camera) and JSON (everything).

A camera that could not be read has a CSV row with its id, ``not_reported`` (what could not be read,
and the fix) and every other cell empty, and is listed under ``not_reported`` in the JSON. A camera
removed from the store has its row, with ``removed_on`` (the local day, ``unknown`` when not
recorded) and ``settings_kept``; in the JSON its ``removal``. Both exports list the same
deviations as the pages: ``deviations`` counts those open in the year, ``carried_over_deviations``
those of them opened in an earlier year. Times in
the JSON are local ISO texts with their offset; ``timezone`` names the zone of the daily timelines.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

import numpy as np

from fov_monitor.report.figures import OUTCOMES, CameraFigures, DayStatus, FleetFigures

CSV_COLUMNS = (
    "camera_id", "name", "place", "group", "decision_reference", "purpose", "permitted_hours",
    "hours_per_day", "zone_share", "checks", *(f"checks_{outcome}" for outcome in OUTCOMES),
    "share_compliant", "days_checked", "days_non_compliant", "deviations", "non_compliance_deviations",
    "carried_over_deviations", "median_time_to_fix_h", "rebaselines", "zone_exposure_days",
    "offline_hours", "uptime", "max_outside", "smallest_shift_fraction", "smallest_pan_deg",
    "assessment_written", "removed_on", "settings_kept", "not_reported",
)  # fmt: skip
JSON_SCHEMA = "fov-monitor.yearly-figures/3"
"""Version 3: deviations open in the year (``carried_over_from``; a time to fix only in the year the
alert closed), removed cameras (``removal``). Version 2: ``timezone``, ``not_reported``; days and
times in the organisation's time zone."""


def csv_text(fleet: FleetFigures, weighed: set[str]) -> str:
    """Return one CSV row per camera with the figures of the report (empty cell: not known)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for camera in fleet.cameras:
        writer.writerow(_csv_row(camera, camera.camera_id in weighed))
    for unreadable in fleet.not_reported:
        row = dict.fromkeys(CSV_COLUMNS, "")
        row |= {"camera_id": unreadable.camera_id, "group": unreadable.group or ""}
        row["not_reported"] = f"{unreadable.reason} (fix: {unreadable.fix})"
        writer.writerow(row.values())
    return buffer.getvalue()


def _csv_row(camera: CameraFigures, weighed: bool) -> list[object]:
    permit, move = camera.permit, camera.certified_move
    fixes = sorted(d.time_to_fix_h for d in camera.deviations if d.time_to_fix_h is not None)
    median = float(np.median(fixes)) if fixes else None
    values: list[object] = [
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
        camera.days_non_compliant,
        len(camera.deviations),
        camera.non_compliance_deviations,
        camera.carried_over_deviations,
        median,
        len(camera.rebaselines),
        camera.zone_exposure_days,
        round(camera.offline_hours, 3),
        camera.uptime,
        camera.max_outside,
        move.shift_fraction if move else None,
        move.pan_deg if move else None,
        weighed,
        (camera.removal.on or "unknown") if camera.removal else None,
        camera.removal.settings_kept if camera.removal else None,
        None,
    ]
    return ["" if value is None else value for value in values]


def json_document(fleet: FleetFigures, weighed: set[str]) -> dict[str, Any]:
    """Return every figure of the report as a JSON-ready dict, daily timelines included.

    ``daily_status`` is one character per day of the year, the
    :class:`~fov_monitor.report.figures.DayStatus` code (``0`` no check .. ``7`` tampered);
    ``daily_outside`` the day's largest share outside the permit (null: not measured).
    """
    return {
        "schema": JSON_SCHEMA,
        "year": fleet.year,
        "group": fleet.group,
        "timezone": fleet.timezone,
        "daily_status_codes": {str(int(status)): status.name.lower() for status in DayStatus},
        "totals": asdict(fleet.totals),
        "monthly_counts": {
            outcome: [int(v) for v in fleet.monthly_counts[:, column]]
            for column, outcome in enumerate(OUTCOMES)
        },
        "cameras": [_camera_document(camera, camera.camera_id in weighed) for camera in fleet.cameras],
        "not_reported": [asdict(camera) for camera in fleet.not_reported],
    }


def _camera_document(camera: CameraFigures, weighed: bool) -> dict[str, Any]:
    document = {
        name: getattr(camera, name)
        for name in (
            "camera_id", "name", "place", "group", "tolerance", "checks", "status_counts", "share_compliant",
            "days_checked", "days_non_compliant", "offline_hours", "observed_hours", "uptime", "problems",
        )
    }  # fmt: skip
    document |= {
        "permit": asdict(camera.permit) if camera.permit else None,
        "certified_move": asdict(camera.certified_move) if camera.certified_move else None,
        "removal": asdict(camera.removal) if camera.removal else None,
        "deviations": [asdict(d) for d in camera.deviations],
        "rebaselines": [asdict(r) for r in camera.rebaselines],
        "zone_exposures": [asdict(e) for e in camera.zone_exposures],
        "zone_exposure_days": camera.zone_exposure_days,
        "max_outside": camera.max_outside,
        "assessment_written": weighed,
        "daily_status": "".join(str(int(code)) for code in camera.day_status),
        "daily_outside": [None if not np.isfinite(v) else round(float(v), 5) for v in camera.day_outside],
    }
    return document


def json_text(fleet: FleetFigures, weighed: set[str]) -> str:
    """Return :func:`json_document` as indented JSON text."""
    return json.dumps(json_document(fleet, weighed), indent=1, default=str) + "\n"
