"""A real uvicorn server for the web app on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from fov_monitor.db.location import DatabaseLocation
from fov_monitor.store.store import Store
from fov_monitor.web.app import create_app
from fov_monitor.web.settings import WebSettings
from tests.support.loopback import free_port


@contextmanager
def running_server(root: Path, settings: WebSettings | None = None, **options: object) -> Iterator[str]:
    """Serve the app over the store at ``root``; yield its base URL; stop it after the block."""
    store = Store(root)
    app = create_app(store, DatabaseLocation.parse(str(store.database_path)), settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the web app did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
