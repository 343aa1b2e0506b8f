"""A camera folder damaged on disk: one-line errors naming the file and the field, and the commands
that go over the fleet (``validate``, ``camera list``, ``report``) go on past it.

Each damage is made for real in a copy of the session's enrolled store, beside an undamaged camera.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from fov_monitor.errors import ReportError
from fov_monitor.report.output import write_folder
from tests.support.cli import assert_cli_error, run_main
from tests.support.enrolled_camera import EnrolledCamera

Cli = Callable[..., tuple[int, str, str]]


def _folder_instead(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("a folder where a file should be")


def _edit_json(path: Path, edit: Callable[[dict], str]) -> None:
    path.write_text(edit(json.loads(path.read_text())))


DAMAGES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "permit-folder": (lambda cam: _folder_instead(cam / "permit.json"), ["permit.json", "is a folder"]),
    "record-folder": (
        lambda cam: _folder_instead(cam / "references" / "day.json"),
        ["day.json", "is a folder"],
    ),
    "image-folder": (lambda cam: _folder_instead(cam / "references" / "day.png"), ["day.png", "is a folder"]),
    "nested-100000-deep": (
        lambda cam: (cam / "permit.json").write_text("[" * 100_000 + "]" * 100_000),
        ["permit.json", "nested too deep"],
    ),
    "400-digit-coordinate": (
        lambda cam: _edit_json(
            cam / "permit.json",
            lambda d: json.dumps(d).replace(f"[{d['permitted_xy'][1][0]},", "[" + "9" * 400 + ",", 1),
        ),
        ["permit.json", "permitted polygon", "infinite"],
    ),
    "5000-digit-timeout": (
        lambda cam: _edit_json(
            cam / "camera.json",
            lambda d: json.dumps(d | {"timeout_s": 0}).replace(
                '"timeout_s": 0', '"timeout_s": ' + "1" * 5000
            ),
        ),
        ["camera.json", "timeout_s", "inf"],
    ),
    "size-as-text": (
        lambda cam: _edit_json(
            cam / "references" / "day.json", lambda d: json.dumps(d | {"size_wh": "wide"})
        ),
        ["day.json", "field 'size_wh'"],
    ),
}


@pytest.fixture
def two_cameras(enrolled: tuple[EnrolledCamera, Path]) -> Path:
    """The enrolled store with a second, undamaged camera (cam-b) beside cam-a."""
    _, store = enrolled
    shutil.copytree(store / "cam-a", store / "cam-b")
    _edit_json(store / "cam-b" / "camera.json", lambda d: json.dumps(d | {"camera_id": "cam-b"}))
    return store


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_file_is_one_line_naming_it_and_the_fleet_commands_go_on(
    capsys: pytest.CaptureFixture[str], two_cameras: Path, damage: str
) -> None:
    store = two_cameras
    make, fragments = DAMAGES[damage]
    make(store / "cam-a")
    assert_cli_error(run_main(capsys, "check", "cam-a", "--store", store), *fragments)

    code, out, err = run_main(capsys, "validate", "--store", store, "--json")
    report = {entry["camera"]: entry["problems"] for entry in json.loads(out)}
    assert code == 1, err
    assert report["cam-b"] == []
    [problem] = report["cam-a"]
    assert "\n" not in problem, problem
    assert len(problem) < 400, problem
    assert all(fragment in problem for fragment in fragments), problem

    code, out, err = run_main(capsys, "camera", "list", "--store", store, "--json")
    assert "cam-b" in [camera["camera_id"] for camera in json.loads(out)]
    assert "Traceback" not in err


@pytest.mark.parametrize("damage", ["image-folder", "nested-100000-deep"])
def test_report_leaves_out_a_damaged_camera_and_never_blames_out(
    capsys: pytest.CaptureFixture[str], two_cameras: Path, tmp_path: Path, damage: str
) -> None:
    store, out = two_cameras, tmp_path / "report"
    code, _printed, err = run_main(capsys, "--store", store, "scan", "--workers", "1")
    assert code == 0, err  # the year has a nightly check to report
    DAMAGES[damage][0](store / "cam-a")
    year = str(date.today().year)
    code, _printed, err = run_main(
        capsys, "--store", store, "report", "yearly", "--year", year, "--out", out, "--jobs", "1"
    )
    assert code == 4, err  # written, with a camera left out
    assert "camera cam-a could not be read and is not reported" in err
    assert "--out" not in err
    assert "cannot write" not in err
    assert (out / "cameras" / "cam-b.html").is_file()


def test_a_file_the_report_cannot_read_is_named_not_out(tmp_path: Path) -> None:
    unreadable = tmp_path / "store" / "weighing.json"
    unreadable.mkdir(parents=True)
    with pytest.raises(ReportError) as caught:
        write_folder(tmp_path / "report", "yearly", lambda folder: unreadable.read_bytes())
    message = str(caught.value)
    assert message.startswith(f"cannot read {unreadable} (Is a directory)"), message
    assert not (tmp_path / "report").exists()
