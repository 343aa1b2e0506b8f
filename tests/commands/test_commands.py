"""The technician's commands end to end: a real store on disk, cameras served over HTTP on loopback."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from fov_monitor.core.synthetic import crop_move
from fov_monitor.db.database import Database
from tests.support.cli import assert_cli_error, run_main
from tests.support.enrolled_camera import CAMERA_SHIFT, EnrolledCamera
from tests.support.files import temporary_files, tree_bytes
from tests.support.images import sample_bgr
from tests.support.snapshot_server import SnapshotServer

Enrolled = tuple[EnrolledCamera, Path]
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run ``fov-monitor`` in process as the technician 'tess'."""
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "tess")
    monkeypatch.delenv("FOV_MONITOR_STORE", raising=False)
    monkeypatch.delenv("FOV_MONITOR_UNBLURRED", raising=False)
    return lambda *args: run_main(capsys, *args)


def audit_actions(store: Path, camera_id: str | None = None) -> list[tuple[str, str]]:
    """Return (actor, action) of the store's audit log, oldest first."""
    with Database(store / "fov-monitor.sqlite") as database:
        return [(e.actor, e.action) for e in reversed(database.audit_entries(camera_id))]


def test_technician_enrols_draws_captures_and_checks(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "store"
    view = crop_move(sample_bgr("astronaut"), (0.0, 0.0)).reference
    height, width = view.shape[:2]
    with SnapshotServer() as server:
        server.put("/c.png", view)
        assert cli("init", "--store", store)[0] == 0
        code, out, _ = cli(
            "camera", "add", "cam-1", "--source", server.url("/c.png"), "--hfov", "62", "--group", "quay",
            "--name", "Quay", "--timeout", "3", "--store", store,
        )  # fmt: skip
        assert (code, out) == (0, "added cam-1; next: fov-monitor reference capture cam-1\n")
        code, out, err = cli("--store", store, "reference", "capture", "cam-1", "--json")
        assert code == 0, err
        captured = json.loads(out)
        record = json.loads((store / "cam-1" / "references" / "day.json").read_text())
        smallest = record["self_test"]["smallest_shift_fraction"]
        assert isinstance(smallest, float)
        assert smallest <= 0.02
        assert record["self_test"]["smallest_pan_deg"] == pytest.approx(smallest * 62)
        assert record["self_test"] == captured["self_test"]
        assert record["size_wh"] == [width, height] == captured["size_wh"]
        png = (store / "cam-1" / "references" / "day.png").read_bytes()
        assert record["image_sha256"] == hashlib.sha256(png).hexdigest()
        assert record["captured_by"] == "tess"
        code, out, _ = cli(
            "permit", "set", "cam-1", "--polygon", f"0,0 {width},0 {width},{height} 0,{height}",
            "--decision", "KS-2026-114", "--valid-from", "2026-01-01", "--valid-to", "2030-12-31",
            "--hours", "06:00-22:00", "--store", store,
        )  # fmt: skip
        assert code == 0
        assert "0 privacy zone(s)" in out
        code, out, err = cli("check", "cam-1", "--store", store, "--json")
        assert (code, err) == (0, "")
        checked = json.loads(out)
        assert checked["status"] == "compliant"
        assert checked["evidence"] is None
        assert checked["outside_fraction"] < 0.005
        assert {"grab", "check", "evidence", "record", "total"} <= set(checked["timings_ms"])
        # A live camera's next grab differs by sensor noise at least.
        noise = np.random.default_rng(7).normal(0, 2.0, view.shape)
        server.put("/c.png", np.clip(view + noise, 0, 255).astype(np.uint8))
        code, out, _ = cli("check", "cam-1", "--store", store)
        assert code == 0
        assert out.startswith(f"cam-1 ({server.url('/c.png')}): COMPLIANT\n")
        assert "KS-2026-114, valid 2026-01-01 to 2030-12-31" in out
        # The very same picture again: the feed is frozen.
        code, out, _ = cli("check", "cam-1", "--store", store, "--json")
        assert (code, json.loads(out)["tamper"]["kind"]) == (3, "frozen")
    assert [action for _, action in audit_actions(store)] == [
        "store initialised", "camera added", "reference captured", "permit set", "check", "check", "check",
    ]  # fmt: skip
    assert {actor for actor, _ in audit_actions(store)} == {"tess"}


def test_camera_that_was_panned_exits_three_with_evidence(cli: Cli, enrolled: Enrolled) -> None:
    camera, store = enrolled
    camera.server.put(camera.path, camera.panned)
    code, out, err = cli("check", camera.camera_id, "--store", store, "--json", "--actor", "night-shift")
    assert code == 3, err
    checked = json.loads(out)
    assert checked["status"] == "redirected"
    assert checked["shift_fraction"][0] == pytest.approx(CAMERA_SHIFT, abs=0.005)
    assert checked["pan_deg"] == pytest.approx(CAMERA_SHIFT * 60, abs=1.0)
    evidence = Path(checked["evidence"])
    assert evidence.parent == store / "_evidence" / camera.camera_id
    image = cv2.imread(str(evidence))
    assert image is not None
    assert image.shape[0] > 480
    assert checked["timings_ms"]["evidence"] > 0
    assert checked["timings_ms"]["total"] >= checked["timings_ms"]["grab"] + checked["timings_ms"]["check"]
    assert checked["core_timings_ms"]["total"] <= checked["timings_ms"]["check"]
    assert audit_actions(store, camera.camera_id)[-1] == ("night-shift", "check")


def test_privacy_zone_turned_into_view_exits_three_as_zone_exposed(cli: Cli, enrolled: Enrolled) -> None:
    camera, store = enrolled
    height, width = camera.reference.shape[:2]
    # The zone lies just right of the view; the camera panned 10% right now shows it.
    x0, x1 = width - 40, width
    code, _, err = cli(
        "permit", "set", camera.camera_id, "--store", store,
        "--polygon", f"0,0 {width},0 {width},{height} 0,{height}",
        "--zone", f"neighbour={x0},100 {x1},100 {x1},200 {x0},200",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = cli("check", camera.camera_id, "--store", store, "--json")
    checked = json.loads(out)
    assert (code, checked["status"]) == (3, "zone_exposed")
    assert checked["zones"][0]["name"] == "neighbour"
    assert checked["zones"][0]["visible_fraction"] > 0.9
    assert Path(checked["evidence"]).is_file()


def test_history_lists_results_newest_first(cli: Cli, enrolled: Enrolled) -> None:
    camera, store = enrolled
    assert cli("check", camera.camera_id, "--store", store, "--evidence", "never")[0] == 0
    camera.server.put(camera.path, camera.panned)
    assert cli("check", camera.camera_id, "--store", store, "--evidence", "never")[0] == 3
    code, out, _ = cli("history", camera.camera_id, "--store", store, "--json")
    rows = json.loads(out)
    assert code == 0
    assert [row["status"] for row in rows] == ["redirected", "compliant"]
    assert rows[0]["result_id"] > rows[1]["result_id"]
    assert rows[0]["shift_fraction"] == pytest.approx(CAMERA_SHIFT, abs=0.005)
    assert rows[0]["evidence_path"] is None
    code, out, _ = cli("history", camera.camera_id, "--store", store, "--limit", "1")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["checked", "status"]
    assert len(lines) == 2
    assert "redirected" in lines[1]


def test_camera_list_show_and_edit(cli: Cli, enrolled: Enrolled) -> None:
    camera, store = enrolled
    code, out, _ = cli("camera", "list", "--store", store, "--json")
    [listed] = json.loads(out)
    assert (code, listed["camera_id"], listed["group"], listed["hfov_deg"]) == (0, "cam-a", "harbour", 60.0)
    assert json.loads(cli("camera", "list", "--store", store, "--json", "--group", "other")[1]) == []
    code, out, _ = cli("camera", "list", "--store", store)
    assert out.splitlines()[0].split() == ["camera", "group", "name", "place", "source"]
    assert out.splitlines()[1].split()[:2] == ["cam-a", "harbour"]

    code, out, _ = cli(
        "camera", "edit", "cam-a", "--store", store, "--tolerance", "0.05", "--place", "Pier 4"
    )
    assert (code, out) == (0, "updated cam-a: place, tolerance\n")
    code, out, _ = cli("camera", "show", "cam-a", "--store", store, "--json")
    shown = json.loads(out)
    assert shown["camera"]["tolerance"] == 0.05
    assert shown["camera"]["place"] == "Pier 4"
    assert shown["camera"]["hfov_deg"] == 60.0  # not given, kept
    assert shown["permit"]["tolerance"] == 0.05
    assert shown["permit"]["reference_size"] == list(camera.reference.shape[1::-1])
    assert [r["label"] for r in shown["references"]] == ["day"]
    code, out, _ = cli("camera", "show", "cam-a", "--store", store)
    assert "place        Pier 4" in out
    assert "reference    day: 480x320" in out
    assert "detects moves from" in out
    assert [a for _, a in audit_actions(store, "cam-a")][-1] == "camera edited"
    assert_cli_error(cli("camera", "edit", "cam-a", "--store", store), "nothing to change")
    assert_cli_error(cli("camera", "edit", "cam-a", "--store", store, "--tolerance", "2"), "tolerance", "2.0")
    assert json.loads((store / "cam-a" / "camera.json").read_text())["tolerance"] == 0.05


def test_permit_set_keeps_what_is_not_given_and_the_previous_permit(cli: Cli, enrolled: Enrolled) -> None:
    camera, store = enrolled
    first = ["--decision", "KS-1", "--valid-from", "2026-01-01", "--valid-to", "2027-01-01", "--hours"]
    code, _, err = cli(
        "permit", "set", "cam-a", "--store", store, *first, "08:00-18:00", "--zone", "door=10,10 60,10 60,60"
    )
    assert code == 0, err
    code, _, _ = cli("permit", "set", "cam-a", "--store", store, "--valid-to", "2028-06-30", "--actor", "lee")
    assert code == 0
    permit = json.loads((store / "cam-a" / "permit.json").read_text())
    assert permit["decision"] == {
        "reference_number": "KS-1", "valid_from": "2026-01-01", "valid_to": "2028-06-30",
        "permitted_hours": ["08:00-18:00"], "purpose": "",
    }  # fmt: skip
    assert list(permit["privacy_zones"]) == ["door"]
    assert permit["permitted_xy"][0] == pytest.approx(list(camera.permit_xy[0]))
    assert permit["set_by"] == "lee"
    history = sorted((store / "cam-a" / "history").glob("permit-*.json"))
    assert len(history) == 2
    assert json.loads(history[-1].read_text())["decision"]["valid_to"] == "2027-01-01"
    code, out, _ = cli("permit", "show", "cam-a", "--store", store)
    assert "decision     KS-1" in out
    assert "zone         door" in out


def test_permit_drawn_for_another_reference_size(cli: Cli, enrolled: Enrolled) -> None:
    _, store = enrolled
    permit_path = store / "cam-a" / "permit.json"
    before = permit_path.read_bytes()
    line = assert_cli_error(
        cli("permit", "set", "cam-a", "--store", store, "--polygon", "0,0 1920,0 1920,1080 0,1080"),
        "far outside",
        "480x320",
    )
    assert "1920" in line
    assert permit_path.read_bytes() == before
    edited = json.loads(before) | {"reference_size": [1920, 1080]}
    permit_path.write_text(json.dumps(edited))
    assert_cli_error(
        cli("check", "cam-a", "--store", store), permit_path, "1920x1080", "480x320", "permit set"
    )
    code, out, _ = cli("validate", "--store", store)
    assert code == 1
    assert f"{permit_path}: field 'reference_size' is 1920x1080, the reference is 480x320" in out


def test_a_wrong_size_in_the_reference_record_is_blamed_on_the_record(cli: Cli, enrolled: Enrolled) -> None:
    _, store = enrolled
    record = store / "cam-a" / "references" / "day.json"
    record.write_text(json.dumps(json.loads(record.read_text()) | {"size_wh": [240, 160]}))
    code, out, _ = cli("validate", "--store", store, "--json")
    [problem] = json.loads(out)[0]["problems"]  # the record, and not the permit drawn on the image
    assert code == 1
    assert problem.startswith(f"{record}: field 'size_wh' is 240x160, but the image day.png is 480x320")
    whole = "0,0 480,0 480,320 0,320"
    assert_cli_error(cli("permit", "set", "cam-a", "--polygon", whole, "--store", store), record, "'size_wh'")


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--zone", "door=10,10 60,10 60,60", "--zone", "door=100,10 160,10 160,60"], ["'door'", "twice"]),
        (["--zone", f"{'w' * 300}=10,10 60,10 60,60"], ["privacy zone name", "1-64 characters"]),
        (["--zone", " =10,10 60,10 60,60"], ["--zone", "NAME="]),
        (["--polygon", "485,0 500,0 500,320 485,320"], ["covers 0.0%", "480x320", "every check"]),
        (["--polygon", "0,0 1e300,0 480,320 0,320"], ["spans x 0..1e+300", "480x320"]),
        (["--polygon", "0,0 1e-9,0 1e-9,1e-9"], ["less than one"]),
    ],
    ids=["repeated-zone", "long-zone-name", "blank-zone-name", "outside-in-margin", "1e300", "negligible"],
)
def test_permit_set_refuses_what_it_would_store_wrongly(
    cli: Cli, enrolled: Enrolled, options: list[str], fragments: list[str]
) -> None:
    _, store = enrolled
    before = tree_bytes(store / "cam-a")
    line = assert_cli_error(cli("permit", "set", "cam-a", "--store", store, *options), *fragments)
    assert len(line) < 300
    assert tree_bytes(store / "cam-a") == before


def test_rebaseline_keeps_the_old_reference_and_records_who_and_why(
    cli: Cli, enrolled: Enrolled, tmp_path: Path
) -> None:
    _, store = enrolled
    references = store / "cam-a" / "references"
    old = tree_bytes(references)
    line = assert_cli_error(
        cli("reference", "capture", "cam-a", "--store", store), "already has a 'day' reference"
    )
    assert "rebaseline cam-a" in line
    assert tree_bytes(references) == old
    code, _, err = cli("reference", "rebaseline", "cam-a", "--store", store, "--reason", "x")
    assert code == 2
    assert "--approved-by" in err

    new_view = tmp_path / "new.png"
    cv2.imwrite(str(new_view), crop_move(sample_bgr("coffee"), (0.03, 0.0)).live)
    code, out, err = cli(
        "reference", "rebaseline", "cam-a", "--store", store, "--from", new_view, "--json",
        "--reason", "mast replaced", "--approved-by", "chief Ana", "--actor", "tom",
    )  # fmt: skip
    assert code == 0, err
    kept = Path(json.loads(out)["previous_kept_at"])
    assert kept.parent == store / "cam-a" / "history"
    assert {name: data for name, data in tree_bytes(kept).items()} == old
    assert tree_bytes(references)["day.png"] != old["day.png"]
    record = json.loads((references / "day.json").read_text())
    assert record["rebaseline"]["reason"] == "mast replaced"
    assert record["rebaseline"]["approved_by"] == "chief Ana"
    with Database(store / "fov-monitor.sqlite") as database:
        entry = database.audit_entries("cam-a")[0]
    assert (entry.actor, entry.action) == ("tom", "reference rebaselined")
    assert (entry.detail["reason"], entry.detail["approved_by"]) == ("mast replaced", "chief Ana")
    assert entry.detail["previous_kept_at"] == str(kept)
    # The drawing moved with the 3% turn, so the permit still covers the same place: 3% of the new view
    # lies beyond it (tolerance 2%), as it did before the re-baseline.
    carried = database_entries(store, "permit carried over")
    assert carried[0]["shift_fraction"][0] == pytest.approx(0.03, abs=0.005)
    assert cli("check", "cam-a", "--store", store, "--from", new_view)[0] == 3


def database_entries(store: Path, action: str) -> list[dict[str, Any]]:
    with Database(store / "fov-monitor.sqlite") as database:
        return [dict(e.detail) for e in database.audit_entries(limit=1000) if e.action == action]


def test_remove_moves_the_camera_aside_and_validate(cli: Cli, enrolled: Enrolled) -> None:
    _, store = enrolled
    code, out, _ = cli("validate", "--store", store, "--json")
    assert (code, json.loads(out)) == (0, [{"camera": "cam-a", "problems": []}])
    before = tree_bytes(store / "cam-a")
    code, out, _ = cli("--store", store, "camera", "remove", "cam-a")
    assert code == 0
    [kept] = (store / ".removed").iterdir()
    assert str(kept) in out
    assert tree_bytes(kept) == before
    assert json.loads(cli("camera", "list", "--store", store, "--json")[1]) == []
    assert audit_actions(store, "cam-a")[-1] == ("tess", "camera removed")
    assert_cli_error(cli("check", "cam-a", "--store", store), "'cam-a' is not in the store", "camera list")


@pytest.mark.parametrize(
    ("damage", "fragments"),
    [
        ("camera.json", ["camera.json", "is not valid JSON"]),
        ("tolerance", ["camera.json", "tolerance", "'high'"]),
        ("day.json", ["day.json", "field 'image_sha256' is missing"]),
        ("day.png", ["day.png", "checksum"]),
        ("permit.json", ["permit.json", "field 'schema_version' is 7"]),
    ],
)
def test_validate_names_the_damaged_file_and_field(
    cli: Cli, enrolled: Enrolled, damage: str, fragments: list[str]
) -> None:
    _, store = enrolled
    folder = store / "cam-a"
    if damage == "camera.json":
        (folder / "camera.json").write_text("{oops")
    elif damage == "tolerance":
        settings = json.loads((folder / "camera.json").read_text())
        (folder / "camera.json").write_text(json.dumps(settings | {"tolerance": "high"}))
    elif damage == "day.json":
        record = json.loads((folder / "references" / "day.json").read_text())
        del record["image_sha256"]
        (folder / "references" / "day.json").write_text(json.dumps(record))
    elif damage == "day.png":
        png = folder / "references" / "day.png"
        png.write_bytes(png.read_bytes()[:-100])
    else:
        permit = json.loads((folder / "permit.json").read_text())
        (folder / "permit.json").write_text(json.dumps(permit | {"schema_version": 7}))
    code, out, _ = cli("validate", "--store", store, "--json")
    [report] = json.loads(out)
    assert code == 1
    problem = " ".join(report["problems"])
    for fragment in fragments:
        assert fragment in problem
    assert_cli_error(cli("check", "cam-a", "--store", store), *fragments)


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_check_reads_past_a_missing_or_truncated_feature_cache_and_validate_repairs_it(
    cli: Cli, enrolled: Enrolled, damage: str
) -> None:
    _, store = enrolled
    cache = store / "cam-a" / "references" / "day.npz"
    size = cache.stat().st_size
    if damage == "deleted":
        cache.unlink()
    else:
        cache.write_bytes(cache.read_bytes()[: size // 3])
    before = tree_bytes(store / "cam-a")
    code, out, err = cli("check", "cam-a", "--store", store, "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "compliant"
    assert tree_bytes(store / "cam-a") == before  # a check reads the camera, it never writes it
    code, out, _ = cli("validate", "--store", store, "--json")
    [report] = json.loads(out)
    assert code == 1
    [problem] = report["problems"]
    assert str(cache) in problem
    assert "validate --repair" in problem
    code, out, err = cli("validate", "--store", store, "--repair")
    assert code == 0, out + err
    assert "repaired: reference day: feature cache day.npz rebuilt" in out
    assert cache.stat().st_size == pytest.approx(size, rel=0.05)
    assert temporary_files(store) == []
    assert audit_actions(store, "cam-a")[-1] == ("tess", "store repaired")
    assert cli("validate", "--store", store, "--json")[0] == 0


@pytest.mark.parametrize(
    "camera_id",
    ["../x", "a/b", "", "c" * 200, ".hidden", "_x", "fov-monitor.sqlite-wal", "settings.json", "weighing"],
)
def test_unsafe_camera_id_is_refused_by_every_command(cli: Cli, tmp_path: Path, camera_id: str) -> None:
    store = tmp_path / "store"
    cli("init", "--store", store)
    before = tree_bytes(tmp_path)
    assert_cli_error(cli("camera", "add", camera_id, "--source", "a.jpg", "--store", store), "is not allowed")
    assert_cli_error(cli("check", camera_id, "--store", store), "is not allowed")
    assert tree_bytes(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    assert cli("audit", "--store", store)[0] == 0  # the store's own files still work


def test_duplicate_and_unknown_cameras(cli: Cli, enrolled: Enrolled) -> None:
    _, store = enrolled
    before = tree_bytes(store / "cam-a")
    assert_cli_error(
        cli("camera", "add", "cam-a", "--source", "x.jpg", "--store", store), "'cam-a' already exists"
    )
    assert tree_bytes(store / "cam-a") == before
    for command in (["check"], ["history"], ["camera", "show"], ["camera", "remove"], ["permit", "show"]):
        assert_cli_error(cli(*command, "cam-zz", "--store", store), "'cam-zz' is not in the store")
    assert_cli_error(
        cli("camera", "list", "--store", store / "nowhere"), "does not exist", "fov-monitor init"
    )


def test_a_url_that_cannot_be_parsed_is_refused_at_camera_add_and_edit(cli: Cli, enrolled: Enrolled) -> None:
    _, store = enrolled
    before = tree_bytes(store)
    assert_cli_error(
        cli("camera", "add", "cam-v6", "--source", "http://[::1", "--store", store), "not a valid URL"
    )
    assert_cli_error(
        cli("camera", "edit", "cam-a", "--source", "http://[::1", "--store", store), "not a valid URL"
    )
    assert tree_bytes(store) == before


def test_sources_that_refuse_stall_or_send_html_are_one_line_errors(
    cli: Cli, enrolled: Enrolled, closed_port: int, silent_port: int
) -> None:
    camera, store = enrolled
    camera.server.put("/login.html", b"<html><body>Please log in</body></html>", "text/html")
    sources = {
        "refuses": (f"http://127.0.0.1:{closed_port}/s.jpg", "refused"),
        "stalls": (f"http://127.0.0.1:{silent_port}/s.jpg", "1 s"),
        "html": (camera.server.url("/login.html"), "text/html"),
    }
    assert cli("camera", "edit", "cam-a", "--timeout", "1", "--store", store)[0] == 0
    before = tree_bytes(store / "cam-a")
    for name, (url, fragment) in sources.items():
        code, _, err = cli(
            "camera", "add", f"cam-{name}", "--source", url, "--timeout", "1", "--store", store
        )
        assert code == 0, err
        for command in (["reference", "capture", f"cam-{name}"], ["check", "cam-a", "--from", url]):
            assert_cli_error(cli(*command, "--store", store), url.split("/s.jpg")[0], fragment)
        assert list((store / f"cam-{name}" / "references").iterdir()) == []
    assert tree_bytes(store / "cam-a") == before
