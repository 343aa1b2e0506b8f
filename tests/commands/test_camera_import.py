"""``camera import`` and ``camera export``: a fleet's inventory in, the same table out, nothing twice."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from fov_monitor.db.database import Database
from fov_monitor.errors import StoreError
from fov_monitor.store.store import Store
from tests.support.cli import assert_cli_error, run_main
from tests.support.files import tree_bytes
from tests.support.images import sample_bgr

HEADER = (
    "id,name,group,source,auth,username,password_env,hfov_deg,timeout_s,"
    "decision,valid_from,valid_to,hours,purpose,area"
)
SECRET = "hunter2"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 600x400 photograph a camera's source points to."""
    path = tmp_path_factory.mktemp("sources") / "coffee.png"
    cv2.imwrite(str(path), sample_bgr("coffee"))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, store: Path) -> Cli:
    """Run ``fov-monitor`` in process as 'ines' on a new store, given to every command as ``--store``."""
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "ines")
    assert run_main(capsys, "init", "--store", store)[0] == 0
    return lambda *args: run_main(capsys, *args, "--store", store)


def inventory(folder: Path, *rows: str, header: str = HEADER, name: str = "fleet.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def audit_log(store: Path, camera_id: str | None = None) -> list[tuple[str, str]]:
    """Return (camera, action) of the audit lines about cameras, oldest first."""
    with Database(store / "fov-monitor.sqlite") as database:
        return [(e.camera_id, e.action) for e in reversed(database.audit_entries(camera_id)) if e.camera_id]


MALFORMED = [
    ("cam-2,,,{view},,,,wide,,,,,,,", "hfov_deg", "must be a number, got 'wide'"),
    ("cam-3,,,{view},,,,,,KS-3,1.1.2026,,,,whole view", "valid_from", "must be a day, YYYY-MM-DD"),
    ("cam-4,,,{view},,,,,,KS-4,,,6-22,,whole view", "hours", "'6-22' must read 'HH:MM-HH:MM'"),
    ('cam-5,,,{view},,,,,,,,,,,"0,0 10,0"', "area", "at least 3 distinct points"),
    ("cam-6,,,{view},ntlm,viewer,CAM6,,,,,,,,", "auth", "one of basic, digest"),
    ("cam 7,,,{view},,,,,,,,,,,", "id", "is not allowed"),
    ("cam-8,,,{view},,,,,900,,,,,,", "timeout_s", "seconds between 0 and 600"),
    ("cam-9,,,{view},,,,,,,,,,harbour safety,whole view", "purpose", "needs the decision's reference"),
    ("cam-10,,,{view},digest,viewer,,,,,,,,,", "password_env", "exactly one of"),
    ("cam-11,,,,,,,,,,,,,,", "source", "is empty"),
    ("cam-12,,,{view},,,", None, "has 7 cells, the header 15"),
    ("cam-1,,,{view},,,,,,,,,,,", "id", "is on row(s) 2 too"),
]
"""A row with one fault each (``{view}`` a good source), the column named, and what the error says."""


def test_a_dry_run_names_the_row_and_column_of_every_error_and_writes_nothing(
    cli: Cli, store: Path, view: Path, tmp_path: Path
) -> None:
    rows = [f"cam-1,Quay,harbour,{view},,,,62,3,KS-1,2026-01-01,2030-12-31,06:00-22:00,safety,whole view"]
    rows += [cells.format(view=view) for cells, _, _ in MALFORMED]
    path = inventory(tmp_path, *rows)
    before = tree_bytes(store)
    code, out, err = cli("camera", "import", path, "--dry-run")
    assert code == 1
    assert err.splitlines() == [
        f"error: {len(MALFORMED) + 1} row(s) of {path} would be left out (listed above with their row and "
        "column); correct them and import the file again"
    ]
    lines = out.splitlines()
    invalid = len(MALFORMED) + 1
    assert (
        lines[-1]
        == f"{path}: would add 0, change 0; 0 unchanged, {invalid} invalid; nothing was written (dry run)"
    )
    last = 2 + len(MALFORMED)
    assert f"row 2, column 'id': camera cam-1 is on row(s) {last} too; give one row a camera" in lines
    for row, (_, column, fragment) in enumerate(MALFORMED, start=3):
        where = f"row {row}" + (f", column {column!r}" if column else "")
        [line] = [line for line in lines if line.startswith(where + ":")]
        assert fragment in line, line
    assert tree_bytes(store) == before


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("fleet.csv", "id,source,password\ncam-1,{view}," + SECRET, "column 'password' is refused"),
        ("fleet.csv", f"id,source\ncam-1,http://admin:{SECRET}@127.0.0.1:9/x.jpg", "row 2, column 'source'"),
        ("fleet.csv", f"id,source\ncam-1,http://127.0.0.1:9/x.jpg?token={SECRET}", "row 2, column 'source'"),
        ("fleet.csv", f"id,source,auth,username,password_env\ncam-1,{{view}},basic,v,{SECRET}!",
         "'password_env'"),
        ("fleet.jsonl", '{{"id": "cam-1", "source": "{view}", "password": "' + SECRET + '"}}',
         "row 1, column 'password'"),
    ],
    ids=["column", "url-password", "url-token", "password-as-env-name", "jsonl-key"],
)  # fmt: skip
def test_a_password_in_the_file_is_refused_and_never_repeated(
    cli: Cli, store: Path, view: Path, tmp_path: Path, name: str, content: str, where: str
) -> None:
    path = tmp_path / name
    path.write_text(content.format(view=view) + "\n", encoding="utf-8")
    before = tree_bytes(store)
    code, out, err = cli("camera", "import", path)
    assert code == 1
    assert where in out + err
    assert "a password is never taken from an inventory file" in out + err or "not the password" in out
    assert SECRET not in out + err
    assert tree_bytes(store) == before
    assert audit_log(store) == []


def test_valid_rows_are_imported_each_audited_and_a_reimport_changes_nothing(
    cli: Cli, store: Path, view: Path, tmp_path: Path
) -> None:
    rows = [
        f"cam-1,Quay,harbour,{view},,,,62,3,KS-1,2026-01-01,2030-12-31,06:00-22:00 22:00-23:00,safety,"
        "whole view",
        f'cam-2,Gate,harbour,{view},digest,viewer,CAM2_PASSWORD,,,,,,,,"0,0 600,0 600,300"',
        f"cam-3,Bad,north,{view},,,,400,,,,,,,",
    ]  # fmt: skip
    path = inventory(tmp_path, *rows)
    code, out, err = cli("camera", "import", path)
    assert code == 1, err
    assert out.splitlines() == [
        "row 2: cam-1 added",
        "row 3: cam-2 added",
        "row 4, column 'hfov_deg': must be degrees between 0 and 180, got 400.0",
        f"{path}: added 2, changed 0; 0 unchanged, 1 invalid",
    ]
    assert not (store / "cam-3").exists()
    config = json.loads((store / "cam-2" / "camera.json").read_text())
    assert config["auth"] == {"kind": "digest", "username": "viewer", "password_env": "CAM2_PASSWORD"}
    pending = json.loads((store / "cam-1" / "permit-pending.json").read_text())
    assert pending["decision"]["permitted_hours"] == ["06:00-22:00", "22:00-23:00"]
    assert json.loads((store / "cam-2" / "permit.json").read_text())["reference_size"] is None
    assert audit_log(store) == [("cam-1", "camera imported"), ("cam-2", "camera imported")]

    before = tree_bytes(store)
    code, out, _ = cli("camera", "import", path)
    assert code == 1
    assert out.splitlines()[:2] == ["row 2: cam-1 unchanged", "row 3: cam-2 unchanged"]
    assert tree_bytes(store) == before
    assert len(audit_log(store)) == 2

    rows[1] = f'cam-2,Gate,harbour,{view},digest,viewer,CAM2_PASSWORD,,5,KS-2,,,,,"0,0 600,0 600,300"'
    path = inventory(tmp_path, *rows[:2])
    code, out, _ = cli("camera", "import", path, "--dry-run")
    assert (code, out.splitlines()[1]) == (0, "row 3: cam-2 changed (timeout_s, decision)")
    assert tree_bytes(store) == before
    code, out, _ = cli("camera", "import", path)
    assert (code, out.splitlines()[0]) == (0, "row 3: cam-2 changed (timeout_s, decision)")
    assert json.loads((store / "cam-2" / "camera.json").read_text())["timeout_s"] == 5.0
    assert json.loads((store / "cam-2" / "permit.json").read_text())["decision"]["reference_number"] == "KS-2"
    assert len(list((store / "cam-2" / "history").glob("permit-*.json"))) == 1, "the previous permit kept"
    with Database(store / "fov-monitor.sqlite") as database:
        line = database.audit_entries("cam-2")[0]
    assert (line.action, line.detail["row"], line.detail["changed"]) == (
        "camera imported",
        3,
        ["timeout_s", "decision"],
    )


def test_each_camera_is_written_whole_or_not_at_all_its_audit_line_first(
    cli: Cli, store: Path, view: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = inventory(tmp_path, f'cam-1,,,{view},,,,,,KS-1,,,,,"0,0 600,0 600,400"')

    def full_disk(*args: object, **kwargs: object) -> None:
        raise StoreError("cannot write permit.json (No space left on device)")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "save_permit", full_disk)
        code, out, _ = cli("camera", "import", path)
    assert code == 1
    assert (
        out.splitlines()[0]
        == "row 2: cam-1 added, NOT written: cannot write permit.json (No space left on device)"
    )
    assert not (store / "cam-1").exists(), "the camera added for the row is taken back"
    assert audit_log(store) == [("cam-1", "camera imported"), ("cam-1", "camera import failed")]

    def database_down(*args: object, **kwargs: object) -> None:
        raise StoreError("database is locked")

    with monkeypatch.context() as patched:
        patched.setattr(Database, "audit", database_down)
        result = cli("camera", "import", path)
    assert_cli_error(result, "database is locked")
    assert not (store / "cam-1").exists(), "no audit line, no change"


@pytest.mark.parametrize("name", ["fleet.csv", "fleet.jsonl"])
def test_an_export_imported_again_changes_nothing_and_names_secrets_only(
    cli: Cli, store: Path, view: Path, tmp_path: Path, name: str
) -> None:
    rows = [
        f'cam-1,"Quay, north end",harbour,{view},basic,viewer,CAM1_PASSWORD,62.5,3,KS-1,2026-01-01,,'
        '06:00-22:00,"safety; ""night""",whole view',
        f'cam-2,Gate,harbour,{view},,,,,,,,,,,"0,0 600.5,0 600,300"',
        f"cam-3,,north,{view},,,,,,,,,,,",
    ]  # fmt: skip
    assert cli("camera", "import", inventory(tmp_path, *rows))[0] == 0
    url = f"http://admin:{SECRET}@127.0.0.1:9/x.jpg?token={SECRET}"
    assert cli("camera", "add", "cam-4", "--source", url, "--group", "north")[0] == 0
    exported = tmp_path / "out" / name
    exported.parent.mkdir()
    code, _, err = cli("camera", "export", "--out", exported)
    assert code == 0
    assert "cam-4: its source holds a secret, written as ***" in err
    text = exported.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "CAM1_PASSWORD" in text
    if name.endswith(".csv"):
        table = list(csv.DictReader(io.StringIO(text)))
        assert [row["id"] for row in table] == ["cam-1", "cam-2", "cam-3", "cam-4"]
        assert (table[0]["area"], table[1]["area"], table[2]["area"]) == (
            "whole view",
            "0,0 600.5,0 600,300",
            "",
        )
        assert table[3]["source"] == "http://admin:***@127.0.0.1:9/x.jpg?token=***"
    else:
        first = json.loads(text.splitlines()[0])
        assert (first["hfov_deg"], first["hours"], first["valid_to"]) == (62.5, ["06:00-22:00"], None)

    before = tree_bytes(store)
    code, out, _ = cli("camera", "import", exported)
    assert code == 0
    assert out.splitlines()[-1] == f"{exported}: added 0, changed 0; 4 unchanged, 0 invalid"
    assert tree_bytes(store) == before
    assert json.loads((store / "cam-4" / "camera.json").read_text())["source"] == url, (
        "the masked source kept"
    )

    code, out, _ = cli("camera", "export", "--group", "north", "--format", "csv")
    assert [line.split(",")[0] for line in out.splitlines()] == ["id", "cam-3", "cam-4"]


def test_a_permit_given_before_the_reference_is_checked_or_set_when_it_is_captured(
    cli: Cli, store: Path, view: Path, tmp_path: Path
) -> None:
    rows = [
        f"cam-1,,,{view},,,,,,KS-1,,,,traffic,whole view",
        f'cam-2,,,{view},,,,,,,,,,,"0,0 5000,0 5000,5000 0,5000"',
    ]
    assert cli("camera", "import", inventory(tmp_path, *rows))[0] == 0
    code, out, err = cli("reference", "capture", "cam-1")
    assert code == 0, err
    assert "permit set: the whole view, as given before the reference (KS-1)" in out
    permit = json.loads((store / "cam-1" / "permit.json").read_text())
    assert permit["permitted_xy"] == [[0, 0], [600, 0], [600, 400], [0, 400]]
    assert (permit["reference_size"], permit["decision"]["purpose"]) == ([600, 400], "traffic")
    assert not (store / "cam-1" / "permit-pending.json").exists()
    assert audit_log(store, "cam-1")[-2:] == [("cam-1", "reference captured"), ("cam-1", "permit set")]
    assert_cli_error(cli("reference", "capture", "cam-2"), "permitted polygon", "far outside", "600x400")
    assert not (store / "cam-2" / "references" / "day.json").exists()
