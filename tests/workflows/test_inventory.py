"""The inventory's two formats read as a spreadsheet or a VMS writes them, and written back the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fov_monitor.errors import InventoryError
from fov_monitor.sources import AuthKind
from fov_monitor.workflows.inventory import WHOLE_VIEW, InventoryFormat, read_inventory, write_inventory

HOURS = "06:00-12:00 13:00-22:00"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fleet.csv", f"\ufeffid;hfov_deg;auth;hours;valid_to;area\ncam-1;62,5;Digest;{HOURS};2030-12-31;"
                      "Whole View\n"),
        ("fleet.csv", f'id,hfov_deg,auth,hours,valid_to,area\ncam-1,62.5,digest,"{HOURS.replace(" ", ", ")}",'
                      "2030-12-31,whole_view\n"),
        ("fleet.jsonl", '{"id": "cam-1", "hfov_deg": 62.5, "auth": "digest", "hours": ["06:00-12:00", '
                        '"13:00-22:00"], "valid_to": "2030-12-31", "area": "whole view"}\n\n'),
    ],
    ids=["excel-semicolons", "csv", "jsonl"],
)  # fmt: skip
def test_each_format_reads_the_same_row(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    [row] = read_inventory(path).rows
    assert (row.line, row.camera_id) == (2 if name.endswith(".csv") else 1, "cam-1")
    assert row.given == {"id", "hfov_deg", "auth", "hours", "valid_to", "area"}
    assert dict(row.values) == {
        "hfov_deg": 62.5,
        "auth": AuthKind.DIGEST,
        "hours": ("06:00-12:00", "13:00-22:00"),
        "valid_to": date(2030, 12, 31),
        "area": WHOLE_VIEW,
    }


@pytest.mark.parametrize("file_format", list(InventoryFormat))
def test_written_rows_read_back_as_they_were(tmp_path: Path, file_format: InventoryFormat) -> None:
    written = {"id": "cam-1", "name": 'Quay, "north"', "hfov_deg": 62.0, "tolerance": 0.025,
               "hours": ("06:00-22:00",), "valid_from": date(2026, 1, 1),
               "area": ((0.0, 0.0), (1920.5, 0.0), (1920.5, 1080.0))}  # fmt: skip
    path = tmp_path / f"fleet.{file_format}"
    path.write_text(write_inventory([written], file_format), encoding="utf-8")
    [row] = read_inventory(path).rows
    assert {column: row.get(column) for column in written if column != "id"} == {
        column: value for column, value in written.items() if column != "id"
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("name,source\nQuay,x.png\n", "no 'id' column"),
        ("id,hfov\ncam-1,62\n", "column 'hfov' in the header is not an inventory column"),
        ("id,id\ncam-1,cam-1\n", "column 'id' is in the header twice"),
    ],
)
def test_a_header_that_cannot_serve_refuses_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InventoryError, match=message):
        read_inventory(path)
