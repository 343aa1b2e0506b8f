"""``reference capture --frames N --every S``: several frames of the view, the stable share recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_main


def test_capture_grabs_several_frames_and_records_the_stable_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    for args in (("init",), ("camera", "add", "cam-01", "--source", "demo:cam-01-square")):
        code, _, err = run_main(capsys, "--store", store, *args)
        assert code == 0, err
    code, out, err = run_main(
        capsys, "--store", store, "reference", "capture", "cam-01", "--frames", "3", "--every", "0", "--json"
    )
    assert code == 0, err
    test = json.loads(out)["self_test"]
    assert test["frames"] == 3
    assert 0.5 < test["stable_share"] <= 1.0
    record = json.loads((store / "cam-01" / "references" / "day.json").read_text())
    assert record["self_test"]["frames"] == 3


@pytest.mark.parametrize(("frames", "every"), [("0", "1"), ("31", "1"), ("3", "-1"), ("3", "61")])
def test_capture_refuses_frames_and_spans_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], frames: str, every: str
) -> None:
    store = tmp_path / "store"
    run_main(capsys, "--store", store, "init")
    run_main(capsys, "--store", store, "camera", "add", "cam-01", "--source", "demo:cam-01-square")
    code, _, err = run_main(
        capsys, "--store", store, "reference", "capture", "cam-01", "--frames", frames, "--every", every
    )
    assert code == 1
    assert err.count("\n") == 1
    assert "frames must be" in err or "every must be" in err
    assert not (store / "cam-01" / "references" / "day.json").exists()
