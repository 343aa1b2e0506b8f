"""Raw access to a results database of either dialect, around fov-monitor's own ``Database``."""

from __future__ import annotations

import sqlite3
from typing import Any

import cv2
import numpy as np
import psycopg

from fov_monitor.core.fingerprint import FrameFingerprint
from fov_monitor.core.quality import measure_quality
from fov_monitor.core.result import CheckResult, Status
from tests.support.images import sample_bgr

RAW_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, psycopg.Error)


def is_postgres(location: str) -> bool:
    return location.startswith("postgresql://")


def raw(location: str, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on its own connection, committed; return its rows (``?`` placeholders)."""
    if is_postgres(location):
        with psycopg.connect(location, autocommit=True) as connection:
            cursor = connection.execute(sql.replace("?", "%s"), parameters or None)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    connection = sqlite3.connect(location, isolation_level=None)
    try:
        return [tuple(row) for row in connection.execute(sql, parameters).fetchall()]
    finally:
        connection.close()


def row_counts(location: str) -> dict[str, int]:
    """Return the number of rows of each table that fov-monitor writes."""
    tables = ("results", "audit", "scan_runs", "scan_outcomes")
    return {table: int(raw(location, f"SELECT COUNT(*) FROM {table}")[0][0]) for table in tables}


def sample_result(status: Status = Status.COMPLIANT) -> CheckResult:
    """Return a check result of a real photograph, with its fingerprint."""
    gray = cv2.cvtColor(sample_bgr("astronaut"), cv2.COLOR_BGR2GRAY)
    return CheckResult(
        status=status,
        reasons=("the view is inside the permit",),
        quality=measure_quality(gray),
        outside_fraction=0.0125,
        shift_fraction=(0.01, -0.03),
        confidence=0.875,
        reference_label="day",
        H_live_to_ref=np.eye(3),
        fingerprint=FrameFingerprint.of(gray),
    )
