"""The nightly scan grows a camera's reference bank safely; technicians list and remove what it learned.

A real webcam (``webcams/stlouis``) enrolled from its first image as a technician would; the scan then
grabs, from a file source, a frame of the same view in a light the reference does not cover (the sun
on the other side: the reference's own corners no longer follow it, its features still align).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.cli import run_main
from tests.support.real_data import webcam_images, webcam_window

CAMERA = "cam-arch"
NEW_LIGHT = "20120721_002850"
"""A frame the bank learns: compliant with confidence, not on the fast path against the base."""


def _audit(store: Path, action: str) -> list[dict]:
    with sqlite3.connect(store / "fov-monitor.sqlite") as db:
        rows = db.execute("SELECT detail_json FROM audit WHERE action = ? ORDER BY id", (action,)).fetchall()
    return [json.loads(detail) for (detail,) in rows]


@pytest.fixture
def enrolled(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path, Path]:
    """A store with the camera enrolled from stlouis' first view; return (store, live file, folder)."""
    paths = webcam_images(shared_data, "stlouis")
    store, live = tmp_path / "store", tmp_path / "live.png"
    reference = tmp_path / "reference.png"
    cv2.imwrite(str(reference), webcam_window(cv2.imread(str(paths[0]))))
    shutil.copy(reference, live)
    height, width = cv2.imread(str(reference)).shape[:2]
    for args in (
        ("init",),
        ("camera", "add", CAMERA, "--source", live),
        ("reference", "capture", CAMERA, "--from", reference),
        ("permit", "set", CAMERA, "--polygon", f"0,0 {width},0 {width},{height} 0,{height}"),
    ):
        code, _, err = run_main(capsys, "--store", store, *args)
        assert code == 0, err
    return store, live, paths[0].parent


def test_a_compliant_frame_in_new_light_joins_the_bank_and_can_be_removed(
    enrolled: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, live, folder = enrolled
    cv2.imwrite(str(live), webcam_window(cv2.imread(str(folder / f"{NEW_LIGHT}.jpg"))))
    code, out, err = run_main(capsys, "--store", store, "scan", "--workers", "1")
    assert code == 0, out + err

    code, out, _ = run_main(capsys, "--store", store, "reference", "list", CAMERA, "--json")
    records = json.loads(out)
    assert [record["learned"] is not None for record in records] == [False, True]
    learned = records[1]
    assert learned["label"].startswith("learned-")
    assert learned["learned"]["verified_against"] == "day"
    assert learned["learned"]["faces_blurred"] is True
    assert max(abs(value) for value in learned["learned"]["shift_fraction"]) <= 0.01
    (line,) = _audit(store, "reference learned")
    assert line["label"] == learned["label"]
    assert line["scan_run"] == 1
    assert line["frame_at"] == learned["learned"]["frame_at"]

    # The next night, the same light is covered: nothing more is learned, and the verdict holds (a
    # live camera's next grab differs by its sensor noise; the very same picture would be frozen).
    frame = cv2.imread(str(live)).astype(np.float32)
    noise = np.random.default_rng(1).normal(0.0, 1.5, frame.shape)
    cv2.imwrite(str(live), np.clip(frame + noise, 0, 255).astype(np.uint8))
    code, out, err = run_main(capsys, "--store", store, "scan", "--workers", "1", "--new")
    assert code == 0, out + err
    assert len(_audit(store, "reference learned")) == 1

    code, _, err = run_main(capsys, "--store", store, "reference", "forget", CAMERA, learned["label"])
    assert code == 0, err
    code, out, _ = run_main(capsys, "--store", store, "reference", "list", CAMERA, "--json")
    assert [record["label"] for record in json.loads(out)] == ["day"]
    assert _audit(store, "reference forgotten")[0]["label"] == learned["label"]
    assert list((store / CAMERA / "history").glob(f"reference-{learned['label']}-*/{learned['label']}.png"))


def test_a_frame_that_was_not_compliant_never_teaches(
    enrolled: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, live, folder = enrolled
    image = cv2.imread(str(folder / f"{NEW_LIGHT}.jpg"))
    cv2.imwrite(str(live), webcam_window(image, (1, 0)))  # the camera knocked 8 % to the right
    code, out, err = run_main(capsys, "--store", store, "scan", "--workers", "1")
    assert code == 3, out + err
    assert _audit(store, "reference learned") == []
    assert [path.stem for path in (store / CAMERA / "references").glob("*.json")] == ["day"]


def test_a_technicians_reference_cannot_be_forgotten(
    enrolled: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, _, _ = enrolled
    code, _, err = run_main(capsys, "--store", store, "reference", "forget", CAMERA, "day")
    assert code == 1
    assert "has no learned reference 'day'" in err
    assert "reference rebaseline" in err
    assert (store / CAMERA / "references" / "day.json").exists()
