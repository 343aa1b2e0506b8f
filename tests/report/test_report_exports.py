"""Exports tied to their build: build time, version, organisation and period in both exports, a
checksum of every file, CSV that opens right in a Swedish spreadsheet, and the sign-off block."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from fov_monitor import __version__
from fov_monitor.cli import main
from fov_monitor.db.database import Database
from fov_monitor.report.output import MANIFEST
from fov_monitor.store.store import Store
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import make_store, write_scans


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, view_cache: Path) -> Store:
    store = make_store(
        tmp_path_factory.mktemp("exports") / "store",
        {"cam-1": "söder", "cam-2": "söder"},
        sample_bgr("astronaut"),
    )
    warm(store, view_cache)
    config = store.camera("cam-1")
    store.save_camera(dataclasses.replace(config, place="Södra hamnen, kaj 4"))
    with Database(store.database_path) as database:
        write_scans(
            database,
            {"cam-1": ["compliant", "redirected", "compliant"], "cam-2": ["compliant"] * 3},
            date(2026, 3, 1),
        )
    return store


def _build(store: Store, out: Path, *options: str) -> None:
    args = ["--store", str(store.root), "--actor", "auditor-eva", "report", "yearly", "--year", "2026"]
    assert main([*args, "--out", str(out), *options]) == 0


@pytest.fixture(scope="module")
def comma(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports-out") / "comma"
    _build(store, out, "--prepared-for", "the municipal audit committee")
    return out


def test_both_exports_name_their_build(comma: Path) -> None:
    data = (comma / "figures.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["place"] == "Södra hamnen, kaj 4"
    for row in rows:
        assert (row["organisation"], row["period_from"], row["period_to"], row["to_date"]) == (
            "Municipality of Example", "2026-01-01", "2026-12-31", "False"
        )  # fmt: skip
        assert row["fov_monitor_version"] == __version__
        assert row["built_at"].startswith("2027-02-01T09:00:00")
    build = json.loads((comma / "figures.json").read_text(encoding="utf-8"))["build"]
    assert build == {
        "built_at": "2027-02-01T09:00:00+00:00",
        "fov_monitor_version": __version__,
        "organisation": "Municipality of Example",
        "period": {"from": "2026-01-01", "to": "2026-12-31", "to_date": False, "days": 365},
    }


def test_the_report_folder_has_a_checksum_of_every_file(comma: Path) -> None:
    listed = [line.split("  ", 1)[1] for line in (comma / MANIFEST).read_text(encoding="utf-8").splitlines()]
    files = sorted(
        p.relative_to(comma).as_posix() for p in comma.rglob("*") if p.is_file() and p.name != MANIFEST
    )
    assert listed == files
    assert {"figures.csv", "figures.json", "index.html", "cameras/cam-1.html"} <= set(listed)
    checked = subprocess.run(
        ["sha256sum", "--check", "--strict", MANIFEST], cwd=comma, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (comma / "figures.csv").write_bytes((comma / "figures.csv").read_bytes() + b"\r\n")
    try:
        tampered = subprocess.run(
            ["sha256sum", "--check", MANIFEST], cwd=comma, capture_output=True, text=True
        )
        assert tampered.returncode == 1
        assert "figures.csv: FAILED" in tampered.stdout
    finally:
        (comma / "figures.csv").write_bytes((comma / "figures.csv").read_bytes()[:-2])


def test_the_semicolon_dialect_opens_in_columns_in_a_swedish_spreadsheet(
    store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "semicolon"
    _build(store, out, "--csv-dialect", "semicolon")
    data = (out / "figures.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("camera_id;name;place;group;")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    cam1 = next(row for row in rows if row["camera_id"] == "cam-1")
    assert cam1["share_compliant"] == "0,6666666666666666"  # a decimal comma
    assert cam1["max_outside"] == "0,12"
    assert cam1["place"] == "Södra hamnen, kaj 4"


def test_the_index_has_a_sign_off_block(comma: Path) -> None:
    index = (comma / "index.html").read_text(encoding="utf-8")
    block = index[index.index('<section id="sign-off"') :]
    assert "<dt>Prepared by</dt><dd>auditor-eva, 2027-02-01 09:00 (UTC)" in block
    assert "<dt>Prepared for</dt><dd>the municipal audit committee</dd>" in block
    assert "<dt>Date and signature</dt>" in block
    assert '@top-center { content: "Yearly follow-up report 2026: Municipality of Example"; }' in index
    assert 'content: "Page " counter(page) " of " counter(pages)' in index
