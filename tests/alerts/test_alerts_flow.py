"""From scan to reviewer: a real fleet scanned three times, its alerts delivered to a real webhook.

Each camera that leaves its permit is announced once, nothing is repeated while nothing changes,
closing is announced when the camera is put back, and cameras offline (or in error) for three scans
in a row are announced only then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.delivery import SECRET, SECRET_ENV, Receiver
from tests.support.fleet import GARBAGE, MOVED, NO_PERMIT, SILENT, Fleet, serve_fleet


@pytest.fixture
def noisy_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    """The fleet served with sensor noise (no frame repeats itself), a fresh store per test."""
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")  # blurring is tested elsewhere
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with serve_fleet(tmp_path / "store", noise_sigma=2.0) as served:
        yield served


def test_each_problem_is_announced_once_and_its_end_too(
    noisy_fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    root = noisy_fleet.template
    receiver = Receiver()
    settings = {
        "schema_version": 1,
        "thresholds": {"offline_after_scans": 3, "error_after_scans": 3},
        "channels": [
            {"name": "hook", "kind": "webhook", "url": receiver.url, "secret_env": SECRET_ENV},
            {"name": "log", "kind": "jsonl", "path": "alerts.jsonl"},
        ],
    }
    (root / "alerts.json").write_text(json.dumps(settings), encoding="utf-8")

    def scan_and_deliver() -> list[tuple[str, str, str]]:
        """Scan (which delivers), and return (event, camera, problem) of what the receiver newly took."""
        before = len(receiver.processed)
        code, out, err = run_main(capsys, "scan", "--store", root, "--new", "--workers", "2")
        assert code in (3, 4), (out, err)
        taken = [json.loads(body) for body in receiver.bodies[before:]]
        return sorted((doc["event"], doc["alert"]["camera_id"], doc["alert"]["problem"]) for doc in taken)

    try:
        assert scan_and_deliver() == [("opened", camera, "redirected") for camera in MOVED]
        assert scan_and_deliver() == []  # nothing changed, nothing said
        for camera in MOVED:
            noisy_fleet.server.put(f"/{camera}.jpg", _reference(noisy_fleet, camera))
        offline = sorted([*SILENT, GARBAGE])
        assert scan_and_deliver() == sorted(
            [("closed", camera, "redirected") for camera in MOVED]
            + [("opened", camera, "offline") for camera in offline]
            + [("opened", NO_PERMIT, "error")]
        )
    finally:
        receiver.close()
    assert max(receiver.seen.values()) == 1  # no key sent twice
    lines = (root / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["idempotency_key"].replace("-log", "") for line in lines) == sorted(
        key.replace("-hook", "") for key in receiver.processed
    )
    code, out, _ = run_main(capsys, "alerts", "outbox", "--store", root, "--state", "pending", "--json")
    assert code == 0
    assert json.loads(out) == []


def _reference(fleet: Fleet, camera_id: str) -> np.ndarray:
    """The picture a moved camera shows once it is put back: its view as enrolled."""
    return Store(fleet.template).reference_image(camera_id, "day")
