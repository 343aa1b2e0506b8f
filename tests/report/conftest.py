"""The report tests' clock: a report is made on a known day, so that a year is whole or to date on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from fov_monitor.report import clock

MADE_ON = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
"""When the report tests' reports are made, unless a test says otherwise: 2026 is a whole year then."""

_NOW = [MADE_ON]


@pytest.fixture(scope="session", autouse=True)
def _report_clock_set() -> Iterator[None]:
    """Read the reports' clock (``report.clock.utc_now``) from ``_NOW``, for module fixtures too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "utc_now", lambda: _NOW[0])
        yield


@pytest.fixture(autouse=True)
def report_clock() -> Iterator[list[datetime]]:
    """The reports' clock: a test sets another time in ``[0]``; it is set back after the test."""
    yield _NOW
    _NOW[0] = MADE_ON
