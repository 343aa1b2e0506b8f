"""``reference capture --all | --missing``: many cameras at once, one unreachable among them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fov_monitor.db.database import Database
from tests.support.cli import run_main
from tests.support.images import sample_bgr
from tests.support.paths import REPO
from tests.support.snapshot_server import SnapshotServer

PLAIN = np.full((400, 600, 3), 128, np.uint8)
"""A view without any detail: captured, but its self-test warns that it shows no move."""


def test_a_capture_of_many_goes_on_past_an_unreachable_camera(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "ines")
    with SnapshotServer() as server, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound but not listening: the connection is refused
        server.put("/cam-1.jpg", sample_bgr("coffee"))
        server.put("/cam-2.jpg", sample_bgr("astronaut"))
        server.put("/cam-3.jpg", PLAIN)
        rows = [
            f"cam-1,{server.url('/cam-1.jpg')},KS-1,whole view",
            f"cam-2,{server.url('/cam-2.jpg')},,",
            f"cam-3,{server.url('/cam-3.jpg')},,",
            f"cam-4,http://127.0.0.1:{closed.getsockname()[1]}/snapshot.jpg,,",
        ]
        fleet = tmp_path / "fleet.csv"
        fleet.write_text("\n".join(["id,source,decision,area", *rows]) + "\n", encoding="utf-8")
        assert run_main(capsys, "init", "--store", store)[0] == 0
        assert run_main(capsys, "camera", "import", fleet, "--store", store)[0] == 0
        command = [
            sys.executable,
            "-m",
            "fov_monitor",
            "reference",
            "capture",
            "--all",
            "--store",
            str(store),
        ]
        done = subprocess.run(
            [*command, "--workers", "2", "--concurrency", "4"],
            capture_output=True,
            text=True,
            timeout=300,
            env=os.environ | {"FOV_MONITOR_UNBLURRED": ""},
            cwd=REPO,
            check=False,
        )
    assert done.returncode == 4, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("cam-4: failed: ") and "refused" in line for line in lines), lines
    assert any(line.startswith("[4/4] captured 2, warned 1, failed 1") for line in lines), lines
    results = ("captured", "warned", "failed", "skipped")
    counts = {
        line.split()[0]: line.split()[1] for line in lines if line.split()[:1] in [[r] for r in results]
    }
    assert counts == {"captured": "2", "warned": "1", "failed": "1", "skipped": "0"}
    problems = {line.split()[0]: line.split(maxsplit=2)[1:] for line in lines if line.startswith("cam-")}
    assert problems["cam-3"][0] == "warned"
    assert "out of focus or plain" in problems["cam-3"][1]
    assert problems["cam-4"][0] == "failed"
    assert "1 pending permit(s) of the whole view set on their camera's new reference" in lines
    for camera_id in ("cam-1", "cam-2", "cam-3"):
        record = json.loads((store / camera_id / "references" / "day.json").read_text())
        assert record["captured_by"] == "ines"
    assert not (store / "cam-4" / "references" / "day.json").exists()
    assert json.loads((store / "cam-1" / "permit.json").read_text())["decision"]["reference_number"] == "KS-1"
    with Database(store / "fov-monitor.sqlite") as database:
        captured = {e.camera_id for e in database.audit_entries(action="reference captured")}
    assert captured == {"cam-1", "cam-2", "cam-3"}

    # Again, without worker processes: only the camera still missing is tried, the others are skipped.
    code, out, _ = run_main(capsys, "reference", "capture", "--missing", "--workers", "1", "--store", store)
    assert code == 4
    assert "reference capture ('day') of 1 camera(s)" in out
    code, out, _ = run_main(
        capsys, "reference", "capture", "--all", "--json", "--workers", "1", "--store", store
    )
    summary = json.loads(out)
    assert (code, summary["counts"]) == (4, {"captured": 0, "warned": 0, "failed": 1, "skipped": 3})
