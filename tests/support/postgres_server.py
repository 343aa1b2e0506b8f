"""A real PostgreSQL server for the tests: Debian's binaries, a throw-away cluster on loopback.

The cluster lives in a temporary folder, listens on 127.0.0.1 on a free port, and asks for a password
(scram-sha-256) so that the tests see a URL with one. PostgreSQL refuses to run as root: as root the
cluster is made and run by the ``postgres`` system user (``runuser``). Durability is off (``fsync``),
since the cluster is thrown away; it makes ``CREATE DATABASE`` per test cheap.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.support.loopback import free_port

REQUIRE_ENV = "FOV_MONITOR_REQUIRE_POSTGRES"
"""Set to 1 (``.ci/run`` does) and a missing PostgreSQL fails the tests instead of skipping them."""
BINDIR_ENV = "FOV_MONITOR_PG_BINDIR"
USER = "fov_test"
PASSWORD = "s3cret-Pw"
SYSTEM_USER = "postgres"


def find_bindir() -> Path | None:
    """Return the folder of ``initdb`` and ``pg_ctl``: ``$FOV_MONITOR_PG_BINDIR``, Debian's, or PATH."""
    candidates = [Path(os.environ[BINDIR_ENV])] if os.environ.get(BINDIR_ENV) else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class PostgresServer:
    """One running cluster.

    Parameters
    ----------
    bindir : Path
        The folder of ``initdb`` and ``pg_ctl``.
    root : Path
        An empty folder for the cluster's data and log.
    """

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = free_port()
        self._as_user: list[str] = []
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", SYSTEM_USER, "--"]
            shutil.chown(root, SYSTEM_USER, SYSTEM_USER)

    def init(self) -> None:
        """Create the cluster: superuser ``fov_test`` with a password, loopback only."""
        password_file = self.root / "password"
        password_file.write_text(PASSWORD + "\n")
        if self._as_user:
            shutil.chown(password_file, SYSTEM_USER, SYSTEM_USER)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        password_file.unlink()
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "50",
            "shared_buffers": "32MB",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("start", "-l", str(self.log))

    def stop(self) -> None:
        """Stop the server at once, ending every session (``-m fast``)."""
        self._pg_ctl("stop", "-m", "fast")

    def start_if_stopped(self) -> None:
        """Start the server unless it runs (a test that stopped it may have failed before restarting)."""
        if not (self.data / "postmaster.pid").exists():
            self.start()

    def restart(self) -> None:
        """Restart the server: every open connection is lost."""
        self._pg_ctl("restart", "-m", "fast", "-l", str(self.log))

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        """Return the URL of one database, with the password in it."""
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a new empty database and return its URL."""
        name = f"fov_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database`, ending its sessions."""
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", *args)

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, str(self.bindir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()} {log}")


@contextmanager
def running_server(bindir: Path) -> Iterator[PostgresServer]:
    """Make, start and finally stop and delete a cluster."""
    root = Path(tempfile.mkdtemp(prefix="fov-monitor-pg-"))
    server = PostgresServer(bindir, root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
