"""A year of history written straight through the database API, for the report tests and benchmark.

A store of N cameras (references written as files with their records, permits with a decision,
``organisation.json``), then nightly scan runs with outcomes and results, one transaction per night,
alerts for each stretch of trouble with the reviewers' notes, and re-baseline audit lines.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from fov_monitor.core.permit import Decision, Permit
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import REFERENCE_SCHEMA_VERSION, Store

ACTOR = "night-scan"
SCAN_TIME = "02:15:07"
OUTSIDE = {"compliant": 0.005, "redirected": 0.12, "zone_exposed": 0.03}
"""The share outside the permit each outcome's result records (none for the others)."""
SUMMARY = {
    "compliant": "the view is inside the permit",
    "redirected": "12.0% of the view is outside the permit",
    "zone_exposed": "privacy zone 'school' is visible",
    "tampered": "the lens is covered",
    "unverifiable": "too dark to verify",
    "offline": "no answer within 10 s",
    "error": "no permit set",
    "outside_decision": "filmed at 14:00, outside the hours decision KS-2026-001 permits (22:00-06:00)",
}
ORGANISATION = {
    "schema_version": 1,
    "name": "Municipality of Example",
    "contact": "privacy@example.org or phone 012 345 67 89",
    "address": "Town Hall, Market Square 1, 1234 AB Example",
    "responsible": "the head of Public Order",
}
HOURS = ("22:00-06:00",)
SELF_TEST = {
    "smallest_shift_fraction": 0.02,
    "smallest_pan_deg": 1.2,
    "smallest_tilt_deg": 0.7,
    "warnings": [],
}


@dataclass(frozen=True)
class Trouble:
    """An alert to write: camera, problem, first and last day (index) of the stretch, closed the day after."""

    camera_id: str
    problem: str
    first_day: int
    last_day: int
    closed: bool = True


def make_store(
    root: Path, camera_groups: Mapping[str, str], image: np.ndarray, *, distinct: bool = False
) -> Store:
    """Return a store with the cameras enrolled: a reference (``image``), a permit with one zone, a decision.

    ``distinct`` gives every camera its own reference (a different checksum: no shared cache entry).
    """
    store = Store(root)
    store.init()
    (root / "organisation.json").write_text(json.dumps(ORGANISATION), encoding="utf-8")
    height, width = image.shape[:2]
    zone = [(0.05 * width, 0.05 * height), (0.3 * width, 0.05 * height), (0.3 * width, 0.3 * height)]
    for index, (camera_id, group) in enumerate(camera_groups.items()):
        store.add_camera(
            CameraConfig(
                camera_id,
                source=f"http://{camera_id}/snapshot.jpg",
                name=f"Camera {camera_id}",
                place=f"Market square entrance {index + 1}",
                group=group,
                hfov_deg=60.0,
            )
        )
        picture = image
        if distinct:
            picture = image.copy()
            picture[index % height, (index // height) % width] ^= 0x5A
        _write_reference(store, camera_id, picture)
        decision = Decision(
            f"KS-2026-{index + 1:03d}",
            valid_from=date(2025, 1, 1),
            valid_to=date(2027, 12, 31),
            permitted_hours=HOURS,
            purpose="to keep the market entrance safe at night",
        )
        permit = Permit(
            permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)],
            privacy_zones={"school": zone},
            decision=decision,
        )
        store.save_permit(camera_id, permit, (width, height), "fixture")
    return store


def _write_reference(store: Store, camera_id: str, image: np.ndarray) -> None:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    data = encoded.tobytes()
    folder = store.folder(camera_id) / "references"
    (folder / "day.png").write_bytes(data)
    record = {
        "schema_version": REFERENCE_SCHEMA_VERSION,
        "label": "day",
        "size_wh": [int(image.shape[1]), int(image.shape[0])],
        "captured_at": "2025-12-01T10:00:00+00:00",
        "captured_by": "fixture",
        "source": "fixture",
        "image_sha256": hashlib.sha256(data).hexdigest(),
        "self_test": SELF_TEST,
        "rebaseline": None,
        "features_sha256": None,
    }
    (folder / "day.json").write_text(json.dumps(record), encoding="utf-8")


def night(start: date, day: int) -> str:
    """Return the stored time of the scan of night ``day`` counted from ``start``."""
    return f"{(start + timedelta(days=day)).isoformat()}T{SCAN_TIME}+00:00"


def write_scans(database: Database, schedule: Mapping[str, Sequence[str]], start: date) -> None:
    """Write one finished scan run a night, with each camera's outcome of that night (one transaction each).

    ``schedule`` maps a camera to its outcomes night by night (``""``: not scanned that night).
    """
    nights = max((len(outcomes) for outcomes in schedule.values()), default=0)
    for day in range(nights):
        tonight = {
            camera_id: outcomes[day] for camera_id, outcomes in schedule.items() if day < len(outcomes)
        }
        write_scan_run(database, night(start, day), tonight)


def write_scan_run(database: Database, at: str, outcomes: Mapping[str, str]) -> None:
    """Write one finished scan run at ``at`` (stored UTC text) with each camera's outcome (``""``: none)."""

    def write(transaction: Transaction) -> None:
        run_id = transaction.insert(
            "INSERT INTO scan_runs (started_at, finished_at, actor, selection_json) VALUES (?, ?, ?, ?) "
            "RETURNING id",
            (at, at, ACTOR, "{}"),
        )
        for camera_id, outcome in outcomes.items():
            if not outcome:
                continue
            reasons = json.dumps([SUMMARY[outcome]])
            result_id = None
            if outcome not in ("offline", "error"):
                status = "compliant" if outcome == "outside_decision" else outcome  # the verdict's own
                result_id = transaction.insert(
                    "INSERT INTO results (camera_id, checked_at, status, reasons_json, outside_fraction, "
                    "source, result_json, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (camera_id, at, status, reasons, OUTSIDE.get(status), "fixture", "{}", run_id),
                )
            transaction.execute(
                "INSERT INTO scan_outcomes (run_id, camera_id, at, outcome, reasons_json, rechecked, "
                "result_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, camera_id, at, outcome, reasons, 0, result_id),
            )

    database.write(write)


def write_alerts(
    database: Database, troubles: Sequence[Trouble], start: date, group: str = "default"
) -> None:
    """Write each trouble as an alert with its events: opened, acknowledged (with a note), closed or not."""

    def write(transaction: Transaction) -> None:
        for trouble in troubles:
            closed = night(start, trouble.last_day + 1) if trouble.closed else None
            occurrences = trouble.last_day - trouble.first_day + 1
            opened = night(start, trouble.first_day)
            _insert_alert(transaction, trouble.camera_id, trouble.problem, opened, closed, occurrences, group)

    database.write(write)


def write_alert(database: Database, camera_id: str, problem: str, opened: str, closed: str | None) -> None:
    """Write one alert opened at ``opened`` (stored UTC text) with its events, closed at ``closed`` or not."""
    database.write(
        lambda transaction: _insert_alert(transaction, camera_id, problem, opened, closed, 1, "default")
    )


def _insert_alert(
    transaction: Transaction,
    camera_id: str,
    problem: str,
    opened: str,
    closed: str | None,
    occurrences: int,
    group: str,
) -> None:
    alert_id = transaction.insert(
        "INSERT INTO alerts (camera_id, camera_group, problem, state, opened_at, updated_at, "
        "closed_at, occurrences, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            camera_id,
            group,
            problem,
            "closed" if closed else "acknowledged",
            opened,
            closed or opened,
            closed,
            occurrences,
            SUMMARY.get(problem, problem),
        ),
    )
    acknowledged = (datetime.fromisoformat(opened) + timedelta(hours=7)).isoformat()
    events = [
        (opened, ACTOR, "opened", "", {}),
        (acknowledged, "reviewer-ann", "acknowledged", "site visit planned", {}),
    ]
    if closed:
        run_id = transaction.fetchone("SELECT MAX(id) FROM scan_runs WHERE started_at <= ?", (closed,))
        why = {"run_id": run_id[0] if run_id else None, "why": "the camera is compliant again"}
        events.append((closed, ACTOR, "closed", "", why))
    for at, actor, event, note, detail in events:
        transaction.execute(
            "INSERT INTO alert_events (alert_id, at, actor, event, note, detail_json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (alert_id, at, actor, event, note, json.dumps(detail)),
        )


def write_rebaseline(
    database: Database, camera_id: str, at: str, moved: tuple[float, float] | None = None
) -> None:
    """Append the audit line a re-baseline writes (after the one of its permit carried over, if moved)."""
    if moved is not None:
        carried = {"label": "day", "shift_fraction": list(moved), "zones_out_of_view": []}
        database.audit("technician-bo", AuditAction.PERMIT_CARRIED_OVER, camera_id, carried, at=at)
    detail = {
        "label": "day",
        "reason": "pole replaced after a storm",
        "approved_by": "head-of-ops",
        "self_test": SELF_TEST,
    }
    database.audit("technician-bo", AuditAction.REFERENCE_REBASELINED, camera_id, detail, at=at)


def troubles_of(schedule: Mapping[str, Sequence[str]]) -> list[Trouble]:
    """Return one trouble per stretch of the same non-compliant or offline outcome (as the engine opens)."""
    found = []
    for camera_id, outcomes in schedule.items():
        day = 0
        while day < len(outcomes):
            outcome = outcomes[day]
            if outcome in ("redirected", "zone_exposed", "tampered", "offline"):
                last = day
                while last + 1 < len(outcomes) and outcomes[last + 1] == outcome:
                    last += 1
                found.append(Trouble(camera_id, outcome, day, last, closed=last + 1 < len(outcomes)))
                day = last + 1
            else:
                day += 1
    return found


def fleet_schedule(camera_ids: Sequence[str], nights: int, seed: int = 7) -> dict[str, list[str]]:
    """Return a plausible year: mostly compliant, dark nights, offline stretches, moves, zones in view."""
    rng = random.Random(seed)
    schedule = {}
    for camera_id in camera_ids:
        outcomes = ["compliant"] * nights
        for _ in range(rng.randint(0, 4)):
            outcomes[rng.randrange(nights)] = "unverifiable"
        for problem, stretches, longest in (("offline", 2, 4), ("redirected", 1, 12), ("zone_exposed", 1, 3)):
            for _ in range(rng.randint(0, stretches)):
                first = rng.randrange(nights)
                for day in range(first, min(nights, first + rng.randint(1, longest))):
                    outcomes[day] = problem
        schedule[camera_id] = outcomes
    return schedule
