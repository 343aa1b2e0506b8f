"""The fleet overview's pages: filters, counts, trends, and a bounded number of queries per page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fov_monitor.db.database import Database
from fov_monitor.store.store import Store
from fov_monitor.web.fleet import FleetStatus, fleet_page, recent_results
from tests.support.alert_runs import make_store, record_run

GROUPS = {f"cam-{i:02d}": ("north" if i % 2 else "south") for i in range(7)}
"""Seven cameras; cam-06 is never checked."""


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[Path, Database]]:
    store = make_store(tmp_path / "store", GROUPS)
    (store.folder("cam-05") / "camera.json").write_text("{not json", encoding="utf-8")  # broken
    database = Database(store.database_path)
    checked = [camera for camera in GROUPS if camera != "cam-06"]
    for scan in range(12):
        outcome = "redirected" if scan == 11 else "compliant"
        record_run(database, {c: outcome if c == "cam-01" else "compliant" for c in checked},
                   at=f"2026-11-{scan + 1:02d}T02:00:00+00:00")  # fmt: skip
    yield store.root, database
    database.close()


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    queries: list[str] = []
    original = Database.read

    def counted(self: Database, sql: str, parameters: tuple = ()) -> list:  # type: ignore[type-arg]
        queries.append(sql)
        return original(self, sql, parameters)

    monkeypatch.setattr(Database, "read", counted)
    return queries


def test_pages_split_the_fleet_by_id(fleet: tuple[Path, Database], monkeypatch: pytest.MonkeyPatch) -> None:
    root, database = fleet
    store = Store(root)
    queries = _reads(monkeypatch)
    first = fleet_page(store, database, page_size=3, with_counts=True)
    assert [row.camera_id for row in first.rows] == ["cam-00", "cam-01", "cam-02"]
    assert (first.total, first.pages) == (7, 3)
    assert len(queries) == 2, "every camera's latest result for the counts, then the page's trends"
    assert first.counts == {"compliant": 4, "redirected": 1, "broken": 1, "unchecked": 1}
    assert first.groups == ["north", "south"]
    moved = first.rows[1]
    assert moved.status is FleetStatus.REDIRECTED
    assert len(moved.trend) == 10
    assert [r.status for r in moved.trend][-2:] == ["compliant", "redirected"], "oldest first"
    assert moved.checked_at == "2026-11-12T02:00:00+00:00"

    queries.clear()
    last = fleet_page(store, database, page_size=3, page=3)
    assert [(row.camera_id, row.status) for row in last.rows] == [("cam-06", FleetStatus.UNCHECKED)]
    assert len(queries) == 1, "without a status filter or counts, only the page's trends"
    assert fleet_page(store, database, page_size=3, page=4).rows == []


@pytest.mark.parametrize(
    ("group", "statuses", "expected"),
    [
        ("north", (), ["cam-01", "cam-03"]),  # cam-05 is north too, but its camera.json is unreadable
        (None, (FleetStatus.REDIRECTED,), ["cam-01"]),
        (None, (FleetStatus.BROKEN, FleetStatus.UNCHECKED), ["cam-05", "cam-06"]),
        ("south", (FleetStatus.COMPLIANT,), ["cam-00", "cam-02", "cam-04"]),
    ],
)
def test_filters(
    fleet: tuple[Path, Database], group: str | None, statuses: tuple, expected: list[str]
) -> None:
    root, database = fleet
    shown = fleet_page(Store(root), database, group=group, statuses=statuses)
    assert [row.camera_id for row in shown.rows] == expected
    assert shown.total == len(expected)


def test_recent_results_in_chunks(fleet: tuple[Path, Database], monkeypatch: pytest.MonkeyPatch) -> None:
    _, database = fleet
    monkeypatch.setattr("fov_monitor.web.fleet.CHUNK", 2)
    queries = _reads(monkeypatch)
    found = recent_results(database, ["cam-00", "cam-01", "cam-02", "cam-06", "no-such"], 3)
    assert len(queries) == 3
    assert sorted(found) == ["cam-00", "cam-01", "cam-02"]
    assert [row.checked_at[:10] for row in found["cam-01"]] == ["2026-11-12", "2026-11-11", "2026-11-10"]
    assert found["cam-01"] == database.history("cam-01", limit=3)


def test_cameras_without_a_reference_or_a_permit_are_named_counted_and_filtered(
    fleet: tuple[Path, Database],
) -> None:
    root, database = fleet
    store = Store(root)
    for path in ("cam-00/references/day.json", "cam-00/permit.json", "cam-02/references/day.json"):
        (root / path).write_text("{}", encoding="utf-8")  # only which files exist counts here
    (root / "cam-04" / "permit-pending.json").write_text("{}", encoding="utf-8")
    shown = fleet_page(store, database, with_counts=True)
    rows = {row.camera_id: row for row in shown.rows}
    assert (rows["cam-00"].missing, rows["cam-02"].missing) == ((), ("permit",))
    assert rows["cam-01"].missing == ("reference", "permit")
    assert rows["cam-04"].permit_pending
    assert not rows["cam-01"].permit_pending
    assert shown.lacking == {"reference": 5, "permit": 6}
    incomplete = fleet_page(store, database, incomplete=True, group="south")
    assert [row.camera_id for row in incomplete.rows] == ["cam-02", "cam-04", "cam-06"]
