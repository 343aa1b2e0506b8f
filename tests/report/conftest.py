"""The report tests' clock: a report is made on a known day, so that a year is whole or to date on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fov_monitor.report import clock
from fov_monitor.report.drawing import CACHE_FOLDER, permit_drawings
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import Store
from tests.support.images import sample_bgr
from tests.support.report_history import make_store

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


@pytest.fixture(scope="session")
def view_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report's cache of the blurred reference every test store shares (the same photograph).

    A new store would search its reference for faces again (seconds); copied into it with
    :func:`warm`, its first build reads them from the cache, as a store's second build does.
    """
    store = make_store(
        tmp_path_factory.mktemp("views") / "store", {"cam-a": "north"}, sample_bgr("astronaut")
    )
    permit_drawings(store, ["cam-a"], StoreSettings(store.root).privacy, jobs=1)
    return store.root / CACHE_FOLDER


def warm(store: Store, view_cache: Path) -> Store:
    """Copy the shared cache of blurred references into ``store``; return it."""
    shutil.copytree(view_cache, store.root / CACHE_FOLDER, dirs_exist_ok=True)
    return store
