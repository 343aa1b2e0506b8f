"""The command line, run as a user runs it: a separate process, files on disk, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from fov_monitor.synthetic import crop_move


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fov_monitor", *map(str, args)], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from conftest import sample_bgr

    folder = tmp_path_factory.mktemp("frames")
    still = crop_move(sample_bgr("astronaut"), (0.002, 0.0))
    moved = crop_move(sample_bgr("astronaut"), (0.08, 0.0))
    paths = {
        "reference": folder / "reference.png",
        "still": folder / "still.jpg",
        "moved": folder / "moved.jpg",
    }
    cv2.imwrite(str(paths["reference"]), still.reference)
    cv2.imwrite(str(paths["still"]), still.live)
    cv2.imwrite(str(paths["moved"]), moved.live)
    return paths


def test_compliant_frame_exits_zero_with_a_readable_verdict(frames) -> None:
    done = run_cli("check-frame", frames["reference"], frames["still"])
    assert done.returncode == 0, done.stderr
    assert "COMPLIANT" in done.stdout
    assert "outside" in done.stdout


def test_moved_frame_exits_three(frames) -> None:
    done = run_cli("check-frame", frames["reference"], frames["moved"], "--json", "--hfov", "70")
    assert done.returncode == 3
    data = json.loads(done.stdout)
    assert data["status"] == "redirected"
    assert data["pan_deg"] > 0


def test_permit_file_is_used(frames, tmp_path: Path) -> None:
    permit = tmp_path / "permit.json"
    permit.write_text(json.dumps({"permitted_xy": [[0, 0], [200, 0], [200, 200], [0, 200]]}))
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit, "--json")
    assert done.returncode == 3
    assert json.loads(done.stdout)["outside_fraction"] > 0.5


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "is not valid JSON (line 1"),
        ('{"permitted_xy": [[0, 0], [1, 1]]}', "at least 3 distinct points"),
        ('{"permitted_xy": [[0, 0], [9, 0], [9, 9]], "colour": 1}', "unknown field 'colour'"),
    ],
    ids=["not-json", "two-points", "unknown-field"],
)
def test_bad_permit_file_is_one_line_error(frames, tmp_path: Path, content: str, fragment: str) -> None:
    permit = tmp_path / "permit.json"
    permit.write_text(content)
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert fragment in done.stderr
    assert str(permit) in done.stderr


def test_missing_frame_is_one_line_error(frames, tmp_path: Path) -> None:
    done = run_cli("check-frame", frames["reference"], tmp_path / "nope.jpg")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == f"error: image file {tmp_path / 'nope.jpg'} does not exist; check the path"


@pytest.mark.parametrize("args", [["--help"], ["check-frame", "--help"], ["demo", "--help"]])
def test_help_reads(args: list[str]) -> None:
    done = run_cli(*args)
    assert done.returncode == 0
    assert "exit codes" in done.stdout or "demo" in done.stdout


def test_usage_error_exits_two() -> None:
    assert run_cli("check-frame").returncode == 2


def test_demo_shows_one_camera_of_each_kind() -> None:
    done = run_cli("demo", "--json")
    assert done.returncode == 0, done.stderr
    statuses = {row["camera"]: row["status"] for row in json.loads(done.stdout)}
    assert statuses == {
        "cam-01-square": "compliant",
        "cam-02-cafe": "redirected",
        "cam-03-launch": "zone_exposed",
    }


def test_readable_verdict_names_the_decision_and_whether_it_is_in_force(frames, tmp_path: Path) -> None:
    permit = tmp_path / "permit.json"
    permit.write_text(
        json.dumps(
            {
                "permitted_xy": [[0, 0], [409, 0], [409, 409], [0, 409]],
                "decision": {
                    "reference_number": "LST 2019-7",
                    "valid_from": "2019-01-01",
                    "valid_to": "2020-12-31",
                },
            }
        )
    )
    done = run_cli("check-frame", frames["reference"], frames["still"], "--permit", permit)
    assert "LST 2019-7, valid 2019-01-01 to 2020-12-31 (NOT in force today)" in done.stdout
