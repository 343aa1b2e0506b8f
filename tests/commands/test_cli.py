"""The command line, run as a user runs it: a separate process, files on disk, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.core.synthetic import crop_move
from fov_monitor.db.database import Database
from fov_monitor.errors import SourceUnreachable
from fov_monitor.sources import grab
from fov_monitor.store.store import Store
from tests.support.delivery import seed
from tests.support.images import png_header_only, sample_bgr


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fov_monitor", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str | Path) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"stderr is not one line: {done.stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("frames")
    still = crop_move(sample_bgr("astronaut"), (0.002, 0.0))
    moved = crop_move(sample_bgr("astronaut"), (0.08, 0.0))
    images = {
        "reference.png": still.reference,
        "still.jpg": still.live,
        "moved.jpg": moved.live,
        "black.png": np.zeros_like(still.live),
        "other.jpg": cv2.resize(sample_bgr("coffee"), still.live.shape[1::-1]),
    }
    paths = {}
    for name, image in images.items():
        paths[name.split(".")[0]] = folder / name
        cv2.imwrite(str(folder / name), image)
    return paths


def test_compliant_frame_exits_zero_with_a_readable_verdict(frames) -> None:
    done = run_cli("check-frame", frames["reference"], frames["still"])
    assert done.returncode == 0, done.stderr
    first, *rest = done.stdout.splitlines()
    assert first == f"{frames['still']}: COMPLIANT"
    text = "\n".join(rest)
    assert "view matches the reference inside the permit" in text
    assert str(frames["reference"]) in text
    assert "outside" in text
    assert "tolerance 2.0%" in text
    assert done.stderr == ""


def test_compliant_frame_as_json(frames) -> None:
    done = run_cli("check-frame", frames["reference"], frames["still"], "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "compliant"
    assert data["outside_fraction"] < 0.005
    assert len(data["H_live_to_ref"]) == 3
    truth = crop_move(sample_bgr("astronaut"), (0.002, 0.0)).H_live_to_ref
    np.testing.assert_allclose(data["H_live_to_ref"], truth, atol=0.5)
    assert data["pan_deg"] is None


def test_moved_frame_exits_three(frames) -> None:
    done = run_cli("check-frame", frames["reference"], frames["moved"], "--json", "--hfov", "70")
    assert done.returncode == 3
    data = json.loads(done.stdout)
    assert data["status"] == "redirected"
    assert data["shift_fraction"][0] == pytest.approx(0.08, abs=0.005)
    assert data["pan_deg"] > 0
    assert data["outside_fraction"] > 0.05


def test_moved_frame_readable_verdict_says_how_far_and_which_way(frames) -> None:
    done = run_cli("check-frame", frames["reference"], frames["moved"], "--hfov", "70")
    assert done.returncode == 3
    assert done.stdout.splitlines()[0] == f"{frames['moved']}: REDIRECTED"
    assert "outside the permit" in done.stdout
    assert "right" in done.stdout
    assert "pan +" in done.stdout


@pytest.mark.parametrize("frame", ["black", "other"])
def test_unverifiable_and_unrecognised_frames_exit_with_their_codes(frames, frame: str) -> None:
    done = run_cli("check-frame", frames["reference"], frames[frame], "--json")
    data = json.loads(done.stdout)
    expected = {"black": ("tampered", 3), "other": ("redirected", 3)}[frame]
    assert (data["status"], done.returncode) == expected
    assert data["H_live_to_ref"] is None


def test_permit_file_is_used(frames, tmp_path: Path) -> None:
    permit = tmp_path / "permit.json"
    permit.write_text(json.dumps({"permitted_xy": [[0, 0], [200, 0], [200, 200], [0, 200]]}))
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit, "--json")
    assert done.returncode == 3
    expected = 1 - 200 * 200 / (410 * 410)
    assert json.loads(done.stdout)["outside_fraction"] == pytest.approx(expected, abs=0.005)


def test_exposed_privacy_zone_exits_three(frames, tmp_path: Path) -> None:
    permit = tmp_path / "permit.json"
    permit.write_text(
        json.dumps(
            {
                "permitted_xy": [[0, 0], [410, 0], [410, 410], [0, 410]],
                "privacy_zones": {"neighbour": [[300, 50], [400, 50], [400, 150], [300, 150]]},
            }
        )
    )
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit, "--json")
    assert done.returncode == 3
    data = json.loads(done.stdout)
    assert data["status"] == "zone_exposed"
    assert data["zones"][0]["name"] == "neighbour"
    assert data["zones"][0]["visible_fraction"] == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "is not valid JSON (line 1"),
        ("", "is not valid JSON"),
        ('{"permitted_xy": [[0, 0], [1, 1]]}', "at least 3 distinct points"),
        ('{"permitted_xy": [[0, 0], [9, 0], [9, 9]], "colour": 1}', "unknown field 'colour'"),
        ('{"permitted_xy": [[0, 0], [9, 9], [9, 0], [0, 9]]}', "not a simple polygon"),
        ('{"permitted_xy": [[0, 0], [99, 0], [99, 99]], "tolerance": 0}', "tolerance"),
        ("[[0, 0], [99, 0], [99, 99]]", "expected a JSON object"),
        ('{"permitted_xy": [[0, 0], [4000, 0], [4000, 3000], [0, 3000]]}', "far outside"),
    ],
    ids=[
        "not-json",
        "empty",
        "two-points",
        "unknown-field",
        "bow-tie",
        "tolerance-0",
        "bare-list",
        "drawn-for-another-image",
    ],
)
def test_bad_permit_file_is_a_one_line_error_naming_the_file(
    frames, tmp_path: Path, content: str, fragment: str
) -> None:
    permit = tmp_path / "permit.json"
    permit.write_text(content)
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit)
    assert_one_line_error(done, fragment, permit)
    assert done.stdout == ""


def test_missing_permit_file_is_a_one_line_error(frames, tmp_path: Path) -> None:
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", tmp_path / "nope.json")
    assert_one_line_error(done, tmp_path / "nope.json", "does not exist")


def _write_broken(path: Path, source: Path) -> None:
    kind = path.stem
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not an image\n")
    elif kind == "huge":
        path.write_bytes(png_header_only(30000, 30000))
    else:  # half
        image = cv2.imread(str(source))
        cv2.imwrite(str(path), image)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("role", ["reference", "frame"])
@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("missing.jpg", "does not exist"),
        ("empty.jpg", "not an image"),
        ("text.png", "not an image"),
        ("half.jpg", "truncated"),
        ("half.png", "truncated"),
        ("half.ppm", ""),
        ("half.bmp", ""),
        ("huge.png", "over the limit"),
    ],
)
def test_bad_image_file_is_a_one_line_error_naming_it(
    frames, tmp_path: Path, role: str, name: str, fragment: str
) -> None:
    bad = tmp_path / name
    if name != "missing.jpg":
        _write_broken(bad, frames["reference"])
    args = [bad, frames["still"]] if role == "reference" else [frames["reference"], bad]
    done = run_cli("check-frame", *args)
    assert_one_line_error(done, bad, fragment)
    assert done.stdout == ""


@pytest.mark.parametrize("hfov", ["0", "180", "-30", "nan", "1e9"])
def test_impossible_field_of_view_is_a_one_line_error(frames, hfov: str) -> None:
    done = run_cli("check-frame", frames["reference"], frames["still"], "--hfov", hfov)
    assert_one_line_error(done, "--hfov")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["check-frame"],
        ["check-frame", "only-one.png"],
        ["check-frame", "a.png", "b.png", "--hfov", "wide"],
        ["check-frame", "a.png", "b.png", "--colour"],
        ["frobnicate"],
    ],
    ids=["no-command", "no-files", "one-file", "hfov-not-a-number", "unknown-option", "unknown-command"],
)
def test_usage_error_exits_two(args: list[str]) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert "usage: fov-monitor" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--help"],
            ["check-frame", "demo", "exit codes: 0 compliant, 1 error, 2 usage error, 3 not compliant"],
        ),
        (["check-frame", "--help"], ["REFERENCE", "FRAME", "--permit", "--json", "--hfov", "4 unverifiable"]),
        (["demo", "--help"], ["--json", "built-in demo cameras", "scan --group demo"]),
    ],
    ids=["main", "check-frame", "demo"],
)
def test_help_reads(args: list[str], expected: list[str]) -> None:
    done = run_cli(*args)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())  # argparse wraps lines to the terminal width
    for fragment in expected:
        assert fragment in text, fragment


def test_version_is_printed() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"fov-monitor {fm.__version__}"


def test_demo_enrols_the_built_in_cameras_and_scans_them_as_the_nightly_job(tmp_path: Path) -> None:
    store = tmp_path / "reference_frames"
    done = run_cli("demo", "--store", store, "--json", tmp_path / "scan.json")
    assert done.returncode == 0, done.stderr
    assert "alerts: 2 opened, 0 updated, 0 closed" in done.stdout
    report = json.loads((tmp_path / "scan.json").read_text())
    assert {row["camera_id"]: row["outcome"] for row in report["cameras"]} == {
        "cam-01-square": "compliant",
        "cam-02-cafe": "redirected",
        "cam-03-launch": "zone_exposed",
    }
    assert all(row["rechecked"] for row in report["cameras"] if row["outcome"] != "compliant")
    for camera in ("cam-02-cafe", "cam-03-launch"):
        (evidence,) = (store / "_evidence" / camera).iterdir()
        assert cv2.imread(str(evidence)) is not None
        assert str(evidence) in done.stdout
    listed = json.loads(run_cli("--store", store, "camera", "list", "--json").stdout)
    assert {camera["camera_id"]: camera["source"] for camera in listed} == {
        "cam-01-square": "demo:cam-01-square",
        "cam-02-cafe": "demo:cam-02-cafe",
        "cam-03-launch": "demo:cam-03-launch",
    }

    # The demo cameras stay in the store: the nightly scan checks them again, as live cameras (each
    # grab has fresh sensor noise, so none looks frozen), and the alerts are updated, not repeated.
    again = run_cli("--store", store, "scan", "--json", tmp_path / "again.json")
    assert again.returncode == 3, again.stderr
    assert "alerts: 0 opened, 2 updated, 0 closed" in again.stdout
    report = json.loads((tmp_path / "again.json").read_text())
    assert sorted(row["outcome"] for row in report["cameras"]) == ["compliant", "redirected", "zone_exposed"]


def test_a_demo_source_of_no_demo_camera_is_one_line_naming_the_demo_cameras(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreachable, match=r"'demo:cam-99'.*cam-01-square, cam-02-cafe, cam-03-launch"):
        grab("demo:cam-99")


def test_readable_verdict_names_the_decision_and_whether_it_is_in_force(frames, tmp_path: Path) -> None:
    permit = tmp_path / "permit.json"
    decision = {"reference_number": "LST 2019-7", "valid_from": "2019-01-01", "valid_to": "2020-12-31"}
    permit.write_text(
        json.dumps({"permitted_xy": [[0, 0], [409, 0], [409, 409], [0, 409]], "decision": decision})
    )
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit)
    assert "LST 2019-7, valid 2019-01-01 to 2020-12-31 (NOT in force today)" in done.stdout
    decision["valid_to"] = "2999-12-31"
    permit.write_text(
        json.dumps({"permitted_xy": [[0, 0], [409, 0], [409, 409], [0, 409]], "decision": decision})
    )
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit)
    assert "LST 2019-7, valid 2019-01-01 to 2999-12-31 (in force today)" in done.stdout


def test_output_into_a_pipe_closed_early_ends_quietly(tmp_path: Path) -> None:
    store = tmp_path / "store"
    Store(store).init()
    with Database(store / "fov-monitor.sqlite") as database:
        seed(database, [], alerts=3)
    reader, writer = os.pipe()
    os.close(reader)  # as `| head` does once it has its lines: every write is a broken pipe
    try:
        done = subprocess.run(
            [sys.executable, "-m", "fov_monitor", "--store", str(store), "alerts", "list"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.stderr == "", "no BrokenPipeError traceback"
    assert done.returncode == 141, "as a command killed by SIGPIPE"
