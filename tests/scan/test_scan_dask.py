"""The nightly scan on a real Dask cluster: worker processes over TCP on loopback, the fleet of ``fleet.py``.

One cluster per module: a ``LocalCluster`` of 2 worker processes, and a third worker started with
the ``dask worker`` command as docs/operations.md says, inside "site north" (``--resources site-north=1``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import distributed
import numpy as np
import pytest

from fov_monitor.faces.detection import detect_faces
from fov_monitor.scan.worker import CameraTask, grab_and_check
from fov_monitor.settings import StoreSettings
from tests.support.cli import run_main
from tests.support.fleet import EVERY, EXPECTED, MOVED, NORMAL, Fleet, outcomes, wait_for_progress
from tests.support.paths import REPO

Cli = Callable[..., tuple[int, str, str]]
SITE_WORKER = "north"


@dataclass(frozen=True)
class Cluster:
    address: str
    client: distributed.Client

    def worker_names(self) -> set[str]:
        """Return what the scan's audit calls each worker: its name, else (a number) its address."""
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return {w["name"] if isinstance(w["name"], str) else address for address, w in workers.items()}


def local_cluster(n_workers: int) -> distributed.LocalCluster:
    """A real cluster of worker processes, one thread each, over TCP on loopback."""
    return distributed.LocalCluster(
        n_workers=n_workers,
        processes=True,
        threads_per_worker=1,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=":0",
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with local_cluster(n_workers=2) as local:
        command = [sys.executable, "-m", "distributed.cli.dask_worker", local.scheduler_address]
        command += ["--nthreads", "1", "--name", SITE_WORKER, "--resources", f"site-{SITE_WORKER}=1"]
        site_worker = subprocess.Popen(
            [*command, "--no-dashboard"],
            env=os.environ | {"PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with distributed.Client(local.scheduler_address, set_as_default=False) as client:
                client.wait_for_workers(3, timeout=60)
                yield Cluster(local.scheduler_address, client)
        finally:
            site_worker.terminate()
            site_worker.wait(timeout=30)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return lambda *args: run_main(capsys, *args)


def workers_of(store: Path) -> dict[str, str]:
    """Return camera -> the Dask worker its audit line names, for the latest run."""
    with sqlite3.connect(store / "fov-monitor.sqlite") as connection:
        rows = connection.execute(
            "SELECT camera_id, detail_json FROM audit WHERE action = 'check' ORDER BY id"
        ).fetchall()
    return {camera: json.loads(detail).get("worker", "") for camera, detail in rows}


def test_cluster_scan_records_the_same_outcomes_as_a_local_scan(
    cli: Cli, fleet: Path, cluster: Cluster
) -> None:
    code, out, err = cli("scan", "--store", fleet, "--cluster", cluster.address)
    assert code == 3, (out, err)
    assert outcomes(fleet) == EXPECTED
    with sqlite3.connect(fleet / "fov-monitor.sqlite") as connection:
        results = connection.execute("SELECT camera_id, evidence_path FROM results").fetchall()
    assert len(results) == 16  # a verdict each; offline and error cameras have none
    # The workers return the evidence encoded; the parent wrote it into the store.
    assert all(Path(evidence).is_file() for camera, evidence in results if camera in MOVED)
    workers = workers_of(fleet)
    assert set(workers) == set(EVERY)
    assert set(workers.values()) <= cluster.worker_names()


def test_nothing_unblurred_travels_to_or_from_a_worker(cli: Cli, fleet: Path, cluster: Cluster) -> None:
    # The store keeps unblurred copies, and blurring is off (the fleet's FOV_MONITOR_UNBLURRED=1).
    settings = {"schema_version": 1, "privacy": {"keep_unblurred": True}}
    (fleet / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    face_camera = MOVED[1]  # the astronaut, panned: a face in the evidence
    reply = cluster.client.submit(
        grab_and_check,
        CameraTask(fleet, face_camera, None, True, StoreSettings(fleet).privacy),
        pure=False,
    ).result(timeout=120)
    assert reply.judgement is not None
    assert reply.judgement.unblurred is None
    assert reply.judgement.unblurred_bytes is None, "no unblurred copy comes back over tcp://"
    returned = cv2.imdecode(np.frombuffer(reply.judgement.evidence_bytes or b"", np.uint8), cv2.IMREAD_COLOR)
    assert (detect_faces(returned)[:, 4] < 0.5).all(), "the evidence comes back blurred"

    code, out, err = cli("scan", "--store", fleet, "--cluster", cluster.address, "--cameras", face_camera)
    assert code == 3, (out, err)
    assert "keep no unblurred copy" in out
    assert not (fleet / "_unblurred").exists()
    (evidence,) = (fleet / "_evidence" / face_camera).iterdir()
    assert "unblurred" not in evidence.name
    assert (detect_faces(cv2.imread(str(evidence)))[:, 4] < 0.5).all()


def test_camera_of_a_site_is_grabbed_only_by_a_worker_of_that_site(
    cli: Cli, fleet: Path, cluster: Cluster
) -> None:
    north, anywhere, south = NORMAL[:4], NORMAL[4:8], NORMAL[8]
    for camera in north:
        assert cli("camera", "edit", camera, "--site", "north", "--store", fleet)[0] == 0
    assert cli("camera", "edit", south, "--site", "south", "--store", fleet)[0] == 0
    code, out, err = cli(
        "scan", "--store", fleet, "--cluster", cluster.address, "--cameras", *north, *anywhere, south
    )
    assert code == 4, (out, err)  # the south camera: no worker there
    found = outcomes(fleet)
    assert {found[camera] for camera in [*north, *anywhere]} == {("compliant", 0)}
    assert found[south] == ("offline", 0)
    workers = workers_of(fleet)
    assert {workers[camera] for camera in north} == {SITE_WORKER}
    assert {workers[camera] for camera in anywhere} <= cluster.worker_names()
    with sqlite3.connect(fleet / "fov-monitor.sqlite") as connection:
        (reasons,) = connection.execute(
            "SELECT reasons_json FROM scan_outcomes WHERE camera_id = ?", (south,)
        ).fetchone()
    [reason] = json.loads(reasons)
    assert "no Dask worker serves site 'south'" in reason
    assert f"dask worker {cluster.address} --resources site-south=1" in reason


@pytest.mark.parametrize(
    ("option", "code", "fragment"),
    [
        ("closed-port", 5, "error: scan failed: cannot reach the Dask scheduler at tcp://127.0.0.1:"),
        ("env", 5, "start one with 'dask scheduler'"),
        ("scheduler:8786", 1, "--cluster must be a Dask scheduler address like tcp://scheduler:8786"),
    ],
)
def test_unreachable_scheduler_is_one_line_and_the_scan_failed_code(
    cli: Cli,
    fleet: Path,
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    code: int,
    fragment: str,
) -> None:
    address = f"tcp://127.0.0.1:{closed_port}"
    if option == "env":
        monkeypatch.setenv("FOV_MONITOR_CLUSTER", address)
        arguments: list[str] = []
    else:
        arguments = ["--cluster", address if option == "closed-port" else option]
    result, _, err = cli("scan", "--store", fleet, "--cameras", NORMAL[0], *arguments)
    assert result == code, err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err


def test_worker_killed_mid_scan_loses_no_camera_and_counts_none_twice(
    fleet_template: Fleet, fleet: Path, cluster: Cluster
) -> None:
    pids = cluster.client.run(os.getpid)
    command = [
        sys.executable,
        "-m",
        "fov_monitor",
        "scan",
        "--store",
        str(fleet),
        "--cluster",
        cluster.address,
    ]
    fleet_template.server.delay_s = 0.3  # slow cameras, so the kill lands while checks run
    try:
        scan = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env=os.environ | {"PYTHONPATH": str(REPO)}
        )
        wait_for_progress(scan, 4)
        busy = {
            address: keys for address, keys in cluster.client.processing().items() if keys and address in pids
        }
        victim = next(address for address in busy if cluster.worker_names() & {address})
        os.kill(pids[victim], signal.SIGKILL)
        rest, _ = scan.communicate(timeout=120)
    finally:
        fleet_template.server.delay_s = 0.0
    assert scan.returncode == 3, rest
    assert any(key.startswith("check-") for key in busy[victim])  # it died holding a camera's check
    assert outcomes(fleet) == EXPECTED
    with sqlite3.connect(fleet / "fov-monitor.sqlite") as connection:
        per_camera = connection.execute(
            "SELECT camera_id, COUNT(*) FROM results GROUP BY camera_id"
        ).fetchall()
        rows = connection.execute("SELECT COUNT(*) FROM scan_outcomes").fetchone()[0]
    assert {count for _, count in per_camera} == {1}
    assert rows == len(EVERY)
    assert pids[victim] not in cluster.client.run(os.getpid).values()


def test_scheduler_lost_mid_scan_fails_the_scan_and_the_next_scan_finishes_the_run(
    cli: Cli, fleet_template: Fleet, fleet: Path
) -> None:
    command = [sys.executable, "-m", "fov_monitor", "scan", "--store", str(fleet), "--cluster"]
    fleet_template.server.delay_s = 0.3
    try:
        with local_cluster(n_workers=1) as doomed:
            scan = subprocess.Popen(
                [*command, doomed.scheduler_address],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=os.environ | {"PYTHONPATH": str(REPO)},
            )
            wait_for_progress(scan, 3)
        _, err = scan.communicate(timeout=120)
    finally:
        fleet_template.server.delay_s = 0.0
    assert scan.returncode == 5, err
    assert (
        f"error: scan failed: lost the Dask scheduler {doomed.scheduler_address}; run 'fov-monitor scan'"
        in err
    )
    assert 3 <= len(outcomes(fleet)) < len(EVERY)
    code, out, _ = cli("scan", "--store", fleet, "--workers", "1")  # resumed here, without the cluster
    assert code == 3
    assert out.startswith("resuming scan run 1 of ")
    assert outcomes(fleet, 1) == EXPECTED
