"""How the web app's JSON API holds up: 200 concurrent clients, and one signed-in user during a sign-in flood.

A store of ``--cameras`` simulated cameras (one real reference shared through hard links, each with
``--history`` synthetic results written straight into SQLite) is served by ``fov-monitor``'s app
under uvicorn (one process, its default thread pool) in a subprocess. An asyncio client in this
process signs in once (one session shared by every client: argon2 is deliberately slow, and a
sign-in per client would measure the password hash) and then runs ``--clients`` concurrent
loops, each alternating the fleet status (``GET /api/fleet``) and one camera's history
(``GET /api/cameras/<id>/history?limit=50``), for ``--seconds``. Printed: requests, requests per
second, errors (any status but 200, and any exception), and the latency's p50 and p99.

The clients speak HTTP/1.1 over keep-alive connections with asyncio streams directly: an httpx client
with 200 connections spends more CPU than the server it measures, and this machine's 2 cores are
shared. The baseline is the same mix from one client, for ``--baseline-seconds``: the latency of one request
on an idle server, so that the concurrent run's latency reads as queueing on top of it.

Then the sign-in flood: ``--flood`` loops post wrong passwords to ``POST /api/session`` (each a new
name, and the server's sign-in locks set so high that every guess is hashed: the worst case, an
attacker with many addresses and names) for ``--flood-seconds``, while one signed-in client runs the
same mix as the baseline. Printed beside the baseline, which is the same client on a quiet server in
the same run: its p50 and p99, their ratio to the quiet ones, and how the guesses were answered (401
wrong password, 503 password checks busy).

Both the server and the client share this machine's cores, and each request reads the session and
the results from SQLite: the figures are the app's floor on this machine, not a web server's best.

Usage: python benchmarks/web_load.py [--clients 200] [--seconds 30] [--baseline-seconds 5]
                                     [--flood 20] [--flood-seconds 15] [--cameras 50] [--history 50]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _common import REPO
from skimage import data as samples

from fov_monitor.db.database import Database
from fov_monitor.store.store import Store
from fov_monitor.web.accounts import add_user
from fov_monitor.web.roles import Role
from tests.support.enrol import enrol_like, enrol_view

PASSWORD = "load test password"


def build_store(root: Path, cameras: int, history: int) -> list[str]:
    """Enrol ``cameras`` cameras with ``history`` results each; add the user; return the camera ids."""
    store = Store(root)
    store.init()
    image = np.ascontiguousarray(samples.astronaut()[:, :, ::-1])
    ids = [f"cam-{i:04d}" for i in range(cameras)]
    enrol_view(store, ids[0], "unused.png", image, timeout_s=5.0, group="group-0")
    for camera_id in ids[1:]:
        enrol_like(store, ids[0], camera_id, "unused.png", timeout_s=5.0)
    statuses = ["compliant"] * 8 + ["redirected", "unverifiable"]
    with Database(store.database_path) as database:
        add_user(database, "load", PASSWORD, Role.TECHNICIAN, actor="benchmark")

        def insert(transaction):  # type: ignore[no-untyped-def]
            for index, camera_id in enumerate(ids):
                for step in range(history):
                    transaction.execute(
                        "INSERT INTO results (camera_id, checked_at, status, reasons_json, outside_fraction, "
                        "shift_fraction, confidence, reference_label, source, evidence_path, result_json) "
                        "VALUES (?, ?, ?, '[]', ?, ?, ?, 'day', 'unused.png', NULL, '{}')",
                        (
                            camera_id,
                            f"2026-01-{1 + step % 28:02d}T{step % 24:02d}:00:00+00:00",
                            statuses[(index + step) % len(statuses)],
                            (step % 7) / 100,
                            (step % 5) / 100,
                            0.9,
                        ),
                    )

        database.write(insert)
    return ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(store: Path, port: int) -> None:
    """Run the app (the server subprocess's entry point)."""
    import uvicorn

    from fov_monitor.db.location import DatabaseLocation
    from fov_monitor.web.app import create_app
    from fov_monitor.web.settings import WebSettings

    settings = WebSettings(
        secure_cookies=False,  # plain HTTP on loopback
        signin_max_failures=100,  # the flood's guesses are never locked out: each one is hashed
        signin_address_max_failures=10_000,
    )
    app = create_app(Store(store), DatabaseLocation.parse(str(Store(store).database_path)), settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=1024)


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one keep-alive GET and read its whole response; return the status code."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        (int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")), 0
    )
    await reader.readexactly(length)
    return status


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one keep-alive POST and read its whole response; return the status code."""
    return await _get(reader, writer, request)


def _guess(host: str, port: str, number: int) -> bytes:
    """Return a sign-in with a wrong password for a name of its own."""
    body = json.dumps({"name": f"guess-{number}", "password": "not the password"}).encode()
    return (
        f"POST /api/session HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def run_flood(url: str, guessers: int, seconds: float, answers: Counter[str]) -> None:
    """Post wrong sign-ins from ``guessers`` concurrent loops for ``seconds``; count the answers."""
    host, port = url.removeprefix("http://").split(":")
    deadline = time.perf_counter() + seconds
    numbers = itertools.count()

    async def loop() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < deadline:
                try:
                    answers[str(await _post(reader, writer, _guess(host, port, next(numbers))))] += 1
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    answers["error"] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
        finally:
            writer.close()

    await asyncio.gather(*(loop() for _ in range(guessers)))


async def run_load(
    url: str, ids: list[str], clients: int, seconds: float, flood: int = 0
) -> dict[str, float]:
    """Run ``clients`` concurrent loops for ``seconds`` (beside ``flood`` guessing loops, when given).

    Returns the counts and latency percentiles of the signed-in clients, and how the guesses were
    answered.
    """
    signed = httpx.post(url + "/api/session", json={"name": "load", "password": PASSWORD}, timeout=120)
    signed.raise_for_status()
    cookie = signed.cookies["fov_session"]
    host, port = url.removeprefix("http://").split(":")
    requests = [
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: fov_session={cookie}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        for path in ["/api/fleet", *(f"/api/cameras/{camera_id}/history?limit=50" for camera_id in ids)]
    ]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def loop(number: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        step = 0
        try:
            while time.perf_counter() < deadline:
                # Alternate the fleet status and a history, a different camera's each time.
                index = 0 if (number + step) % 2 == 0 else 1 + (number + step) % len(ids)
                started = time.perf_counter()
                try:
                    if await _get(reader, writer, requests[index]) != 200:
                        errors += 1
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                latencies.append(time.perf_counter() - started)
                step += 1
        finally:
            writer.close()

    answers: Counter[str] = Counter()
    began = time.perf_counter()
    guessing = [run_flood(url, flood, seconds, answers)] if flood else []
    await asyncio.gather(*(loop(number) for number in range(clients)), *guessing)
    elapsed = time.perf_counter() - began
    times = np.array(latencies) * 1e3
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / elapsed,
        "errors": errors,
        "p50_ms": float(np.percentile(times, 50)),
        "p99_ms": float(np.percentile(times, 99)),
        "answers": dict(answers),
    }


def _row(name: str, figures: dict[str, Any]) -> str:
    return (
        f"{name:<34}{figures['requests']:>10.0f}{figures['per_s']:>10.1f}{figures['errors']:>8.0f}"
        f"{figures['p50_ms']:>10.1f}{figures['p99_ms']:>10.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument("--flood", type=int, default=20, help="concurrent wrong sign-ins (0: no flood run)")
    parser.add_argument("--flood-seconds", type=float, default=15.0)
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--history", type=int, default=50)
    parser.add_argument("--serve", nargs=2, metavar=("STORE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return 0

    with tempfile.TemporaryDirectory(prefix="fov-web-load-") as folder:
        root = Path(folder) / "store"
        ids = build_store(root, args.cameras, args.history)
        port = free_port()
        environment = os.environ | {"PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(root), str(port)], env=environment, cwd=REPO
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(url + "/openapi.json", timeout=1.0)
                    break
                except httpx.HTTPError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        print("error: the server did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.2)
            print(
                f"{args.cameras} cameras x {args.history} results; uvicorn, 1 process, on {os.cpu_count()} "
                "shared cores; mix: GET /api/fleet and GET /api/cameras/<id>/history, alternating"
            )
            print(f"{'run':<34}{'requests':>10}{'req/s':>10}{'errors':>8}{'p50 ms':>10}{'p99 ms':>10}")
            quiet = asyncio.run(run_load(url, ids, 1, args.baseline_seconds))
            print(_row("baseline: 1 client", quiet))
            failed = quiet["errors"] > 0
            if args.flood:
                flooded = asyncio.run(run_load(url, ids, 1, args.flood_seconds, flood=args.flood))
                failed = failed or flooded["errors"] > 0
                print(_row(f"1 client + {args.flood} wrong sign-ins", flooded))
                answers = ", ".join(
                    f"{count} x {status}" for status, count in sorted(flooded["answers"].items())
                )
                ratios = (flooded["p50_ms"] / quiet["p50_ms"], flooded["p99_ms"] / quiet["p99_ms"])
                print(f"  during the flood: p50 x{ratios[0]:.1f}, p99 x{ratios[1]:.1f} the quiet ones")
                print(f"  guesses answered: {answers}")
            if args.clients:
                loaded = asyncio.run(run_load(url, ids, args.clients, args.seconds))
                failed = failed or loaded["errors"] > 0
                print(_row(f"{args.clients} clients", loaded))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
